"""When things happen: sessions from a cadence, working hours, reviews, digests.

All in the practitioner's own time zone and daylight-saving safe: a weekly 10:00 session
stays at 10:00 local across a clock change, because we step in wall time and only then
convert to UTC.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.models import ANNUAL, MIDWAY, Relationship
from bot.core.timeline import Plan


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive local wall time in `tz` as an aware UTC instant (DST gaps resolve forward)."""
    aware = local.replace(tzinfo=zone(tz))
    # Round-trip through UTC to normalise times that fall in a spring-forward gap.
    return aware.astimezone(UTC)


def local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(zone(tz))


def add_months(when: datetime, months: int) -> datetime:
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def session_local(rel: Relationship, number: int) -> datetime:
    """Naive local start of scheduled session `number` (1-based)."""
    assert rel.first_session is not None
    if rel.cadence_monthly:
        return add_months(rel.first_session, number - 1)
    return rel.first_session + timedelta(days=(rel.cadence_days or 7) * (number - 1))


def session_start(rel: Relationship, number: int) -> datetime:
    return to_utc(session_local(rel, number), rel.tz)


def session_end(rel: Relationship, number: int) -> datetime:
    return session_start(rel, number) + timedelta(minutes=rel.length_minutes)


def plan_of(rel: Relationship) -> Plan:
    """The schedule and plan the relationship's timeline is laid on."""
    days = 30 if rel.cadence_monthly else (rel.cadence_days or 7)
    return Plan(
        slot_start=lambda k: session_start(rel, k),
        slots=rel.first_session is not None,
        one_off=not rel.scheduled,
        planned=rel.planned_sessions,
        cadence=timedelta(days=days),
        started=rel.started,
        day_of=lambda at: local(at, rel.tz).date(),
    )


def within_working_hours(
    instant: datetime, tz: str, start: time, end: time, days: tuple[int, ...]
) -> datetime:
    """`instant` if it falls in working hours in `tz`, else the next start of working hours."""
    here = local(instant, tz)
    for offset in range(8):
        day = (here + timedelta(days=offset)).date()
        if day.weekday() not in days:
            continue
        opens = datetime.combine(day, start)
        closes = datetime.combine(day, end)
        wall = here.replace(tzinfo=None)
        if offset == 0 and opens <= wall < closes:
            return instant
        if offset > 0 or wall < opens:
            return to_utc(opens, tz)
    return instant  # no working days configured: send at once


def midway_session(planned: int, fraction: float) -> int:
    """The session after which the midway review falls (8 planned -> after the 4th)."""
    return max(1, math.ceil(planned * fraction))


def calendar_reviews(
    rel: Relationship, every_months: int, annual_months: int, after: datetime, limit: int = 50
) -> tuple[str, str, datetime] | None:
    """The next calendar review after `after`: (kind, key, due). Open-ended relationships get
    a midway review every `every_months`; every relationship gets an annual one. When both
    fall on the same date, the annual review wins."""
    start = local(rel.started, rel.tz).replace(tzinfo=None)
    first = steps_before(start, local(after, rel.tz).replace(tzinfo=None), every_months)
    for step in range(max(1, first), first + limit):
        months = step * every_months
        when = to_utc(add_months(start, months), rel.tz)
        if when <= after:
            continue
        if months % annual_months == 0:
            return ANNUAL, f"{ANNUAL}:{months // annual_months}", when
        if rel.open_ended:
            return MIDWAY, f"{MIDWAY}:{months}m", when
    return None


def steps_before(start: datetime, until: datetime, every_months: int) -> int:
    """How many whole `every_months` periods lie between two local times, give or take one
    (so a calendar can start there instead of stepping from the start)."""
    months = (until.year - start.year) * 12 + (until.month - start.month)
    return max(0, months // every_months - 1)


def next_weekly(weekday: int, at: time, tz: str, after: datetime) -> datetime:
    """The next `weekday` at `at` local time strictly after `after`."""
    here = local(after, tz).replace(tzinfo=None)
    for offset in range(8):
        day = here.date() + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        candidate = to_utc(datetime.combine(day, at), tz)
        if candidate > after:
            return candidate
    return to_utc(datetime.combine(here.date() + timedelta(days=7), at), tz)


def iso_week(instant: datetime, tz: str = "UTC") -> str:
    year, week, _ = local(instant, tz).isocalendar()
    return f"{year}-W{week:02d}"


def day_text(instant: datetime, tz: str) -> str:
    return local(instant, tz).strftime("%d %b %Y")
