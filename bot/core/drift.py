"""Drift toward transactional, per relationship, judged on the ratings themselves.

A check-in asks three contrasts (one per group, rotating), a review all sixteen, and each is
rated 1..5. Contrasts sit at their own levels for the same relationship, and a practitioner
strays a point now and then. So this model works in rating points, item by item:

- The relationship's own level ``base`` is the mean rating of its first
  ``baseline_sessions`` sessions (from the third, a session that fell ``fall_points`` is not
  folded in);
  while it is being set, ``shift`` is re-expressed against it each time it moves.
- Each contrast keeps its own reference: the mean of its first ``item_memory`` ratings, each
  taken back to the baseline by the shift estimated at the time. Once a contrast has come
  round again, its deviation is ``rating - reference`` (variance ``noise^2 * (1 + 1/m)``
  for m ratings behind the reference); before that it is ``rating - base``, which also
  carries the contrast's unknown offset (``spread^2``) and the error of ``base``.
- A session's deviation ``D`` is the information-weighted mean of its items' deviations
  (weight = 1/variance), with variance ``V``: a review (sixteen items) tells far more than a
  check-in (three), and an item compared with itself more than one compared with the base.
  ``z = D / sqrt(V)`` is the reliable-change statistic.
- ``shift`` is an EWMA of the sessions' deviations (weight ``lambda`` for the newest): where
  the relationship sits now against its start. Its variance follows from the sessions'
  variances, with the error of ``base`` counted once (it is shared by every session that
  compares new items with it), so a review's steadier reading makes it reliable sooner.

Signals on each session (after the first):

- ``low``:   ``z <= -z`` and ``D <= -watch_points``: one reliably low session, once the
  start is set (after ``baseline_sessions``: "after a stable run").
- ``drop``:  a low session at least ``fall_points`` below where the relationship stood, and
  reliably more than a dip: by ``dip_points`` on contrasts compared with themselves, by a
  whole point on contrasts not known yet (one may sit a point low and read a dip as two)
  and on a fresh drop mid-episode: drift at once. It stood at its start; during
  a drift episode, at the lower of its start and its running level, or at the previous
  session if that was low and lower still (a fresh drop: it opens a new episode and is
  nudged too); after a low session not below the running level it is the same episode.
  Mid-episode the variance is scaled up by the relationship's own noise (``spread2``, the
  discounted spread of known contrasts around their session, against the model's) to the
  power ``noise_power``: a decline with many stray points reads two points down now and
  then, a real fall moves every contrast together.
- ``fall``:  the session after a low one is reliably down too (the dip was not made up).
- ``trend``: ``shift <= -trend_points`` and reliably below zero: a sustained decline (it
  was already half-way down before this session; before a first low session,
  ``trend_lead_points`` down).
- ``cutoff``: the estimated level ``base + shift`` is in the transactional band (this works
  from the first session).
- ``ceiling``: every rating so far was 5 for at least two sessions, and this
  session dips below (not as far as a drift rule): room to grow, a watch note. A perfect
  start says little about the level (ratings cannot go higher), so the start moves
  ``ceiling_move`` of the way to this session (its weight and the contrasts' references
  kept, moved alike), and until that watch episode ends the sessions that follow still
  set it (no ``low`` note, only a fall of ``fall_points`` held out), as the first ones do.

One session alone is a drift nudge only as a ``drop``: a first low session read mostly
against contrasts not known yet (``unknown_share`` of its weight), or after a session not
already half-way down (``last``), does not start a trend or reach the band, and what a
low session left in the shift does not start a trend on the session that makes it up. So
a one-point dip of every item is a watch note at most.

A drift rule opens a drift *episode* and sends its one drift nudge; ``low`` or ``ceiling``
(without a drift rule) opens a watch episode and sends one softer watch note. An episode
ends after ``rearm_sessions`` calm sessions in a row (no signal, and ``shift`` back within
``rearm_points`` of the start); then the next one can nudge again. A drift rule firing
during a watch episode still nudges: the watch note is the weaker message.

The verdict names the group that fell most (each group keeps its own discounted shift) or,
with none yet, the lowest group of the session.

The state is small and fixed in size: a dozen numbers, two per item (sixteen items at most
for the rubric), two per group. Nothing re-reads old check-ins.

The model does not know about the rubric: `step` takes ratings keyed by item id and the group
of each item, so any short series of 1..5 ratings (e.g. a client's own ratings) can be
judged by it. docs/signal.md has the method, the figures and how each parameter was chosen;
`python -m bench signal` reproduces them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.rubric import DriftParams

STATE_VERSION = 2
TOP = 5  # the highest rating: a ceiling start is every rating at TOP
CEILING_SESSIONS = 2  # perfect sessions that make a ceiling start
ONE_POINT = 1.0  # one step of the rating scale: what a one-point dip moves an item
ALWAYS_START = 2  # the first sessions always set the start (none is held out as fallen)
# Known contrasts from which a session's spread counts as a review's in the relationship's
# own noise (`review_noise_weight` instead of `noise_weight`).
REVIEW_ITEMS = 6

DROP, FALL, TREND, CUTOFF = "drop", "fall", "trend", "cutoff"
LOW, CEILING = "low", "ceiling"
DRIFT, WATCH = "drift", "watch"


def points(score: float) -> float:
    """An overall score (0..1) as a rating (1..5)."""
    return 1 + 4 * score


@dataclass(frozen=True)
class DriftState:
    """What drift detection remembers about one relationship (JSON-safe, bounded size)."""

    sessions: int = 0  # sessions with ratings seen so far
    base: float = 0.0  # mean rating of the baseline sessions
    base_n: int = 0  # items behind `base`
    items: Mapping[str, tuple[float, int]] = field(default_factory=dict)  # id -> (ref, m)
    groups: Mapping[str, tuple[float, float]] = field(
        default_factory=dict
    )  # id -> discounted (sum, count)
    shift: float = 0.0  # EWMA of the sessions' deviations: where it sits against its start
    shift_var: float = 0.0  # its variance from the sessions' own noise
    shift_base: float = 0.0  # its share that rests on `base` (an error there is shared)
    low: bool = False  # the previous session was reliably low
    last: float = 0.0  # the previous session's deviation, points
    ceiling: bool = True  # every rating so far was TOP
    episode: str | None = None  # "drift:<rule>" | "watch:<reason>" | None (armed)
    calm: int = 0  # calm sessions in a row during an episode
    spread2: float = 0.0  # discounted variance of known contrasts around their session (0: none)

    def shift_sd(self, params: DriftParams) -> float:
        return math.sqrt(self.shift_var + self.shift_base**2 * _base_var(params, self))

    @property
    def settling(self) -> bool:
        """A ceiling note's watch episode is open: the start is still being set."""
        return self.episode == f"{WATCH}:{CEILING}"

    @property
    def drifting(self) -> bool:
        return self.episode is not None and self.episode.startswith(DRIFT)

    @property
    def watching(self) -> bool:
        return self.episode is not None and self.episode.startswith(WATCH)

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "sessions": self.sessions,
            "base": [round(self.base, 6), self.base_n],
            "items": {k: [round(r, 6), m] for k, (r, m) in self.items.items()},
            "groups": {k: [round(a, 6), round(b, 6)] for k, (a, b) in self.groups.items()},
            "shift": [round(self.shift, 6), round(self.shift_var, 6), round(self.shift_base, 6)],
            "low": self.low,
            "last": round(self.last, 6),
            "ceiling": self.ceiling,
            "episode": self.episode,
            "calm": self.calm,
            "spread2": round(self.spread2, 6),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftState:
        if data.get("v") != STATE_VERSION:
            return _from_v1(data)
        base, base_n = data["base"]
        shift, shift_var, shift_base = data["shift"]
        episode = data.get("episode")
        if episode is not None and not isinstance(episode, str):
            raise TypeError("drift episode must be text")
        return cls(
            sessions=int(data["sessions"]),
            base=float(base),
            base_n=int(base_n),
            items={str(k): (float(r), int(m)) for k, (r, m) in data.get("items", {}).items()},
            groups={str(k): (float(a), float(b)) for k, (a, b) in data.get("groups", {}).items()},
            shift=float(shift),
            shift_var=float(shift_var),
            shift_base=float(shift_base),
            low=bool(data.get("low", False)),
            last=float(data.get("last", shift)),  # stored before it was kept: the shift
            ceiling=bool(data.get("ceiling", False)),
            episode=episode,
            calm=int(data.get("calm", 0)),
            spread2=float(data.get("spread2", 0.0)),  # stored before it was kept: none yet
        )


