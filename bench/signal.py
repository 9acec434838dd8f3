"""`python -m bench signal`: how often drift nudges and watch notes are right, on simulated
item-level ratings (docs/signal.md explains the method and the figures).

Each series is one relationship. It has a level (1..5 points) that may change from session
to session; each contrast sits at its own fixed offset within +/-0.75 of the level; an
item's usual rating is that rounded (1..5), and a share of items (`off`) is off by one point
at random. A session asks the three contrasts the service's rotation asks (reviews: all
sixteen, every sixth session), and its ratings go through the same `bot.core.drift.step`
the service calls. The old rule (bench/legacy_drift.py) gets the same sessions as the
overall scores the service computed for it.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

from bench import legacy_drift
from bot.core import drift
from bot.core.rubric import Rubric, load_rubric
from bot.core.scoring import rotation, score

BAND = 2.6  # the transactional band's upper edge (overall 0.40) in rating points
_DROPS_2 = ("drop 2, stays", "drop 2, recovers", "drop 3, stays", "drop 3, recovers")
_BLIPS = ("drop 2, blip", "drop 3, blip")
SERIES = 2000
REVIEW_EVERY = 6

Level = Callable[[int], float]  # session number (1..) -> the relationship's level


@dataclass(frozen=True)
class Kind:
    name: str
    sessions: int
    off: float  # share of items off by one point
    make: Callable[[random.Random], tuple[Level, int | None]]  # level, onset session (or None)
    measure: str  # stable | decline | drop | ceiling | dip
    missed: float = 0.0  # share of sessions missed (no check-in)
    soft: bool = False  # a watch note counts as caught (drops of 1.5)


@dataclass
class Tally:
    series: int = 0
    nudged: int = 0  # series with any drift nudge
    watched: int = 0  # series with any watch note
    hit: int = 0  # the kind's own success (see `_judge`)
    early: int = 0  # series with a drift nudge or watch note before the onset
    early_hit: int = 0  # ... of those, still a hit
    delays: list[int] | None = None
    extra: int = 0  # drift nudges while drifting, other than at a new real drop (must be 0)
    noted: int = 0  # drops: a drift nudge or a watch note at the drop or the session after

    def pct(self, n: int) -> str:
        return f"{100 * n / self.series:5.1f}%"


def _stable(rng: random.Random) -> tuple[Level, int | None]:
    level = rng.uniform(3.5, 4.8)
    return (lambda _t: level), None


def _decline(rate: float) -> Callable[[random.Random], tuple[Level, int | None]]:
    def make(rng: random.Random) -> tuple[Level, int | None]:
        start = rng.uniform(4.2, 4.8)
        return (lambda t: start - rate * max(0, t - 2)), 3

    return make


def _drop(size: float, shape: str) -> Callable[[random.Random], tuple[Level, int | None]]:
    """A sudden drop at a session from 4 to 10 that stays down, recovers (down for that
    session and the next, half-way back the one after, then back), or is a one-session blip."""

    def make(rng: random.Random) -> tuple[Level, int | None]:
        level, at = rng.uniform(3.5, 4.8), rng.randint(4, 10)
        down = {"stays": {}, "recovers": {at + 2: size / 2, at + 3: 0}, "blip": {at + 1: 0}}
        after = down[shape]

        def at_session(t: int) -> float:
            if t < at:
                return level
            back = [v for k, v in after.items() if k <= t]
            return level - (back[-1] if back else size)

        return at_session, at

    return make


def _dip(rng: random.Random) -> tuple[Level, int | None]:
    level, at = rng.uniform(3.5, 4.8), rng.randint(4, 10)
    return (lambda t: level - 1 if t == at else level), at


def _ceiling(rng: random.Random) -> tuple[Level, int | None]:
    later, at = rng.uniform(4.0, 4.5), rng.randint(3, 5)
    return (lambda t: 6.0 if t < at else later), at


def kinds() -> list[Kind]:
    out = []
    for off in (0.0, 0.2, 0.4):
        for n in (8, 12):
            out.append(Kind(f"stable {n}, {off:.0%} off", n, off, _stable, "stable"))
    out.append(Kind("stable 12, 25% missed", 12, 0.2, _stable, "stable", missed=0.25))
    out.append(Kind("one-point dip, exact", 12, 0.0, _dip, "dip"))
    out.append(Kind("one-point dip, 20% off", 12, 0.2, _dip, "dip"))
    for rate in (0.15, 0.25, 0.35):
        out.append(Kind(f"decline {rate:.2f}/session", 12, 0.2, _decline(rate), "decline"))
    out.append(Kind("decline 0.25, 40% off", 12, 0.4, _decline(0.25), "decline"))
    out.append(Kind("decline 0.25, 25% missed", 12, 0.2, _decline(0.25), "decline", missed=0.25))
    for size in (1.5, 2.0, 3.0):
        for shape in ("stays", "recovers", "blip"):
            if shape == "blip" and size < 2:
                continue
            make = _drop(size, shape)
            out.append(Kind(f"drop {size:g}, {shape}", 12, 0.2, make, "drop", soft=size < 2))
    out.append(Kind("ceiling start, then 4-4.5", 12, 0.2, _ceiling, "ceiling"))
    return out


def _ratings(
    rubric: Rubric,
    rng: random.Random,
    level: float,
    offsets: dict[str, float],
    t: int,
    off: float,
    intake: bool = False,
) -> dict[str, int]:
    review = t % REVIEW_EVERY == 0 or (intake and t == 1)
    asked = rubric.contrasts if review else rotation(rubric, t)
    out = {}
    for c in asked:
        usual = min(5, max(1, round(level + offsets[c.id])))
        if rng.random() < off:
            usual = min(5, max(1, usual + rng.choice((-1, 1))))
        out[c.id] = usual
    return out


@dataclass(frozen=True)
class Run:
    """One series through one model: per answered session, (session, nudge, watch, drifting)."""

    steps: list[tuple[int, bool, bool, bool]]


def _simulate(
    rubric: Rubric, kind: Kind, rng: random.Random, intake: bool = False
) -> tuple[list[tuple[int, dict[str, int]]], Level, int | None]:
    level, onset = kind.make(rng)
    offsets = {c.id: rng.uniform(-0.75, 0.75) for c in rubric.contrasts}
    sessions = []
    for t in range(1, kind.sessions + 1):
        # Never miss the session a drop or dip happens at: it is what is measured.
        if kind.missed and t != onset and rng.random() < kind.missed:
            continue
        sessions.append((t, _ratings(rubric, rng, level(t), offsets, t, kind.off, intake)))
    return sessions, level, onset


def _new(rubric: Rubric, sessions: list[tuple[int, dict[str, int]]]) -> Run:
    group_of = {c.id: c.group for c in rubric.contrasts}
    state = None
    steps = []
    for t, ratings in sessions:
        state, v = drift.step(rubric.drift, state, ratings, group_of)
        steps.append((t, v.nudge, v.watch, v.drifting))
    return Run(steps)


def _old(rubric: Rubric, sessions: list[tuple[int, dict[str, int]]]) -> Run:
    params = legacy_drift.DriftParams()
    state = None
    steps = []
    for t, ratings in sessions:
        state, v = legacy_drift.step(params, state, score(rubric, ratings))
        steps.append((t, v.nudge, False, v.drifting))
    return Run(steps)


def _undipped(
    sessions: list[tuple[int, dict[str, int]]], onset: int | None
) -> list[tuple[int, dict[str, int]]]:
    """The same series without its one-point dip: the dip session's ratings one point up."""
    return [(t, {k: min(5, v + 1) for k, v in r.items()} if t == onset else r) for t, r in sessions]


