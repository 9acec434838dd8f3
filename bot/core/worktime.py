"""A practitioner's working time: their own hours and days, and delays counted in them.

`rubric.yaml` gives the default; `hours HH:MM-HH:MM [mon,tue,...]` stores a practitioner's
own (Practitioner.hours, {"start": "HH:MM", "end": "HH:MM", "days": [0..6]}). Scheduled
messages are sent inside working time, and the reminder and "missed" delays count only
working time: a reminder on Monday morning is never followed by "missed" the same morning
because a weekend lay between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from bot.core.rubric import WorkingHours
from bot.core.schedule import local, to_utc, within_working_hours

DAY_WORDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 800  # a bound on the walk; far beyond any delay in rubric.yaml


def hours_of(default: WorkingHours, stored: Mapping[str, Any] | None) -> WorkingHours:
    """The practitioner's own working hours, or the default when they set none."""
    if not stored:
        return default
    start, end = time.fromisoformat(stored["start"]), time.fromisoformat(stored["end"])
    return WorkingHours(start, end, tuple(int(d) for d in stored["days"]))


def stored_hours(hours: WorkingHours) -> dict[str, Any]:
    return {
        "start": hours.start.strftime("%H:%M"),
        "end": hours.end.strftime("%H:%M"),
        "days": list(hours.days),
    }


def hours_text(hours: WorkingHours) -> str:
    """'09:00-18:00 mon,tue,wed,thu,fri'."""
    days = ",".join(DAY_WORDS[d] for d in hours.days) or "no days"
    return f"{hours.start:%H:%M}-{hours.end:%H:%M} {days}"


def within(instant: datetime, tz: str, hours: WorkingHours) -> datetime:
    """`instant` if it is working time, else the next start of working time."""
    return within_working_hours(instant, tz, hours.start, hours.end, hours.days)


def add_working(start: datetime, delay: timedelta, tz: str, hours: WorkingHours) -> datetime:
    """The instant `delay` of working time after `start` (always inside working time)."""
    if not hours.days:
        return start + delay
    at, left = within(start, tz, hours), delay
    for _ in range(_MAX_DAYS):
        closes = to_utc(datetime.combine(local(at, tz).date(), hours.end), tz)
        if left < closes - at:
            return at + left
        left -= closes - at
        at = within(closes, tz, hours)
    return at


def working_between(earlier: datetime, later: datetime, tz: str, hours: WorkingHours) -> timedelta:
    """How much working time lies between two instants."""
    total, at = timedelta(0), within(earlier, tz, hours)
    for _ in range(_MAX_DAYS):
        if at >= later:
            return total
        closes = to_utc(datetime.combine(local(at, tz).date(), hours.end), tz)
        total += min(closes, later) - at
        at = within(closes, tz, hours)
    return total