def _from_v1(data: Mapping[str, Any]) -> DriftState:
    """The state the old rule stored (overall scores, no item ratings).

    Its baseline overall scores become the relationship's level, its running mean the
    running shift, its episode stays open (a relationship mid-episode stays mid-episode and
    is not nudged again for it, unless a fresh drop comes), and the items' own references
    are learned from the next sessions."""
    baseline = [float(x) for x in data.get("baseline", ())]
    episode = data.get("episode")
    start = sum(baseline) / len(baseline) if baseline else 0.0
    shift = 4 * (float(data.get("ewma", start)) - start) if baseline else 0.0
    return DriftState(
        sessions=int(data.get("sessions", 0)),
        base=points(start) if baseline else 0.0,
        base_n=3 * len(baseline),  # three items a session stood behind each old score
        shift=shift,
        shift_var=_V1_SHIFT_VAR if baseline else 0.0,
        ceiling=bool(baseline) and min(baseline) >= 1.0,
        episode=f"{DRIFT}:{episode}" if isinstance(episode, str) else None,
        calm=int(data.get("calm", 0)),
    )


# The old rule kept no variance: that of a running mean of 3-item check-ins (lambda 0.4,
# noise 0.45) once settled, lambda / (2 - lambda) * noise^2 / 3.
_V1_SHIFT_VAR = 0.25 * 0.45**2 / 3