def _judge(
    kind: Kind, run: Run, level: Level, onset: int | None, tally: Tally, twin: Run | None = None
) -> None:
    nudges = [t for t, n, _w, _d in run.steps if n]
    watches = [t for t, _n, w, _d in run.steps if w]
    tally.series += 1
    tally.nudged += bool(nudges)
    tally.watched += bool(watches)
    # A second drift nudge before re-arming is right only for a new fall: the true level a
    # point or more below the previous session's.
    was, before = False, None
    for t, n, _w, d in run.steps:
        fresh = before is not None and level(t) <= level(before) - 1
        tally.extra += n and was and not fresh
        was, before = d, t
    if onset is None:
        tally.hit += not nudges
        return
    early = any(t < onset for t in nudges + watches)
    tally.early += early
    after = [t for t in nudges if t >= onset]
    if kind.measure == "decline":
        ok = bool(after) and level(after[0]) >= BAND
        if ok and tally.delays is not None:
            tally.delays.append(after[0] - onset)
    elif kind.measure == "drop":
        window = (onset, onset + 1)
        notes = [t for t in watches if t >= onset]
        ok = any(t in window for t in after + (notes if kind.soft else []))
        tally.noted += any(t in window for t in after + notes)
    elif kind.measure == "dip":
        # No drift nudge from the dip: none at it or after it that the same series without
        # the dip (`twin`) does not get too.
        twin_after = [t for t, n, _w, _d in (twin or run).steps if n and t >= onset]
        ok = not after or bool(twin_after)
    else:  # ceiling: a watch note at the first dip, no drift nudge
        ok = onset in watches and not nudges
    tally.hit += ok
    tally.early_hit += ok and early


