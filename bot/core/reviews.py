"""When a relationship's reviews fall due.

Midway: after half the planned sessions (8 planned: after the 4th), or every six months of
open-ended work. Annual: each anniversary of the start. The parameters live in rubric.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.models import ANNUAL, EARLY, MIDWAY, Relationship
from bot.core.rubric import ReviewRules
from bot.core.schedule import (
    add_months,
    calendar_reviews,
    day_text,
    local,
    midway_session,
    plan_of,
    steps_before,
    to_utc,
)
from bot.core.timeline import session_date


@dataclass(frozen=True)
class ReviewDue:
    kind: str  # midway | annual | early
    key: str  # what goes into Relationship.reviews_done once it is answered


def _calendar_due(rel: Relationship, rules: ReviewRules, now: datetime) -> ReviewDue | None:
    """The latest calendar review whose date has passed and that is not done yet.

    Steps back from now rather than forward from the start, so the cost does not grow with
    the relationship's age."""
    start = local(rel.started, rel.tz).replace(tzinfo=None)
    months = rules.open_ended_every_months
    top = steps_before(start, local(now, rel.tz).replace(tzinfo=None), months) + 2
    for step in range(top, 0, -1):
        total = step * months
        if to_utc(add_months(start, total), rel.tz) > now:
            continue
        if total % rules.annual_every_months == 0:
            latest = ReviewDue(ANNUAL, f"{ANNUAL}:{total // rules.annual_every_months}")
        elif rel.open_ended:
            latest = ReviewDue(MIDWAY, f"{MIDWAY}:{total}m")
        else:
            continue
        return None if latest.key in rel.reviews_done else latest
    return None


def _session_due(rel: Relationship, rules: ReviewRules) -> ReviewDue | None:
    if rel.planned_sessions is None:
        return None
    at = midway_session(rel.planned_sessions, rules.midway_fraction)
    key = f"{MIDWAY}:{at}"
    if rel.sessions_held >= at and key not in rel.reviews_done:
        return ReviewDue(MIDWAY, key)
    return None


def due_review(rel: Relationship, rules: ReviewRules, now: datetime) -> ReviewDue | None:
    """The review that is due now, if any (an annual one first)."""
    calendar = _calendar_due(rel, rules, now)
    if calendar and calendar.kind == ANNUAL:
        return calendar
    return _session_due(rel, rules) or calendar


def early_review(rel: Relationship) -> ReviewDue:
    done = sum(1 for k in rel.reviews_done if k.startswith(EARLY))
    return ReviewDue(EARLY, f"{EARLY}:{done + 1}")


def review_outlook(rel: Relationship, rules: ReviewRules, now: datetime) -> str:
    """A few words on the next review: 'midway review due now', 'annual review 05 Jan 2027'."""
    due = due_review(rel, rules, now)
    if due:
        return f"{due.kind} review due now"
    if rel.planned_sessions is not None:
        at = midway_session(rel.planned_sessions, rules.midway_fraction)
        if f"{MIDWAY}:{at}" not in rel.reviews_done and rel.sessions_held < at:
            when = session_date(rel.timeline, plan_of(rel), at)
            if when is not None:
                ends = when + timedelta(minutes=rel.length_minutes)
                return f"midway review after session {at} ({day_text(ends, rel.tz)})"
            return f"midway review after session {at}"
    upcoming = calendar_reviews(rel, rules.open_ended_every_months, rules.annual_every_months, now)
    if upcoming:
        kind, _key, when = upcoming
        return f"{kind} review {day_text(when, rel.tz)}"
    return "none planned"


def next_calendar_review(
    rel: Relationship, rules: ReviewRules, now: datetime
) -> tuple[str, str, datetime] | None:
    return calendar_reviews(rel, rules.open_ended_every_months, rules.annual_every_months, now)
