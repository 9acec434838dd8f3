"""The drift rule Rapport used before the item-level model (bot/core/drift.py before issue
10), kept only so `python -m bench signal` can score it on the same simulated series.

Three rules on the overall score (0..1): a fall of `drop` since the previous session and
below the baseline; the score under `cutoff`; an EWMA under its control limit
(`width` sigmas, sigma at least `sigma_floor`). One nudge per episode, re-armed after
`rearm_sessions` sessions back within `rearm_margin` of the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.scoring import Scores


@dataclass(frozen=True)
class DriftParams:
    """The old rule's parameters, as rubric.yaml held them."""

    cutoff: float = 0.40
    drop: float = 0.20
    lam: float = 0.3
    width: float = 2.5
    sigma_floor: float = 0.08
    baseline_sessions: int = 3
    rearm_margin: float = 0.05
    rearm_sessions: int = 2


# Scores are multiples of 1/12 or so; a drop of exactly 0.20 must count despite float noise.
_EPS = 1e-9


@dataclass(frozen=True)
class GroupTrack:
    """One rubric group's own baseline and EWMA within a relationship."""

    id: str
    baseline: tuple[float, ...]
    ewma: float


@dataclass(frozen=True)
class DriftState:
    """What drift detection remembers about one relationship (JSON-safe, bounded size)."""

    sessions: int = 0  # sessions with an overall score seen so far
    baseline: tuple[float, ...] = ()  # the first `baseline_sessions` overall scores
    ewma: float = 0.0
    previous: float = 0.0  # the last overall score
    groups: tuple[GroupTrack, ...] = ()
    episode: str | None = None  # the rule that opened the current episode; None = armed
    calm: int = 0  # recovered sessions in a row during an episode

    @property
    def drifting(self) -> bool:
        return self.episode is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "baseline": list(self.baseline),
            "ewma": self.ewma,
            "previous": self.previous,
            "groups": {g.id: {"baseline": list(g.baseline), "ewma": g.ewma} for g in self.groups},
            "episode": self.episode,
            "calm": self.calm,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftState:
        groups = data.get("groups") or {}
        return cls(
            sessions=int(data.get("sessions", 0)),
            baseline=tuple(float(x) for x in data.get("baseline", ())),
            ewma=float(data.get("ewma", 0.0)),
            previous=float(data.get("previous", 0.0)),
            groups=tuple(
                GroupTrack(
                    str(gid), tuple(float(x) for x in g.get("baseline", ())), float(g["ewma"])
                )
                for gid, g in groups.items()
            ),
            episode=data.get("episode"),
            calm=int(data.get("calm", 0)),
        )


@dataclass(frozen=True)
class DriftVerdict:
    drifting: bool
    nudge: bool  # True only on the session that opens a new episode
    rule: str | None  # "drop" | "cutoff" | "trend": firing now, else the one that opened it
    group: str | None  # the group id that fell most against its own baseline (when drifting)
    overall: float | None


_QUIET = DriftVerdict(drifting=False, nudge=False, rule=None, group=None, overall=None)


def _mean(xs: tuple[float, ...]) -> float:
    return sum(xs) / len(xs)


def _sd(xs: tuple[float, ...]) -> float:
    if len(xs) < 2:
        return 0.0
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def control_limit(params: DriftParams, baseline: tuple[float, ...], t: int) -> float:
    """The EWMA's lower control limit after t updates, against the given baseline points."""
    lam = params.lam
    sigma = max(params.sigma_floor, _sd(baseline))
    spread = math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    return _mean(baseline) - params.width * sigma * spread


def _grow(baseline: tuple[float, ...], x: float, params: DriftParams) -> tuple[float, ...]:
    return baseline + (x,) if len(baseline) < params.baseline_sessions else baseline


def _track_groups(
    params: DriftParams, tracks: tuple[GroupTrack, ...], scores: Scores
) -> tuple[tuple[GroupTrack, ...], str | None]:
    """Update each answered group's EWMA; return the tracks and the group that fell most."""
    by_id = {t.id: t for t in tracks}
    falls: dict[str, float] = {}
    for gid, value in scores.groups.items():
        old = by_id.get(gid)
        if old is None:
            by_id[gid] = GroupTrack(gid, (value,), value)
            continue
        ewma = params.lam * value + (1 - params.lam) * old.ewma
        falls[gid] = _mean(old.baseline) - ewma
        by_id[gid] = GroupTrack(gid, _grow(old.baseline, value, params), ewma)
    if falls:
        worst = max(falls, key=lambda gid: falls[gid])
    elif scores.groups:
        worst = min(scores.groups, key=lambda gid: scores.groups[gid])
    else:
        worst = None
    return tuple(by_id.values()), worst


def step(
    params: DriftParams, state: DriftState | None, scores: Scores
) -> tuple[DriftState, DriftVerdict]:
    """Take one session's scores; return the new state and this session's verdict."""
    state = state or DriftState()
    x = scores.overall
    if x is None:
        return state, _QUIET

    rule: str | None = None
    if state.sessions == 0:
        ewma = x
        if x < params.cutoff:
            rule = "cutoff"
    else:
        ewma = params.lam * x + (1 - params.lam) * state.ewma
        fall = state.previous - x
        # It must also land `drop` below the baseline: a fall from an unusually good session
        # back to the usual level is noise, not a drop.
        below = _mean(state.baseline) - x
        if fall >= params.drop - _EPS and below >= params.drop - _EPS:
            rule = "drop"
        elif x < params.cutoff:
            rule = "cutoff"
        elif ewma < control_limit(params, state.baseline, state.sessions):
            rule = "trend"

    baseline = _grow(state.baseline, x, params)
    groups, worst = _track_groups(params, state.groups, scores)

    episode, calm, nudge = state.episode, state.calm, False
    if episode is None:
        if rule is not None:
            episode, calm, nudge = rule, 0, True
    elif rule is not None:
        calm = 0
    else:
        recovered = ewma >= _mean(baseline) - params.rearm_margin
        calm = calm + 1 if recovered else 0
        if calm >= params.rearm_sessions:
            episode, calm = None, 0

    new_state = DriftState(
        sessions=state.sessions + 1,
        baseline=baseline,
        ewma=ewma,
        previous=x,
        groups=groups,
        episode=episode,
        calm=calm,
    )
    drifting = episode is not None
    verdict = DriftVerdict(
        drifting=drifting,
        nudge=nudge,
        rule=(rule or episode) if drifting else None,
        group=worst if drifting else None,
        overall=x,
    )
    return new_state, verdict


def replay(params: DriftParams, series: Iterable[Scores]) -> tuple[DriftState, list[DriftVerdict]]:
    """Run a whole series through `step`: the final state and one verdict per session."""
    state = DriftState()
    verdicts: list[DriftVerdict] = []
    for scores in series:
        state, verdict = step(params, state, scores)
        verdicts.append(verdict)
    return state, verdicts