def run(
    series: int = SERIES, seed: int = 10, old_rule: bool = True, intake: bool = False
) -> list[tuple[Kind, Tally, Tally]]:
    """Every kind through the model (and, unless `old_rule` is False, the old rule).
    `intake`: a what-if, not the issue's measurement: session 1 asks all sixteen contrasts."""
    rubric = load_rubric()
    rows = []
    for i, kind in enumerate(kinds()):
        rng = random.Random(seed * 1000 + i)
        new, old = Tally(delays=[]), Tally(delays=[])
        for _ in range(series):
            sessions, level, onset = _simulate(rubric, kind, rng, intake)
            twins = (None, None)
            if kind.measure == "dip":
                twin = _undipped(sessions, onset)
                twins = (_new(rubric, twin), _old(rubric, twin) if old_rule else None)
            _judge(kind, _new(rubric, sessions), level, onset, new, twins[0])
            if old_rule:
                _judge(kind, _old(rubric, sessions), level, onset, old, twins[1])
        rows.append((kind, new, old))
    return rows


_MEANING = {
    "stable": "no drift nudge",
    "dip": "no drift nudge from the dip (at or after it, and not in the same series without it)",
    "decline": "nudged before the band",
    "drop": "nudged at drop or next",
    "ceiling": "watch note at the dip",
}


def _delay(t: Tally) -> str:
    return f"{statistics.median(t.delays):4.1f}" if t.delays else "   -"


def report(
    rows: list[tuple[Kind, Tally, Tally]], series: int = SERIES, seed: int = 10
) -> list[str]:
    head = (
        f"{'kind':<27} {'drift':>6} {'watch':>6} {'hit':>6} {'early>hit':>10} "
        f"{'onset>n':>7} {'x/ep':>4} | {'old drift':>9} {'old hit':>7} {'onset>n':>7}"
    )
    lines = [
        f"signal: {series} series per kind, seed {seed}; drift/watch = series with a drift "
        "nudge / a watch note",
        "  hit = " + "; ".join(f"{k}: {v}" for k, v in _MEANING.items()) + ";",
        "  drop 1.5: a watch note also counts. early>hit = hits among series with a nudge or "
        "note before the onset; onset>n = median sessions from onset to nudge; x/ep = "
        "extra nudges within an episode",
        head,
        "-" * len(head),
    ]
    for kind, new, old in rows:
        early = f"{new.early_hit}/{new.early}" if new.early else "-"
        lines.append(
            f"{kind.name:<27} {new.pct(new.nudged)} {new.pct(new.watched)} {new.pct(new.hit)} "
            f"{early:>10} {_delay(new):>7} {new.extra:>4} | {old.pct(old.nudged):>9} "
            f"{old.pct(old.hit):>7} {_delay(old):>7}"
        )
    return [*lines, "", *targets(rows)]