@dataclass(frozen=True)
class DriftVerdict:
    drifting: bool
    nudge: bool  # True only on the session that opens a new drift episode
    rule: str | None  # drift rule firing now, else the one that opened the episode
    group: str | None  # the group id that fell most (when drifting or watched)
    overall: float | None  # the session's mean rating, 1..5
    watch: bool = False  # send a watch note (opens a watch episode; never with `nudge`)
    reason: str | None = None  # "low" | "ceiling": why the watch note


_QUIET = DriftVerdict(drifting=False, nudge=False, rule=None, group=None, overall=None)


def _base_var(p: DriftParams, s: DriftState) -> float:
    return (p.noise**2 + p.spread**2) / s.base_n if s.base_n else math.inf


@dataclass(frozen=True)
class _Session:
    d: float  # information-weighted deviation from the relationship's own level, points
    var: float  # its variance, all told
    own_var: float  # its variance without the error of `base`
    on_base: float  # the share of its weight that rests on `base`
    by_group: dict[str, float]  # each group's mean deviation this session
    mean: float  # plain mean rating


def _session(
    p: DriftParams, s: DriftState, ratings: Mapping[str, int], group_of: Mapping[str, str]
) -> _Session:
    noise2, spread2 = p.noise**2, p.spread**2
    wsum = wd = wnew = 0.0
    per_group: dict[str, list[float]] = {}
    for item, rating in ratings.items():
        known = s.items.get(item)
        if known is not None:
            ref, m = known
            w = 1 / (noise2 * (1 + 1 / m))
        else:
            ref, w = s.base, 1 / (noise2 + spread2)
            wnew += w
        wsum += w
        wd += w * (rating - ref)
        per_group.setdefault(group_of.get(item, item), []).append(rating - ref)
    # New items share one base, so its error does not shrink with their number.
    on_base = wnew / wsum
    return _Session(
        d=wd / wsum,
        var=1 / wsum + (on_base**2 * _base_var(p, s) if on_base else 0.0),
        own_var=1 / wsum,
        on_base=on_base,
        by_group={g: sum(v) / len(v) for g, v in per_group.items()},
        mean=sum(ratings.values()) / len(ratings),
    )


