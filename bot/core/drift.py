"""Drift toward transactional, per relationship, on its series of session scores.

Series are short (about 8 sessions), so every rule works from the first few points and
compares the relationship with itself, not with other relationships.

Rules, checked on each session with an overall score (the first that fires names it):

- ``drop``:   the overall score fell by at least ``drop`` (0.20) since the previous session
  and lies at least ``drop`` below the baseline (a fall from one unusually good session
  back to the usual level is noise, not a drop).
- ``cutoff``: the overall score is below ``cutoff`` (default: 0.40, where the transactional
  band ends). This one works from the first session.
- ``trend``:  an EWMA of the overall score, ``z_t = lambda*x_t + (1-lambda)*z_(t-1)`` with
  ``z_0`` = the first session, is below its time-varying lower control limit

      baseline - width * sigma * sqrt(lambda/(2-lambda) * (1-(1-lambda)^(2t)))

  where t counts sessions after the first, baseline is the mean of the first
  ``baseline_sessions`` (3) sessions (while fewer are in: the ones before this session),
  and sigma is the larger of ``sigma_floor`` (0.08) and the sample sd of those baseline
  sessions. At t = 1 the limit is ``width*sigma*lambda`` below the first point, so the
  trend rule starts like a drop rule of ``width*sigma`` and widens as the EWMA gathers
  history; the sigma floor keeps a very even start from making the alarm brittle.

Hysteresis: the first rule to fire opens an *episode* and gives its one nudge
(``nudge=True``); the verdict stays ``drifting`` until ``rearm_sessions`` (2) sessions in a
row fire no rule and have the EWMA back within ``rearm_margin`` (0.05) of the baseline.
Only then can a new episode nudge again. While drifting, ``rule`` is the rule firing this
session, or else the one that opened the episode.

The verdict names the group that fell most against its own baseline: each group keeps its
own EWMA and baseline in the same way. When no group has a baseline yet (a relationship
that starts low), it names the session's lowest-scoring group.

The state is small and fixed in size (a few floats per group), so storing it per
relationship and updating it with each check-in costs the same at session 8 and 800.

How the parameters were chosen. lambda = 0.3 with width = 2.5 is the usual EWMA pairing
for shifts of about one sigma; the figures below are from seeded simulations of 10,000
series each (tests/test_drift.py repeats the first with 2,000):

- stable relationships, overall 0.75 with uniform noise of +/-0.08: a false alarm in 0.13%
  of 8-session series and 0.78% of 12-session ones, all from the trend rule after an
  unluckily high baseline (the drop rule cannot fire on that noise). Gaussian noise with
  sd 0.05: 1.0% (8 sessions) and 1.9% (12).
- a steady decline of 0.05 a session from 0.80: the trend rule flags it at session 6
  (overall 0.55), three sessions before the transactional band (0.40 at session 9). With
  +/-0.08 noise on top: flagged at session 6 on median (mean 6.1), never missed within 12
  sessions, always while the underlying level was still at or above 0.40.
- a one-session drop of 0.30: flagged at that session (rule "drop").
- width 2.0 would alarm on 4.0% of stable 12-session series; width 3.0 on 0.07%, but it
  catches the steady decline at session 6 only by a hair (EWMA 0.647, limit 0.649).

A caveat on real check-ins: three 1..5 ratings per session make the overall score coarse
(steps of 1/12). If a practitioner's ratings of a steady relationship stray one point from
their usual 4 in 20% of the items, false alarms rise to 4.7% (8 sessions) and 8.6% (12);
at 40% of the items, 18% and 26%. Reviews (all sixteen items) give steadier points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.rubric import DriftParams
from bot.core.scoring import Scores

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
