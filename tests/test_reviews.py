"""Review dates: computed near `now`, they agree with stepping month by month from the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import ANNUAL, MIDWAY, Relationship
from bot.core.reviews import _calendar_due, review_outlook
from bot.core.rubric import ReviewRules
from bot.core.schedule import add_months, calendar_reviews, local, to_utc

RULES = ReviewRules(midway_fraction=0.5, open_ended_every_months=6, annual_every_months=12)
ZONES = st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Sydney"])
WHEN = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))


def rel(started: datetime, tz: str, open_ended: bool, done: tuple[str, ...] = ()) -> Relationship:
    return Relationship(
        id="r1",
        tenant="t",
        owner="u",
        alias="Sam",
        tz=tz,
        created=started,
        started=started,
        planned_sessions=None if open_ended else 8,
        reviews_done=done,
    )


def naive_due(r: Relationship, now: datetime):
    start, latest = local(r.started, r.tz).replace(tzinfo=None), None
    for step in range(1, 400):
        total = step * 6
        if to_utc(add_months(start, total), r.tz) > now:
            break
        if total % 12 == 0:
            latest = (ANNUAL, f"{ANNUAL}:{total // 12}")
        elif r.open_ended:
            latest = (MIDWAY, f"{MIDWAY}:{total}m")
    return None if latest is None or latest[1] in r.reviews_done else latest


def naive_next(r: Relationship, after: datetime):
    start = local(r.started, r.tz).replace(tzinfo=None)
    for step in range(1, 400):
        total = step * 6
        when = to_utc(add_months(start, total), r.tz)
        if when <= after:
            continue
        if total % 12 == 0:
            return ANNUAL, f"{ANNUAL}:{total // 12}", when
        if r.open_ended:
            return MIDWAY, f"{MIDWAY}:{total}m", when
    return None


@settings(max_examples=300, deadline=None)
@given(WHEN, st.integers(0, 4000), ZONES, st.booleans())
def test_due_and_next_reviews_match_month_by_month_stepping(start, days, tz, open_ended):
    started = start.replace(tzinfo=UTC)
    now = started + timedelta(days=days, hours=days % 24)
    r = rel(started, tz, open_ended)
    due = _calendar_due(r, RULES, now)
    assert (None if due is None else (due.kind, due.key)) == naive_due(r, now)
    assert calendar_reviews(r, 6, 12, now) == naive_next(r, now)


def test_a_review_done_is_not_due_again_and_the_outlook_names_the_next():
    started = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    now = datetime(2025, 7, 20, tzinfo=UTC)
    r = rel(started, "Europe/London", open_ended=True)
    assert _calendar_due(r, RULES, now).key == "midway:6m"
    done = rel(started, "Europe/London", open_ended=True, done=("midway:6m",))
    assert _calendar_due(done, RULES, now) is None
    assert review_outlook(done, RULES, now) == "annual review 10 Jan 2026"