def _fell(p: DriftParams, s: DriftState, x: _Session) -> bool:
    """A drop: at least `fall_points` below where the relationship stood, and reliably more
    than a dip of `dip_points`. It stood at its start or, during a drift episode, at the
    lower of its start and its running level: so a fresh fall after a slower decline or a
    false alarm had calmed is a new drop."""
    ref = min(0.0, s.shift) if s.drifting else 0.0
    fall = x.d - ref
    var = x.var + (s.shift_var if ref < 0 else 0.0)
    if s.drifting:
        # A fresh drop right after a low session below the running level (a false alarm's
        # second session, an episode's level that has not caught up): measured from that
        # session, with the running level's error (each such session moves it).
        if s.low and s.last < ref:
            fall, var = x.d - s.last, x.var + s.shift_var
        # Mid-episode the margin grows with the noise this relationship has shown: a
        # decline with many stray points reads two points down now and then; a real fall
        # moves every contrast together.
        var *= max(1.0, s.spread2 / (p.noise**2 * (1 + 1 / p.item_memory))) ** p.noise_power
    # Contrasts compared with themselves read a one-point dip as one point (below
    # `fall_points`), so `dip_points` is margin enough; contrasts not known yet may sit a
    # point low and read it as two, so on them, and on a fresh fall mid-episode, the margin
    # is a whole point.
    dip = ONE_POINT if s.drifting else p.dip_points + x.on_base * max(0.0, ONE_POINT - p.dip_points)
    return fall <= -p.fall_points and fall + dip <= -p.z * math.sqrt(var)


def _is_low(p: DriftParams, x: _Session) -> bool:
    """Reliably low: at least `watch_points` down and past `z` standard errors."""
    return x.d <= -p.watch_points and x.d <= -p.z * math.sqrt(x.var)


def _signals(p: DriftParams, s: DriftState, x: _Session, new: DriftState) -> list[str]:
    """The signals this session raises, strongest first (`new`: the state with it folded in)."""
    shift, sd = new.shift, new.shift_sd(p)
    found: list[str] = []
    band = points(p.cutoff)
    if s.sessions == 0:
        return [CUTOFF] if x.mean < band else []
    z = x.d / math.sqrt(x.var)
    low = _is_low(p, x)
    # During a drift episode a drop counts only after a session that was not low: while it
    # keeps falling (a decline, a drop that stays down) it is the same episode.
    # During a drift episode, after a low session that was not below the running level (a
    # drop that stays down, a decline going on), it is the same episode: no fresh drop.
    if low and _fell(p, s, x) and not (s.drifting and s.low and s.last >= min(0.0, s.shift)):
        found.append(DROP)
    # The dip was not made up: the session after it is reliably down too.
    if s.low and x.d <= -p.watch_points / 2 and z <= -p.z:
        found.append(FALL)
    # One low session is a watch note at most unless it is a drop. Read mostly against
    # contrasts not known yet, its dip alone may not take the running level past the trend
    # or into the band; nor may what it left in the running level once it is made up.
    # A decline is down the session before too; a dip comes after one that was not.
    single = low and not s.low and (x.on_base >= p.unknown_share or s.last > -p.trend_points / 2)
    made_up = s.low and not low
    # Sustained: it was already half-way down before this session, so one dip is not a trend;
    # before a first low session, `trend_lead_points` down: the sessions before it compared
    # contrasts rated for the first time with the start, whose own error can leave the shift
    # a third of a point low with nothing changed.
    lead = p.trend_lead_points if low and not s.low else p.trend_points / 2
    if (
        shift <= -p.trend_points
        and shift / sd <= -p.z
        and s.shift <= -lead
        and not (single or made_up)
    ):
        found.append(TREND)
    if new.base + shift < band and (not single or s.base + s.shift < band):
        found.append(CUTOFF)
    if s.ceiling and s.sessions >= CEILING_SESSIONS and x.mean < TOP:
        found.append(CEILING)
    # A low session is one after a stable run: while the start is still being set, a
    # session below the first ones is part of where the relationship starts.
    if low and not _setting_start(p, s):
        found.append(LOW)
    return found


