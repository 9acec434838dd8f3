"""Working time: delays counted in the practitioner's hours; messages sent inside them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.rubric import WorkingHours
from bot.core.schedule import local
from bot.core.worktime import add_working, within, working_between
from tests.service_helpers import DM, actor, advance, make_service

OFFICE = WorkingHours(time(9), time(18), (0, 1, 2, 3, 4))
EVENINGS = WorkingHours(time(17), time(21), (0, 1, 5))  # Mon, Tue evenings and Saturday
H = timedelta(hours=1)


def inside(instant: datetime, tz: str, hours: WorkingHours) -> bool:
    here = local(instant, tz)
    return here.weekday() in hours.days and hours.start <= here.time() < hours.end


@pytest.mark.parametrize(
    ("start", "tz", "hours", "delay", "expected"),
    [
        # Friday 17:00 + 9 working hours: 1 on Friday, 8 on Monday
        (datetime(2026, 3, 20, 17, 0, tzinfo=UTC), "Europe/London", OFFICE, 9 * H, "Mon 17:00"),
        # Saturday: counting starts Monday 09:00
        (datetime(2026, 3, 21, 12, 0, tzinfo=UTC), "Europe/London", OFFICE, 2 * H, "Mon 11:00"),
        # across London's spring change (29 Mar): wall-clock hours, not UTC ones
        (datetime(2026, 3, 27, 17, 0, tzinfo=UTC), "Europe/London", OFFICE, 5 * H, "Mon 13:00"),
        # New York's spring change (8 Mar 2026)
        (datetime(2026, 3, 6, 22, 0, tzinfo=UTC), "America/New_York", OFFICE, 2 * H, "Mon 10:00"),
        # evenings and Saturdays
        (datetime(2026, 3, 17, 20, 0, tzinfo=UTC), "Europe/London", EVENINGS, 3 * H, "Sat 19:00"),
    ],
)
def test_a_delay_counts_working_hours_only(start, tz, hours, delay, expected):
    assert local(add_working(start, delay, tz, hours), tz).strftime("%a %H:%M") == expected


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata"]),
    st.sampled_from([OFFICE, EVENINGS]),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_a_reminder_is_never_followed_by_missed_sooner_than_the_gap(at, tz, hours, a, b):
    now = at.replace(tzinfo=UTC)
    remind, missed = sorted((a, b))
    remind_at = add_working(now, remind * H, tz, hours)
    missed_at = add_working(now, missed * H, tz, hours)
    assert working_between(remind_at, missed_at, tz, hours) == (missed - remind) * H
    for t in (remind_at, missed_at):
        assert inside(t, tz, hours)
    assert within(remind_at, tz, hours) == remind_at


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        ("Europe/London", datetime(2026, 3, 20, 8, 0, tzinfo=UTC)),  # clocks change 29 Mar
        ("America/New_York", datetime(2026, 3, 2, 13, 0, tzinfo=UTC)),  # clocks change 8 Mar
    ],
)
async def test_no_scheduled_message_lands_outside_the_practitioners_hours(redis, clock, tz, start):
    clock.set(start)
    rapport, outbox = await make_service(redis, clock)
    me = actor(tz=tz)
    assert (
        "17:00-21:00 mon,tue,sat"
        in (await rapport.command(me, "hours 17:00-21:00 mon,tue,sat", DM)).summary
    )
    # sessions at 10:00 every other day, none answered: check-ins, reminders, missed notices
    local_start = local(start, tz) + timedelta(days=1)
    await rapport.command(me, f"add Sam every=2d start={local_start:%Y-%m-%d} 10:00", DM)
    await advance(rapport, clock, timedelta(days=10), step=timedelta(minutes=30))
    away_from = clock.now()
    until = (local(away_from, tz) + timedelta(days=5)).date()
    assert "on hold until" in (await rapport.command(me, f"away until {until}", DM)).summary
    await advance(rapport, clock, timedelta(days=14), step=timedelta(minutes=30))
    sent = list(zip(outbox.times, (m for _r, m in outbox.sent), strict=True))
    sent += [(t, m) for t, (_r, _ref, m) in zip(outbox.update_times, outbox.updates, strict=True)]
    scheduled = [(t, m) for t, m in sent if m.kind in ("checkin", "reminder", "missed", "review")]
    assert len([m for _t, m in scheduled if m.kind == "checkin"]) >= 5
    assert any(m.kind == "missed" for _t, m in scheduled)
    for t, m in scheduled:
        assert inside(t, tz, EVENINGS), (local(t, tz), m.summary)
    back = datetime.combine(until, time(17))
    for t, m in scheduled:  # nothing while away
        assert not (away_from < t and local(t, tz).replace(tzinfo=None) < back), (t, m.summary)

    # each reminder's "missed" (same session) comes 18 working hours or more after it
    def session_of(m) -> str:
        return re.search(r"session (\d+)", m.summary).group(1)

    reminded = {session_of(m): t for t, m in scheduled if m.kind == "reminder"}
    closed = {session_of(m): t for t, m in scheduled if m.kind == "missed"}
    assert set(closed) & set(reminded)
    for session, at in closed.items():
        assert working_between(reminded[session], at, tz, EVENINGS) >= 18 * H
