"""The timeline of a relationship: one ordered list of planned, held and cancelled sessions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import timeline as tl
from bot.core.models import Relationship
from bot.core.schedule import plan_of

START = datetime(2026, 3, 2, 10, 0)  # Monday
T0 = START.replace(tzinfo=UTC)
HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)


def rel(planned: int | None = 8, start: datetime | None = START, **kw) -> Relationship:
    return Relationship(
        id="r1",
        tenant="slack:T1",
        owner="U1",
        alias="Sam",
        tz="UTC",
        created=T0 - DAY,
        started=(start or START).replace(tzinfo=UTC),
        planned_sessions=planned,
        cadence_days=7 if start else None,
        first_session=start,
        **kw,
    )


def numbers(t: tl.Timeline, r: Relationship) -> list[tuple[str, int | None, datetime]]:
    return [(o.state, o.number, o.at) for o in tl.occurrences(t, plan_of(r), limit=3)]


def test_a_log_on_the_day_of_a_scheduled_session_is_that_session():
    r = rel()
    t = tl.log(r.timeline, plan_of(r), T0 - 2 * HOUR, T0 - 2 * HOUR, checkin=1)
    assert t.held == 1 and t.next_slot == 2
    first, second = tl.occurrences(t, plan_of(r))[:2]
    assert (first.state, first.number, first.slot) == ("held", 1, 1)
    assert (second.state, second.number, second.at) == ("planned", 2, T0 + WEEK)
    with pytest.raises(tl.Refused):  # the 10:00 job finds its slot held: no second check-in
        tl.hold_slot(t, plan_of(r), 1, checkin=2)


def test_a_log_within_half_a_cadence_is_the_nearest_scheduled_session():
    r = rel()
    t = tl.hold_slot(r.timeline, plan_of(r), 1, 1)
    t = tl.log(t, plan_of(r), T0 + WEEK + 2 * DAY, T0 + WEEK + 2 * DAY, 2)
    assert [o.slot for o in t.done] == [1, 2] and t.next_slot == 3


def test_a_log_far_from_the_schedule_is_a_session_of_its_own():
    r = rel()
    t = tl.hold_slot(r.timeline, plan_of(r), 1, 1)
    t = tl.log(t, plan_of(r), T0 + 3 * DAY, T0 + 3 * DAY, 2)
    assert [(o.slot, o.number) for o in tl.occurrences(t, plan_of(r))[:3]] == [
        (1, 1),
        (None, 2),
        (2, 3),
    ]


def test_a_back_dated_log_is_placed_in_order():
    r = rel(planned=None, start=None)
    t = tl.log(r.timeline, plan_of(r), T0 + 10 * DAY, T0 + 10 * DAY, 1)
    t = tl.log(t, plan_of(r), T0 + 3 * DAY, T0 + 11 * DAY, 2)
    assert [(o.checkin, o.number) for o in tl.occurrences(t, plan_of(r))] == [(2, 1), (1, 2)]
    assert tl.number_of(t, 1) == 2


@pytest.mark.parametrize(
    ("at", "now", "reason"),
    [
        (T0 + DAY + timedelta(minutes=6), T0 + DAY, "log_future"),
        (T0 - 30 * DAY, T0 + DAY, "log_before_start"),
    ],
)
def test_future_and_before_start_logs_are_refused(at, now, reason):
    r = rel()
    with pytest.raises(tl.Refused) as refused:
        tl.log(r.timeline, plan_of(r), at, now, 1)
    assert refused.value.reason == reason


def test_a_log_up_to_five_minutes_ahead_is_now():
    r = rel()
    t = tl.log(r.timeline, plan_of(r), T0 + 5 * timedelta(minutes=1), T0, 1)
    assert t.held == 1


def test_the_plan_ends_and_extend_gives_it_more():
    r = rel(planned=2)
    t = tl.hold_slot(r.timeline, plan_of(r), 1, 1)
    t = tl.hold_slot(t, plan_of(r), 2, 2)
    assert tl.complete(t, plan_of(r)) and tl.next_planned(t, plan_of(r)) is None
    with pytest.raises(tl.Refused):
        tl.hold_slot(t, plan_of(r), 3, 3)
    with pytest.raises(tl.Refused):
        tl.log(t, plan_of(r), T0 + 20 * DAY, T0 + 20 * DAY, 3)
    more = replace(r, planned_sessions=3)
    assert tl.next_planned(t, plan_of(more)).at == T0 + 2 * WEEK
    assert tl.next_planned(t, plan_of(replace(r, planned_sessions=None))).number == 3


def test_skip_cancels_and_moves_the_plans_end_out():
    r = rel(planned=3)
    t, skipped = tl.skip(r.timeline, plan_of(r))
    assert skipped.at == T0
    states = [(o.state, o.number, o.at) for o in tl.occurrences(t, plan_of(r))]
    assert states == [
        ("cancelled", None, T0),
        ("planned", 1, T0 + WEEK),
        ("planned", 2, T0 + 2 * WEEK),
        ("planned", 3, T0 + 3 * WEEK),
    ]
    with pytest.raises(tl.Refused):
        tl.hold_slot(t, plan_of(r), 1, 1)  # cancelled: no check-in


def test_skip_a_given_day():
    r = rel()
    t, skipped = tl.skip(r.timeline, plan_of(r), (T0 + 2 * WEEK).date())
    assert skipped.slot == 3 and t.next_slot == 1
    with pytest.raises(tl.Refused) as refused:
        tl.skip(r.timeline, plan_of(r), date(2026, 3, 4))
    assert refused.value.reason == "no_session_that_day"


def test_move_the_next_session():
    r = rel()
    to = T0 + 2 * DAY + 4 * HOUR
    t, moved = tl.move(r.timeline, plan_of(r), to, T0 - DAY)
    assert moved.slot == 1 and tl.next_planned(t, plan_of(r)).at == to
    t = tl.hold_slot(t, plan_of(r), 1, 1)
    assert t.done[0].at == to
    with pytest.raises(tl.Refused):
        tl.move(r.timeline, plan_of(r), T0 - 2 * DAY, T0 - DAY)


def test_a_session_moved_past_the_next_one_stays_planned():
    r = rel(planned=3)
    t, _ = tl.move(r.timeline, plan_of(r), T0 + WEEK + DAY, T0 - DAY)  # slot 1 after slot 2
    assert [(o.slot, o.number) for o in tl.planned(t, plan_of(r))] == [(2, 1), (1, 2), (3, 3)]
    t = tl.hold_slot(t, plan_of(r), 2, 1)
    assert tl.next_planned(t, plan_of(r)).slot == 1 and t.held == 1


def test_held_before_rapport_counts_first():
    r = rel(timeline=tl.Timeline(earlier=7), planned=10)
    first = tl.next_planned(r.timeline, plan_of(r))
    assert (first.number, first.at) == (8, T0)
    assert len(list(tl.planned(r.timeline, plan_of(r)))) == 3


def test_a_start_in_the_past_counts_the_sessions_since():
    r = rel(planned=20)
    now = T0 + 6 * WEEK + 2 * DAY  # slots 1..7 ended
    t = tl.count_past(r.timeline, plan_of(r), now, HOUR)
    assert t.held == 7
    first = tl.next_planned(t, plan_of(r))
    assert (first.number, first.at) == (8, T0 + 7 * WEEK)
    assert tl.session_date(t, plan_of(r), 10) == T0 + 9 * WEEK


def test_a_past_start_never_counts_beyond_the_plan():
    r = rel(planned=3)
    t = tl.count_past(r.timeline, plan_of(r), T0 + 30 * WEEK, HOUR)
    assert t.held == 3 and tl.complete(t, plan_of(r))


def test_a_slot_held_late_cancels_the_open_ones_before_it():
    r = rel()
    t = tl.hold_slot(r.timeline, plan_of(r), 3, 1)
    assert [(o.state, o.slot) for o in t.done] == [("cancelled", 1), ("cancelled", 2), ("held", 3)]
    assert t.held == 1 and t.next_slot == 4


def test_old_occurrences_fold_into_the_count_and_the_record_stops_growing():
    r = rel(planned=None)
    t = r.timeline
    for k in range(1, tl.KEEP + 31):
        t = tl.hold_slot(t, plan_of(r), k, k)
    assert t.held == tl.KEEP + 30 and len(t.done) == tl.KEEP and t.earlier == 30
    assert tl.held_with(t, tl.KEEP + 30).number == tl.KEEP + 30
    assert tl.next_planned(t, plan_of(r)).number == tl.KEEP + 31


def test_old_records_keep_their_counts():
    old = tl.Timeline.from_old(sessions_held=5, next_session=6)
    r = rel(timeline=old)
    assert r.sessions_held == 5
    nxt = tl.next_planned(old, plan_of(r))
    assert (nxt.number, nxt.slot, nxt.at) == (6, 6, T0 + 5 * WEEK)
    data = r.to_dict()
    data.pop("timeline")
    back = Relationship.from_dict({**data, "sessions_held": 5, "next_session": 6})
    assert back.timeline == old


def test_the_stored_form_round_trips():
    r = rel()
    t = tl.log(r.timeline, plan_of(r), T0 - HOUR, T0, 1)
    t, _ = tl.skip(t, plan_of(r))
    t, _ = tl.move(t, plan_of(r), T0 + 3 * WEEK + HOUR, T0)
    r = replace(r, timeline=replace(t, earlier=2))
    assert Relationship.from_dict(r.to_dict()) == r


# --- any sequence of operations ---------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("log"), st.integers(0, 60 * 24 * 70)),  # minutes after T0
        st.tuples(st.just("hold"), st.integers(1, 14)),
        st.tuples(st.just("skip"), st.integers(0, 1)),
        st.tuples(st.just("move"), st.integers(1, 60 * 24 * 20)),
        st.tuples(st.just("extend"), st.integers(0, 12)),
        st.tuples(st.just("tick"), st.integers(0, 60 * 24 * 5)),
    ),
    max_size=30,
)


def _apply(r: Relationship, op: str, arg: int, now: datetime, checkins: int):
    plan = plan_of(r)
    t = r.timeline
    if op == "log":
        return replace(
            r, timeline=tl.log(t, plan, now - timedelta(minutes=arg % 600), now, checkins)
        )
    if op == "hold":
        return replace(r, timeline=tl.hold_slot(t, plan, arg, checkins))
    if op == "skip":
        day = (T0 + timedelta(days=7 * arg)).date() if arg else None
        return replace(r, timeline=tl.skip(t, plan, day)[0])
    if op == "move":
        return replace(r, timeline=tl.move(t, plan, now + timedelta(minutes=arg), now)[0])
    return replace(r, planned_sessions=max(r.sessions_held, arg) or None)


@settings(max_examples=300, deadline=None)
@given(OPS, st.sampled_from([None, 4, 8]), st.integers(0, 3))
def test_any_sequence_keeps_the_timeline_true(ops, planned, earlier):
    r = rel(planned=planned, timeline=tl.Timeline(earlier=earlier))
    if planned is not None and earlier > planned:
        r = replace(r, timeline=tl.Timeline(earlier=planned))
    now, checkins = T0 - DAY, 0
    for op, arg in ops:
        if op == "tick":
            now += timedelta(minutes=arg)
            continue
        try:
            r = _apply(r, op, arg, now, checkins + 1)
            checkins += op in ("log", "hold")
        except tl.Refused:
            pass
        everything = tl.occurrences(r.timeline, plan_of(r), limit=20)
        held = [o for o in everything if o.state == tl.HELD]
        if r.planned_sessions is not None:
            assert r.sessions_held <= r.planned_sessions
        numbered = [o for o in everything if o.number is not None]
        assert [o.number for o in numbered] == list(
            range(r.timeline.earlier + 1, r.timeline.earlier + len(numbered) + 1)
        )
        assert [o.at for o in held] == sorted(o.at for o in held)
        planned_times = [o.at for o in everything if o.state == tl.PLANNED]
        assert planned_times == sorted(planned_times)
        marks = [o.checkin for o in everything if o.checkin is not None]
        assert len(marks) == len(set(marks))  # a check-in belongs to one occurrence
        slots = [o.slot for o in everything if o.slot is not None]
        assert len(slots) == len(set(slots))  # no occurrence is held (or planned) twice
        assert Relationship.from_dict(r.to_dict()) == r