def _learn(
    p: DriftParams, s: DriftState, ratings: Mapping[str, int], x: _Session, low: bool
) -> DriftState:
    """Fold this session into the state (signals and episodes are set by the caller)."""
    lam, decay = p.lam, 1 - p.lam
    shift = lam * x.d + decay * s.shift
    shift_var = lam**2 * x.own_var + decay**2 * s.shift_var
    shift_base = lam * x.on_base + decay * s.shift_base
    if s.sessions == 0:  # the first session defines the start: no shift yet
        shift = shift_var = shift_base = 0.0
    base, base_n = s.base, s.base_n
    if _setting_start(p, s) and not low:
        n = len(ratings)
        base = (base * base_n + sum(ratings.values())) / (base_n + n)
        base_n += n
        # The shift is where it sits against the start: when the start moves, so does the
        # shift (else the first sessions, compared with a start of fewer items, leave it off).
        if s.sessions:
            shift += s.base - base
        # After a ceiling note the start is not known from above: until that watch episode
        # ends, the sessions that follow still set it (the contrasts' references move with it).
        if s.settling:
            s = _moved(s, base - s.base)
    items = dict(s.items)
    for item, rating in ratings.items():
        ref, m = items.get(item, (0.0, 0))
        if m < p.item_memory:
            items[item] = ((ref * m + rating - shift) / (m + 1), m + 1)
    groups = dict(s.groups)
    for g, dev in x.by_group.items():
        a, b = groups.get(g, (0.0, 0.0))
        groups[g] = (decay * a + dev, decay * b + 1)  # a discounted mean of its deviations
    return DriftState(
        spread2=_spread2(p, s, ratings),
        sessions=s.sessions + 1,
        base=base,
        base_n=base_n,
        items=items,
        groups=groups,
        shift=shift,
        shift_var=shift_var,
        shift_base=shift_base,
        low=low,
        last=x.d if s.sessions else 0.0,
        ceiling=s.ceiling and x.mean >= TOP,
        episode=s.episode,
        calm=s.calm,
    )


def _setting_start(p: DriftParams, s: DriftState) -> bool:
    """The start is still being set: its first sessions, and after a ceiling note until that
    watch episode ends (a perfect start is not known from above)."""
    return s.sessions < p.baseline_sessions or s.settling


def _spread2(p: DriftParams, s: DriftState, ratings: Mapping[str, int]) -> float:
    """The relationship's own noise: the discounted variance of known contrasts' deviations
    around their session's mean (a decline or a drop moves them all alike; stray points and
    references learned off the level do not)."""
    devs = [rating - s.items[item][0] for item, rating in ratings.items() if item in s.items]
    if len(devs) < 2:
        return s.spread2
    mean = sum(devs) / len(devs)
    var = sum((d - mean) ** 2 for d in devs) / (len(devs) - 1)
    if not s.spread2:
        return var
    w = p.review_noise_weight if len(devs) >= REVIEW_ITEMS else p.noise_weight
    return (1 - w) * s.spread2 + w * var


def _moved(s: DriftState, by: float) -> DriftState:
    """The same state with its start and every contrast's reference moved `by` points."""
    items = {k: (ref + by, m) for k, (ref, m) in s.items.items()}
    return replace(s, base=s.base + by, items=items)


def _rebase(
    p: DriftParams,
    s: DriftState,
    ratings: Mapping[str, int],
    group_of: Mapping[str, str],
    x: _Session,
) -> DriftState:
    """A perfect start says little about the level (ratings cannot go above it), so at its
    first dip the start moves `ceiling_move` of the way to this session: its weight and the
    contrasts' references are kept, moved by the same amount, so a drop soon after is judged
    against a start of several sessions, not one; the sessions until that watch episode
    ends still set it (see `_setting_start`)."""
    moved = replace(_moved(s, p.ceiling_move * x.d), shift=0.0, shift_var=0.0, shift_base=0.0)
    y = _session(p, moved, ratings, group_of)
    return replace(_learn(p, moved, ratings, y, low=False), ceiling=False, last=0.0)


