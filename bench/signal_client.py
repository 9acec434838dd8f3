"""The two-view rows of `python -m bench signal`: the client's own series and the gap between
the two views, judged by the service's own code (`bot.core.client.answered`, which steps
`bot.core.drift.step` with rubric.yaml's `drift.client` parameters). docs/signal.md ("The
client's series") explains the rows.

A client answers four questions a session (one per group and "did today help"), the same
four every time. Each question sits at its own offset within +/-0.5 of the client's level
(clients' four answers sit closer together than sixteen contrasts); a share of answers
(`off`) is one point off at random. The practitioner's view of the same session is
simulated as bench/signal.py does (the three rotating contrasts and "Am I being helpful?"),
at the practitioner's own level.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.signal import SERIES, Tally, _ceiling, _decline, _dip, _drop, _stable
from bot.core import client as core
from bot.core.models import SESSION, Summary
from bot.core.rubric import Rubric, load_rubric
from bot.core.scoring import rotation, score

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
Level = Callable[[int], float]


@dataclass(frozen=True)
class ClientKind:
    name: str
    sessions: int
    off: float
    make: Callable[[random.Random], tuple[Level, int | None]]  # the client's level, onset
    measure: str  # stable | decline | drop | dip | ceiling | gap | nogap
    gap: Callable[[int], float] = lambda _t: 0.0  # practitioner minus client, by session
    soft: bool = False


def _lower(rng: random.Random) -> tuple[Level, int | None]:
    """A client steady at 3.2-3.6: room for a practitioner 1.5 points above."""
    level = rng.uniform(3.2, 3.6)
    return (lambda _t: level), None


def kinds() -> list[ClientKind]:
    out = []
    for off in (0.0, 0.2, 0.4):
        out.append(ClientKind(f"client stable 12, {off:.0%} off", 12, off, _stable, "stable"))
    out.append(ClientKind("client one-point dip", 12, 0.2, _dip, "dip"))
    for rate in (0.15, 0.25, 0.35):
        out.append(ClientKind(f"client decline {rate:.2f}", 12, 0.2, _decline(rate), "decline"))
    for size, shape in ((1.5, "recovers"), (2.0, "recovers"), (2.0, "blip")):
        out.append(
            ClientKind(f"client drop {size:g}, {shape}", 12, 0.2, _drop(size, shape), "drop")
        )
    out.append(ClientKind("client ceiling, then 4-4.5", 12, 0.2, _ceiling, "ceiling"))
    steady = {"views agree": 0.0, "gap 0.5": 0.5, "gap 1.5": 1.5}
    for label, size in steady.items():
        measure = "gap" if size >= 1 else "nogap"
        out.append(ClientKind(f"{label}, steady", 12, 0.2, _lower, measure, lambda _t, g=size: g))
    out.append(
        ClientKind(
            "gap 1.5 for one session", 12, 0.2, _lower, "nogap", lambda t: 1.5 if t == 6 else 0
        )
    )
    return out


def _client_ratings(
    rng: random.Random, level: float, offsets: dict[str, float], off: float
) -> dict[str, int]:
    out = {}
    for qid, offset in offsets.items():
        usual = min(5, max(1, round(level + offset)))
        if rng.random() < off:
            usual = min(5, max(1, usual + rng.choice((-1, 1))))
        out[qid] = usual
    return out


def _practitioner(
    rubric: Rubric, rng: random.Random, level: float, offsets: dict[str, float], t: int
) -> Summary:
    ratings = {}
    for c in rotation(rubric, t):
        usual = min(5, max(1, round(level + offsets[c.id])))
        if rng.random() < 0.2:
            usual = min(5, max(1, usual + rng.choice((-1, 1))))
        ratings[c.id] = usual
    s = score(rubric, ratings)
    helpful = min(5, max(1, round(level)))
    return Summary(t, SESSION, t, T0 + timedelta(weeks=t), s.overall, dict(s.groups), helpful)


def _series(rubric: Rubric, kind: ClientKind, rng: random.Random) -> tuple[list, Level, int | None]:
    """[(session, verdict)] through the service's code, the client's level, the onset."""
    level, onset = kind.make(rng)
    groups = core.group_of(rubric)
    params = rubric.client_drift or rubric.drift
    c_offsets = {q: rng.uniform(-0.5, 0.5) for q in groups}
    p_offsets = {c.id: rng.uniform(-0.75, 0.75) for c in rubric.contrasts}
    series, summaries, steps = core.ClientSeries(), [], []
    for t in range(1, kind.sessions + 1):
        client_level = level(t)
        mine = min(5.0, client_level + kind.gap(t)) if kind.gap(t) else client_level
        summaries.append(_practitioner(rubric, rng, mine, p_offsets, t))
        point = core.ClientPoint(
            t, T0 + timedelta(weeks=t), _client_ratings(rng, client_level, c_offsets, kind.off)
        )
        series, verdict = core.answered(params, groups, series, point, summaries)
        steps.append((t, verdict))
    return steps, level, onset


def _judge(kind: ClientKind, steps: list, level: Level, onset: int | None, tally: Tally) -> None:
    falls = [t for t, v in steps if v.nudge == core.FALLS]
    rooms = [t for t, v in steps if v.nudge == core.ROOM]
    gaps = [t for t, v in steps if v.nudge == core.GAP]
    tally.series += 1
    tally.nudged += bool(falls)
    tally.watched += bool(gaps)
    tally.extra += bool(rooms)  # (here: series with a room-to-grow note)
    if kind.measure in ("stable", "nogap"):
        ok = not falls and (kind.measure == "stable" or not gaps)
    elif kind.measure == "gap":
        ok = bool(gaps) and gaps[0] <= 3 and not falls
    elif kind.measure == "dip":
        ok = onset not in falls
    elif kind.measure == "decline":
        after = [t for t in falls if t >= (onset or 0)]
        ok = bool(after) and level(after[0]) >= 2.6
        if ok and tally.delays is not None:
            tally.delays.append(after[0] - (onset or 0))
    elif kind.measure == "drop":
        ok = any(t in (onset, (onset or 0) + 1) for t in falls)
    else:  # ceiling: room to grow at the first dip, no fall
        ok = onset in rooms and not falls
    tally.hit += ok


_MEANING = {
    "stable": "no falls nudge",
    "views agree / gap 0.5 / one session": "no gap nudge, no falls nudge",
    "gap 1.5 steady": "gap nudge by session 3",
    "dip": "no falls nudge at the dip",
    "decline": "falls nudge before 2.6 points",
    "drop": "falls nudge at the drop or next",
    "ceiling": "room to grow at the dip",
}


def run(series: int = SERIES, seed: int = 10) -> list[tuple[ClientKind, Tally]]:
    rubric = load_rubric()
    rows = []
    for i, kind in enumerate(kinds()):
        rng = random.Random(seed * 1000 + 500 + i)
        tally = Tally(delays=[])
        for _ in range(series):
            steps, level, onset = _series(rubric, kind, rng)
            _judge(kind, steps, level, onset, tally)
        rows.append((kind, tally))
    return rows


def report(rows: list[tuple[ClientKind, Tally]], series: int = SERIES, seed: int = 10) -> list[str]:
    head = f"{'two views':<30} {'falls':>6} {'gap':>6} {'room':>6} {'hit':>6} {'onset>n':>7}"
    lines = [
        "",
        f"signal, the client's series and the gap: {series} series per kind, seed {seed};"
        " falls/gap/room = series with that nudge",
        "  hit = " + "; ".join(f"{k}: {v}" for k, v in _MEANING.items()),
        head,
        "-" * len(head),
    ]
    for kind, t in rows:
        delay = f"{sorted(t.delays)[len(t.delays) // 2]:4.1f}" if t.delays else "   -"
        lines.append(
            f"{kind.name:<30} {t.pct(t.nudged)} {t.pct(t.watched)} {t.pct(t.extra)} "
            f"{t.pct(t.hit)} {delay:>7}"
        )
    return lines