# The targets (20% of items off unless named): (what, kinds pooled, measure, target).
# measure: "drift" = share of series with a drift nudge (at most the target), "hit" = share
# that are a hit (at least the target), "early" = hits among series with a nudge or note
# before the onset, "extra" = drift nudges within one episode (a count; at most the target),
# "noted" = a drift nudge or a watch note at the drop or next (shown with no target: None).
TARGETS = (
    ("false drift nudges, stable 12 sessions", ("stable 12, 20% off",), "drift", 3.0),
    ("the same, 40% of items off", ("stable 12, 40% off",), "drift", 8.0),
    ("drift nudges from one one-point dip of every item", ("one-point dip, exact",), "miss", 0.0),
    ("declines of 0.25 nudged before the band", ("decline 0.25/session",), "hit", 95.0),
    ("declines of 0.35 nudged before the band", ("decline 0.35/session",), "hit", 95.0),
    ("declines of 0.15 nudged within 12 sessions", ("decline 0.15/session",), "hit", 80.0),
    # Drops of 2+ of every shape, as the issue words the target; then by shape: a drop that
    # is back the very next session (blip) can be nudged only at the drop itself, from one
    # low session, which the issue's own evidence says warrants a gentle note; so its watch
    # notes are shown too, with no target of their own (the drift target stays as it is).
    ("drops of 2+, every shape: nudged at drop or next", _DROPS_2 + _BLIPS, "hit", 97.0),
    ("... after an earlier nudge or watch note", _DROPS_2 + _BLIPS, "early", 97.0),
    ("... staying down or recovering over sessions", _DROPS_2, "hit", 97.0),
    ("... the same, after an earlier nudge or note", _DROPS_2, "early", 97.0),
    ("... back the very next session (blip)", _BLIPS, "hit", 97.0),
    ("... blip: a watch note or drift nudge at the drop", _BLIPS, "noted", None),
    ("drops of 1.5: watch note or nudge", ("drop 1.5, stays", "drop 1.5, recovers"), "hit", 90.0),
    ("extra drift nudges within an episode (count)", None, "extra", 0.0),
)


def targets(rows: list[tuple[Kind, Tally, Tally]]) -> list[str]:
    """One line per target of the issue: the new model's figure, the target, the old rule's."""
    lines = [f"{'target':<50} {'new':>7} {'target':>8} {'':>4} {'old':>7}"]
    for what, names, measure, goal in TARGETS:
        chosen = [(n, o) for k, n, o in rows if names is None or k.name in names]
        new, old = (_measure(measure, [pair[i] for pair in chosen]) for i in (0, 1))
        ok = _met(measure, new, goal)
        verdict = "" if ok is None else "ok" if ok else "MISS"
        if measure == "extra":
            shown, aim, was = f"{new:7.0f}", f"<= {goal:g}", "    -"
        else:
            shown, was = f"{new:6.1f}%", f"{old:6.1f}%"
            aim = "-" if goal is None else f"{_sign(measure)} {goal:g}%"
        lines.append(f"{what:<50} {shown:>7} {aim:>8} {verdict:>4} {was:>7}")
    return lines


def _sign(measure: str) -> str:
    """How a measure meets its target: at least (hit rates) or at most (nudges, counts)."""
    return ">=" if measure in ("hit", "early") else "<="


def _met(measure: str, value: float, goal: float | None) -> bool | None:
    """Whether `value` meets the target (None: shown with no target)."""
    if goal is None:
        return None
    return value >= goal if _sign(measure) == ">=" else value <= goal


def seeds(series: int, chosen: list[int], intake: bool = False) -> list[str]:
    """The targets' lines for the model on several seeds side by side: how much of a figure
    is the seed (`python -m bench signal --seeds 10,11,12`; `--intake`: the what-if of a
    first session that asks all sixteen contrasts)."""
    columns = [_figures(run(series, seed, old_rule=False, intake=intake)) for seed in chosen]
    what_if = "; WHAT-IF: session 1 asks all sixteen contrasts" if intake else ""
    lines = [
        f"signal targets: {series} series per kind, seeds {', '.join(map(str, chosen))}{what_if}",
        f"{'target':<50} {'target':>8} " + " ".join(f"{f'seed {s}':>12}" for s in chosen),
    ]
    for i, (what, _names, measure, goal) in enumerate(TARGETS):
        aim = "-" if goal is None else f"{_sign(measure)} {goal:g}"
        lines.append(f"{what:<50} {aim:>8} " + " ".join(f"{col[i]:>12}" for col in columns))
    return lines