# Groups within this many points of each other fell alike: naming one would be a guess.
EVEN_POINTS = 0.25


def _worst_group(state: DriftState, x: _Session) -> str | None:
    """The group that fell most, or None when every group fell about alike."""
    means = {g: a / b for g, (a, b) in state.groups.items()} or dict(x.by_group)
    if not means:
        return None
    worst = min(means, key=lambda g: means[g])
    others = [v for g, v in means.items() if g != worst]
    return worst if not others or min(others) - means[worst] >= EVEN_POINTS else None


def _episode(
    p: DriftParams,
    before: DriftState,
    after: DriftState,
    found: list[str],
    drift_rule: str | None,
    watch_reason: str | None,
) -> tuple[str | None, int, bool, bool]:
    """The episode after this session, its calm count, and whether to nudge or to note."""
    episode, calm = before.episode, before.calm
    # A drop during a drift episode is a fresh fall below where it stood (see `_signals`):
    # it ends that episode and opens its own, so it is nudged too.
    if drift_rule and (not before.drifting or drift_rule == DROP):
        return f"{DRIFT}:{drift_rule}", 0, True, False
    if watch_reason and episode is None:
        return f"{WATCH}:{watch_reason}", 0, False, True
    if episode is not None:
        quiet = not found and after.shift >= -p.rearm_points
        calm = calm + 1 if quiet else 0
        if calm >= p.rearm_sessions:
            episode, calm = None, 0
    return episode, calm, False, False


def step(
    params: DriftParams,
    state: DriftState | None,
    ratings: Mapping[str, int],
    group_of: Mapping[str, str],
) -> tuple[DriftState, DriftVerdict]:
    """Take one session's ratings (item id -> 1..5; `group_of` maps an item to its group);
    return the new state and this session's verdict."""
    state = state or DriftState()
    if not ratings:  # nothing rated: the state and any open episode stay as they are
        rule = state.episode.split(":", 1)[1] if state.drifting and state.episode else None
        return state, replace(_QUIET, drifting=state.drifting, rule=rule)
    x = _session(params, state, ratings, group_of)
    new = _learn(params, state, ratings, x, low=False)
    found = _signals(params, state, x, new)
    # A low session does not go into the relationship's level; while that level is still
    # being set, only a fall of `fall_points` or more is held out (see `_signals`).
    # The first `ALWAYS_START` sessions always set it: one of them held out as "fallen" left
    # the start one session of the highest ratings, and every session after read low.
    held = LOW in found or DROP in found or (_is_low(params, x) and x.d <= -params.fall_points)
    if held and state.sessions >= ALWAYS_START:
        new = _learn(params, state, ratings, x, low=True)
    drift_rule = next((r for r in found if r in (DROP, FALL, TREND, CUTOFF)), None)
    watch_reason = next((r for r in found if r in (CEILING, LOW)), None)
    if watch_reason == CEILING and drift_rule is None:
        new = _rebase(params, state, ratings, group_of, x)
    episode, calm, nudge, watch = _episode(params, state, new, found, drift_rule, watch_reason)
    new = replace(new, episode=episode, calm=calm)
    drifting = new.drifting
    opened = episode.split(":", 1)[1] if episode else None
    return new, DriftVerdict(
        drifting=drifting,
        nudge=nudge,
        rule=(drift_rule or opened) if drifting else None,
        group=_worst_group(new, x) if (drifting or watch) else None,
        overall=x.mean,
        watch=watch,
        reason=watch_reason if watch else None,
    )


def replay(
    params: DriftParams,
    series: Iterable[Mapping[str, int]],
    group_of: Mapping[str, str],
) -> tuple[DriftState, list[DriftVerdict]]:
    """Run a whole series of sessions' ratings through `step`: the final state and one verdict
    per session."""
    state = DriftState()
    verdicts: list[DriftVerdict] = []
    for ratings in series:
        state, verdict = step(params, state, ratings, group_of)
        verdicts.append(verdict)
    return state, verdicts
