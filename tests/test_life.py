"""What practitioners met in ordinary use, typed into the console with a manual clock.

Each test is one bullet of issue 9's list: it failed on the version before the timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.life_helpers import answer_latest, console_at

MON_16_MAR_0700 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # London is on GMT until 29 Mar


async def test_a_log_before_the_scheduled_session_is_that_session(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    added = await me.type("add Sam sessions=4 every=weekly start=2026-03-02 10:00")
    assert "Counted 2 sessions held since" in added and "Mon 16 Mar" in added
    await me.type("advance 1h")  # 08:00, the session is at 10:00
    logged = await me.type("log Sam")
    assert "Logged session 3 with Sam" in logged
    day = await me.type("advance 1d")
    assert "Session 3 with Sam" in logged + day
    assert "Session 4 with Sam" not in day  # the 10:00 session was the one logged
    assert (logged + day).count("with Sam just ended") == 1
    rest = await me.type("advance 30d", "list")
    assert rest.count("with Sam just ended") == 1  # session 4, on 23 Mar; then the plan ends
    assert "Session 4 with Sam" in rest and "Session 5" not in rest
    assert "the plan is complete" in rest and "extend Sam sessions=" in rest
    assert "4 of 4" in rest.rsplit("> list", 1)[1]


async def test_a_start_in_the_past_counts_the_sessions_already_held(redis, clock):
    me = await console_at(redis, clock, datetime(2026, 3, 17, 12, 0, tzinfo=UTC))
    out = await me.type("add Old2 sessions=20 every=weekly start=2026-02-01 10:00")
    # 1, 8, 15, 22 Feb, 1, 8, 15 Mar have ended: seven sessions held; the next is the 8th
    assert "Counted 7 sessions held since 01 Feb 2026" in out
    assert "held=" in out
    assert "starting Sun 22 Mar" in out
    history = await me.type("history Old2")
    assert "7 of 20" in history
    assert "midway review after session 10 (05 Apr 2026)" in history
    await me.type("advance 6d")
    assert "Session 8 with Old2" in me.all


async def test_held_counts_sessions_before_rapport(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    out = await me.type("add Kai sessions=10 held=7", "log Kai", "list")
    assert "Counted 7 sessions held before Rapport" in out
    assert "Logged session 8 with Kai" in out and "8 of 10" in out


async def test_a_log_before_the_relationship_began_is_refused(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Riley every=weekly start=2026-02-02 10:00")
    out = await me.type("log Riley 2020-01-01 10:00")
    assert "before Riley began (02 Feb 2026)" in out and "Right form: `log <alias>" in out
    later = await me.type("advance 1h", "history Riley")
    assert "just ended" not in later and "2020" not in later


async def test_a_log_in_the_future_is_refused_and_changes_nothing(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    out = await me.type("add Ana", "log Ana 2026-03-17 10:00", "list")
    assert "That time is in the future" in out and "sessions 0 " in out.rsplit("> list", 1)[1]


async def test_next_session_is_never_in_the_past(redis, clock):
    # Sunday 26 Apr 14:00 London: the 09:00 session ended, its check-in waits for Monday
    me = await console_at(redis, clock, datetime(2026, 4, 19, 7, 0, tzinfo=UTC))
    await me.type("add Kim every=weekly start=2026-04-19 09:00")
    out = await me.type("advance 7d", "history Kim")
    assert "It is now Sun 26 Apr 08:00" in out
    shown = await me.type("advance 6h", "history Kim")
    assert "Sun 26 Apr 2026, 09:00" not in shown
    assert (
        "Sun 03 May 2026, 09:00 (the check-in for 26 Apr 2026 waits for your working hours)"
        in shown
    )


async def test_skip_cancels_a_session_and_the_plan_runs_one_longer(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Lee sessions=2 every=weekly start=2026-03-16 10:00")
    out = await me.type("skip Lee")
    assert "Cancelled the session with Lee on Mon 16 Mar 2026, 10:00" in out
    week = await me.type("advance 6d")
    assert "with Lee just ended" not in week and "missed" not in week
    out = await me.type("skip Lee 2026-03-30", "history Lee")
    assert "Cancelled the session with Lee on Mon 30 Mar" in out
    rest = await me.type("advance 30d", "list")
    assert rest.count("with Lee just ended") == 2  # 23 Mar and 6 Apr: two sessions, as planned
    assert "Session 2 with Lee" in rest and "2 of 2" in rest
    again = await me.type("skip Lee")
    assert "no scheduled session" in again


async def test_move_the_next_session(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Mo every=weekly start=2026-03-16 10:00")
    out = await me.type("move Mo 2026-03-17 15:00")
    assert "Moved session 1 with Mo from Mon 16 Mar 2026, 10:00 to Tue 17 Mar 2026, 15:00" in out
    day = await me.type("advance 1d")
    assert "with Mo just ended" not in day
    after = await me.type("advance 1d")
    assert "Session 1 with Mo just ended" in after
    refused = await me.type("move Mo 2026-03-01 10:00")
    assert "That time has passed" in refused


async def test_extend_reopen_and_rename(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    out = await me.type("add Jo sessions=1", "log Jo", "log Jo")
    assert "the plan is complete" in out and "All 1 planned sessions with Jo are held" in out
    out = await me.type("extend Jo sessions=3", "log Jo")
    assert "Jo now has 3 sessions planned" in out and "Logged session 2 with Jo" in out
    refused = await me.type("extend Jo sessions=1")
    assert "has held 2 sessions already" in refused
    out = await me.type("close Jo", "reopen Jo", "list")
    assert "Reopened Jo" in out and "2 of 3" in out
    out = await me.type("rename Jo to Jo B", "history Jo B")
    assert "Renamed Jo to Jo B" in out and "2 of 3" in out
    out = await me.type("add Pat", "rename Pat to jo b")
    assert "You already have a relationship called Jo B" in out


async def test_an_early_review_left_open_is_set_aside_and_never_blocks_the_due_one(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add K sessions=4")
    early = await me.type("review K")
    assert "No review is due for K yet; next: midway review after session 2" in early
    assert "Here is an early review for K" in early and "The review for K is due" not in early
    later = await me.type("advance 4d")  # 9 and 27 working hours (Mon-Fri 09-18)
    assert "[Tue 17 Mar 09:00] DM to you:\nA gentle nudge: the review for K is still open" in later
    assert "The review for K has been set aside" in later
    await me.type("log K")
    await answer_latest(me)
    await me.type("log K")
    out = await answer_latest(me)
    assert "The midway review for K is due" in out + await me.type("advance 1h")
    history = await me.type("history K")
    assert re.search(r"Reviews set aside +1\n", history) and "Reviews done        none" in history
    # the two session check-ins, both answered: the reviews are counted on their own lines
    assert re.search(r"Check-ins answered +2 of 2\n", history)


async def test_an_open_early_review_becomes_the_due_one(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Kim sessions=4", "log Kim")
    await answer_latest(me)
    early = await me.type("review Kim")  # 1 of 4 held: nothing is due yet
    assert "No review is due for Kim yet" in early and "The review for Kim is due" not in early
    await me.type("log Kim")
    out = await answer_latest(me)  # the session 2 check-in: the midway review falls due
    out += await me.type("advance 1h")
    assert "The midway review for Kim is due" in out
    done = await answer_latest(me)
    assert "Midway review for Kim saved" in done
    history = await me.type("history Kim")
    assert re.search(r"Reviews done +midway\n", history)
    assert re.search(r"Reviews set aside +none", history)
    assert re.search(r"Check-ins answered +2 of 2\n", history)


async def test_a_reminder_is_not_followed_by_missed_the_same_morning(redis, clock):
    # Friday 16 Jan 2026, 10:00 London: a session logged, left unanswered
    me = await console_at(redis, clock, datetime(2026, 1, 16, 10, 0, tzinfo=UTC))
    await me.type("add Ash", "log Ash")
    out = await me.type("advance 7d")
    stamps = re.findall(
        r"\[(\w{3} \d\d \w{3} \d\d:\d\d)\] (?:DM to you|your message \S+ now reads)", out
    )
    reminder = out.index("A gentle nudge: your check-in for session 1 with Ash")
    missed = out.index("closed as missed")
    assert "[Mon 19 Jan 10:00]" in out[:reminder] and "[Wed 21 Jan 10:00]" in out[reminder:missed]
    assert stamps  # every message of the week is stamped inside working hours
    assert all(s.split()[0] not in ("Sat", "Sun") for s in stamps)


async def test_a_pause_stops_an_open_checkins_deadline(redis, clock):
    me = await console_at(redis, clock, datetime(2026, 1, 12, 10, 0, tzinfo=UTC))  # Monday
    await me.type("add Lee", "log Lee", "pause Lee")
    held = await me.type("advance 10d")
    assert "missed" not in held and "gentle nudge" not in held
    out = await me.type("resume Lee")
    assert "Lee is active again" in out
    # it had 9 working hours to its reminder when paused: Thu 22 Jan 10:00 + 9h = Fri 10:00
    after = await me.type("advance 5d")
    assert "[Fri 23 Jan 10:00] DM to you:\nA gentle nudge" in after
    assert "closed as missed" in after


async def test_a_pause_with_an_end_resumes_by_itself(redis, clock):
    me = await console_at(redis, clock, datetime(2026, 1, 12, 10, 0, tzinfo=UTC))
    await me.type("add Lee every=weekly start=2026-01-13 10:00")
    out = await me.type("pause Lee until 2026-01-26")
    assert "Paused Lee until Mon 26 Jan 2026, 09:00: it resumes by itself that morning" in out
    held = await me.type("advance 14d")
    assert "with Lee just ended" not in held
    assert "[Mon 26 Jan 09:00] DM to you:\nLee is active again: the pause you set ended" in held
    later = await me.type("advance 2d")
    assert "Session 1 with Lee just ended" in later  # Tue 27 Jan: 13 and 20 Jan cancelled


async def test_away_holds_every_relationship_and_back_ends_it(redis, clock):
    me = await console_at(redis, clock, datetime(2026, 1, 12, 10, 0, tzinfo=UTC))
    await me.type("add Lee every=weekly start=2026-01-13 10:00", "add Ash", "log Ash")
    out = await me.type("away until 2026-02-02")
    assert "All your relationships are on hold until Mon 02 Feb 2026, 09:00" in out
    held = await me.type("advance 8d")
    assert "just ended" not in held.split("> advance 8d")[1] and "gentle nudge" not in held
    out = await me.type("back", "back")
    assert "Welcome back" in out and "You aren't away" in out
    later = await me.type("advance 2d")
    assert "A gentle nudge: your check-in for session 1 with Ash" in later


async def test_a_checkin_about_an_earlier_day_names_that_day(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Riley every=weekly start=2026-02-03 10:00", "advance 3h")
    out = await me.type("log Riley 2026-03-05 15:00")
    assert "Logged session 6 with Riley on Thu 05 Mar" in out  # between 3 and 10 Mar
    assert "Session 6 with Riley, Thu 05 Mar. Got a minute to check in on it?" in out
    assert "with Riley just ended" not in out
    today = await me.type("log Riley")
    assert "Session 8 with Riley just ended" in today


async def test_the_edit_form_keeps_saved_notes_and_extra_texts_are_refused(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Sam", "log Sam")
    n = max(k for k, b in me.console.buttons.items() if b.action == "open_form")
    await me.type(f"press {n}")
    refused = await me.type("answer 4 4 4 4 | a | b | c | d")
    assert "This check-in has 2 text answers and you gave 4; nothing was saved" in refused
    saved = await me.type("answer 4 4 4 4 | first note | second note")
    assert "saved" in saved
    edit = max(me.console.buttons)  # the "Edit answers" button of the saved check-in
    shown = await me.type(f"press {edit}")
    assert "(now “first note”; kept unless you write another)" in shown
    await me.type("answer 5 5 5 5 | | a new second note")
    exported = await me.type("export")
    assert "first note" in exported and "a new second note" in exported


async def test_a_stale_keep_it_button_says_the_confirmation_expired(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add X", "forget X")
    keep = max(me.console.buttons)  # the second button: Keep it
    await me.type("forget X confirm")
    out = await me.type(f"press {keep}")
    assert "That confirmation has expired" in out and "Nothing was deleted" not in out


async def test_the_demo_words_are_in_help(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    out = await me.type("help")
    for word in ("advance <n>d", "press <n>", "answer 4 5 3 4", "`now`", "`quit`"):
        assert word in out
    assert "move the demo's clock" in await me.type("help advance")


async def test_a_review_nudge_waits_for_a_working_day(redis, clock):
    # Sessions on Friday evenings; the midway review falls due after the first, unanswered
    me = await console_at(redis, clock, datetime(2026, 1, 16, 9, 0, tzinfo=UTC))
    await me.type("add Kit sessions=2 every=weekly start=2026-01-16 19:00")
    out = await me.type("advance 14d")
    nudge = out.index("The midway review for Kit is due")
    stamp = re.findall(r"\[(\w{3}) \d\d \w{3} (\d\d):\d\d\] DM to you:", out[:nudge])[-1]
    assert stamp[0] not in ("Sat", "Sun") and "09" <= stamp[1] < "18"
    for day, hour in re.findall(
        r"\[(\w{3}) \d\d \w{3} (\d\d):\d\d\] (?:DM to you|your message)", out
    ):
        assert day not in ("Sat", "Sun") and "09" <= hour < "18", (day, hour)


async def test_working_hours_are_the_practitioners_own(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    shown = await me.type("hours")
    assert "Your working hours: 09:00-18:00 mon,tue,wed,thu,fri (Europe/London)" in shown
    out = await me.type("hours 17:00-21:00 mon,tue,sat", "hours")
    assert "Your working hours: 17:00-21:00 mon,tue,sat" in out
    await me.type("add Eve every=weekly start=2026-03-16 10:00")
    week = await me.type("advance 7d")
    assert "[Mon 16 Mar 17:00] DM to you:\nSession 1 with Eve, Mon 16 Mar. Got a minute" in week
    assert "[Sat 21 Mar 18:00] DM to you:\nA gentle nudge" in week  # 4 + 4 + 1 working hours
    refused = await me.type("hours 18:00-09:00")
    assert "must come after its start" in refused and "Right form: `hours" in refused


async def test_a_back_dated_session_answered_late_does_not_step_drift(redis, clock):
    me = await console_at(redis, clock, MON_16_MAR_0700)
    await me.type("add Rae")
    for _ in range(3):
        await me.type("log Rae")
        await answer_latest(me, 5, 5, 5, 5)
        await me.type("advance 1d")
    await me.type("log Rae 2026-03-16 08:00")  # an earlier session, remembered late
    out = await answer_latest(me, 1, 1, 1, 1)
    assert "saved" in out and "drifting toward transactional" not in out
    assert "drifting" not in (await me.type("list")).split("> list", 1)[1]
