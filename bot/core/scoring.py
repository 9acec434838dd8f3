"""Scores of one check-in, and which contrasts a session's check-in asks.

An item's rating r (1 = transactional pole .. 5 = personalized pole) becomes (r-1)/4.
A group's score is the mean of its answered items; the overall score is the weighted mean
of the answered groups (all weights 1.0 = the plain mean of group scores, as the SPEC says).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.rubric import Contrast, Rubric


def item_score(rating: int) -> float:
    """A 1..5 rating as a 0..1 score."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValueError(f"a rating must be a whole number from 1 to 5 (got {rating!r})")
    return (rating - 1) / 4


@dataclass(frozen=True)
class Scores:
    """One session's scores. `groups` holds only the groups that were answered."""

    groups: Mapping[str, float] = field(default_factory=dict)
    overall: float | None = None

    def __post_init__(self) -> None:
        # A private copy, so a caller's dict changing later cannot change stored scores.
        object.__setattr__(self, "groups", dict(self.groups))

    def to_dict(self) -> dict[str, Any]:
        return {"groups": dict(self.groups), "overall": self.overall}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scores:
        groups = data.get("groups") or {}
        overall = data.get("overall")
        if not isinstance(groups, Mapping):
            raise ValueError("scores: groups must be a mapping")
        checked = {str(k): _unit(v, f"groups.{k}") for k, v in groups.items()}
        return cls(checked, None if overall is None else _unit(overall, "overall"))


def _unit(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"scores: {name} must be a number from 0 to 1 (got {value!r})")
    return float(value)


def score(rubric: Rubric, ratings: Mapping[str, int]) -> Scores:
    """Scores of one check-in or review from its ratings, keyed by contrast id."""
    known = {c.id: c for c in rubric.contrasts}
    by_group: dict[str, list[float]] = {}
    for contrast_id, rating in ratings.items():
        if contrast_id not in known:
            raise ValueError(f"unknown contrast id {contrast_id!r}")
        by_group.setdefault(known[contrast_id].group, []).append(item_score(rating))
    groups = {
        g.id: sum(by_group[g.id]) / len(by_group[g.id]) for g in rubric.groups if g.id in by_group
    }
    if not groups:
        return Scores({}, None)
    total_weight = sum(rubric.group(gid).weight for gid in groups)
    overall = sum(rubric.group(gid).weight * s for gid, s in groups.items()) / total_weight
    # Rounding noise (0.7499999) must not move a score across a band edge.
    return Scores({k: round(v, 9) for k, v in groups.items()}, round(overall, 9))


def rotation(rubric: Rubric, session_number: int) -> tuple[Contrast, ...]:
    """The contrasts session `session_number` (1, 2, ...) asks in its check-in.

    With one contrast per group (3 groups, 3 per check-in) each group cycles through its own
    contrasts, so the six-item groups come round every 6 sessions and the four-item group
    every 4: any 6 consecutive sessions ask all sixteen. Otherwise (other counts or group
    sizes) the contrasts are interleaved group by group into one cycle and each check-in
    takes the next slice of it, which covers all of them in ceil(16/k) sessions.
    """
    if session_number < 1:
        raise ValueError(f"session numbers start at 1 (got {session_number})")
    k = rubric.contrasts_per_checkin
    total = len(rubric.contrasts)
    index = session_number - 1
    window = math.ceil(total / k)
    if k == len(rubric.groups) and max(len(g.contrasts) for g in rubric.groups) <= window:
        return tuple(g.contrasts[index % len(g.contrasts)] for g in rubric.groups)
    cycle = _interleaved(rubric)
    return tuple(cycle[(index * k + i) % total] for i in range(min(k, total)))


def _interleaved(rubric: Rubric) -> tuple[Contrast, ...]:
    # Round-robin across groups, so neighbouring items (one check-in) mostly differ in group.
    longest = max(len(g.contrasts) for g in rubric.groups)
    return tuple(
        g.contrasts[i] for i in range(longest) for g in rubric.groups if i < len(g.contrasts)
    )