def _figures(rows: list[tuple[Kind, Tally, Tally]]) -> list[str]:
    """Each target's figure for the model, marked when it misses."""
    out = []
    for _what, names, measure, goal in TARGETS:
        value = _measure(measure, [n for k, n, _o in rows if names is None or k.name in names])
        shown = f"{value:.0f}" if measure == "extra" else f"{value:.1f}%"
        out.append(f"{'MISS ' if _met(measure, value, goal) is False else ''}{shown}")
    return out


def _measure(measure: str, tallies: list[Tally]) -> float:
    total = sum(t.series for t in tallies)
    if measure == "extra":
        return float(sum(t.extra for t in tallies))
    if measure == "noted":
        return 100 * sum(t.noted for t in tallies) / total
    if measure == "drift":
        return 100 * sum(t.nudged for t in tallies) / total
    if measure == "miss":
        return 100 * sum(t.series - t.hit for t in tallies) / total
    if measure == "early":
        early = sum(t.early for t in tallies)
        return 100 * sum(t.early_hit for t in tallies) / early if early else 100.0
    return 100 * sum(t.hit for t in tallies) / total


# One change at a time around rubric.yaml's values (docs/signal.md, "How each parameter was
# chosen"): `python -m bench signal --sweep`.
SWEEP = (
    "",
    "z=1.645",
    "z=2.33",
    "lam=0.35",
    "lam=0.55",
    "trend_points=0.5",
    "trend_points=0.7",
    "fall_points=1.0",
    "fall_points=1.5",
    "dip_points=0.5",
    "dip_points=1.0",
    "unknown_share=0.0",
    "unknown_share=1.0",
    "watch_points=0.5",
    "watch_points=1.0",
    "baseline_sessions=2",
    "baseline_sessions=4",
    "spread=0.55",
    "spread=0.75",
    "item_memory=1",
    "item_memory=3",
    "noise=0.35",
    "noise=0.55",
    "rearm_sessions=1",
    "rearm_sessions=3",
    "trend_lead_points=0.3",
    "trend_lead_points=0.45",
    "noise_power=1.0",
    "noise_power=2.0",
    "ceiling_move=0.25",
    "ceiling_move=1.0",
)
SWEPT = (
    "stable 12, 20% off",
    "stable 12, 40% off",
    "one-point dip, exact",
    "decline 0.15/session",
    "decline 0.25/session",
    "decline 0.35/session",
    "drop 1.5, recovers",
    "drop 2, recovers",
    "drop 2, blip",
    "ceiling start, then 4-4.5",
)


def sweep(series: int = 800, seed: int = 77) -> list[str]:
    """The hit rate of the swept kinds for each one-parameter change."""
    rubric = load_rubric()
    chosen = [(i, k) for i, k in enumerate(kinds()) if k.name in SWEPT]
    lines = ["change".ljust(22) + " ".join(f"{k.name[:11]:>11}" for _, k in chosen)]
    for change in SWEEP:
        name, _, value = change.partition("=")
        params = rubric.drift
        if name:
            params = replace(params, **{name: type(getattr(params, name))(value)})
        tuned = replace(rubric, drift=params)
        hits = []
        for i, kind in chosen:
            rng, tally = random.Random(seed + i), Tally(delays=[])
            for _ in range(series):
                sessions, level, onset = _simulate(tuned, kind, rng)
                twin = _new(tuned, _undipped(sessions, onset)) if kind.measure == "dip" else None
                _judge(kind, _new(tuned, sessions), level, onset, tally, twin)
            hits.append(tally.pct(tally.hit))
        lines.append((change or "(rubric.yaml)").ljust(22) + " ".join(f"{h:>11}" for h in hits))
    return lines
