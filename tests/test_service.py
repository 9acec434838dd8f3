"""The use cases end to end on a real Redis: what a practitioner would notice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.messages import Action, Actions, Form, RatingQuestion
from bot.store import keys
from tests.service_helpers import CHANNEL, DM, KEY, actor, advance, answers, drain, make_service

LONDON_SPRING = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)  # clocks change on 29 March


def _form(message) -> Form:
    assert message.form is not None, message
    return message.form


async def _logged_form(rapport, outbox, me, alias="Sam"):
    await rapport.command(me, f"log {alias}", DM)
    await drain(rapport)
    return _form(outbox.to(me.user, "checkin")[-1])


async def test_log_sends_one_checkin_and_the_answer_shows_in_history(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    reply = await rapport.command(me, "add Sam sessions=8", DM)
    assert "Added Sam" in reply.summary and "after session 4" in reply.summary
    reply = await rapport.command(me, "log Sam", DM)
    assert "session 1" in reply.summary
    await drain(rapport)
    await drain(rapport)  # a second poll finds nothing more to send
    prompts = outbox.to("u1", "checkin")
    assert len(prompts) == 1
    form = _form(prompts[0])
    ratings = [q for q in form.questions if isinstance(q, RatingQuestion)]
    assert len(ratings) == 4  # three rotating contrasts and "Am I being helpful?"
    assert any(q.prompt == "Am I being helpful?" for q in ratings)
    result = await rapport.submit(me, form.ref, answers(form, 5, takeaway="a plan for Monday"))
    assert result.ok
    assert "100%" in result.update.summary and "Personalized" in result.update.summary
    history = str((await rapport.command(me, "history Sam", DM)).blocks)
    assert "1 of 8" in history and "Perspectives" in history and "100%" in history


async def test_scheduled_sessions_keep_local_time_across_daylight_saving(redis, clock):
    clock.set(LONDON_SPRING)
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam every=weekly start=2026-03-24 10:00", DM)
    await advance(rapport, clock, timedelta(days=14), step=timedelta(minutes=5))
    sent = outbox.when("checkin")
    # Session end 11:00 local + 10 minutes: 11:10 GMT (UTC) before, 11:10 BST (10:10 UTC) after.
    assert [(t.hour, t.minute) for t in sent] == [(11, 10), (10, 10)]


async def test_scheduled_checkins_wait_for_working_hours(redis, clock):
    clock.set(LONDON_SPRING)
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam every=weekly start=2026-03-20 19:00", DM)
    await advance(rapport, clock, timedelta(days=4), step=timedelta(minutes=10))
    # A Friday-evening session is asked about on Monday at 09:00.
    assert [t.strftime("%a %H:%M") for t in outbox.when("checkin")] == ["Mon 09:00"]


async def test_an_unanswered_checkin_is_reminded_once_then_missed(redis, clock):
    clock.set(datetime(2026, 3, 16, 10, 0, tzinfo=UTC))  # a Monday
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    await _logged_form(rapport, outbox, me)
    await advance(rapport, clock, timedelta(days=4), step=timedelta(hours=1))
    assert len(outbox.to("u1", "reminder")) == 1
    assert [m.kind for _r, _ref, m in outbox.updates] == ["missed"]
    history = str((await rapport.command(me, "history Sam", DM)).blocks)
    assert "0 of 1 (1 missed)" in history


async def test_an_answer_before_the_reminder_cancels_it(redis, clock):
    clock.set(datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    form = await _logged_form(rapport, outbox, me)
    assert (await rapport.submit(me, form.ref, answers(form, 4))).ok
    await advance(rapport, clock, timedelta(days=4), step=timedelta(hours=1))
    assert outbox.to("u1", "reminder") == [] and outbox.updates == []


async def test_midway_review_follows_the_middle_session(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam sessions=4", DM)
    for _ in range(2):
        form = await _logged_form(rapport, outbox, me)
        assert (await rapport.submit(me, form.ref, answers(form, 4))).ok
        await drain(rapport)
    reviews = outbox.to("u1", "review")
    assert len(reviews) == 1 and "midway review for Sam" in reviews[0].summary
    form = _form(reviews[0])
    assert len([q for q in form.questions if isinstance(q, RatingQuestion)]) == 17
    assert any("tangible" in q.prompt for q in form.questions)
    assert (await rapport.submit(me, form.ref, answers(form, 4, benefit="clearer goals"))).ok
    listing = (await rapport.command(me, "list", DM)).summary + str(
        (await rapport.command(me, "history Sam", DM)).blocks
    )
    assert "midway" in listing and "due now" not in listing


async def test_open_ended_work_gets_a_review_at_six_months(redis, clock):
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Jo every=monthly start=2026-01-06 10:00", DM)
    await advance(rapport, clock, timedelta(days=190), step=timedelta(hours=6))
    reviews = outbox.to("u1", "review")
    assert len(reviews) == 1 and "midway review for Jo" in reviews[0].summary


async def test_a_sudden_drop_gives_one_drift_nudge_saying_where(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    nudges = []
    for rating in (5, 5, 4, 5, 2, 2):
        form = await _logged_form(rapport, outbox, me)
        result = await rapport.submit(me, form.ref, answers(form, rating))
        nudges += [m for m in result.followups if m.kind == "drift"]
    assert len(nudges) == 1
    text = str(nudges[0].blocks)
    assert "Am I being helpful?" in text and "roles" in text
    # every rating fell alike, so no one group is named
    assert "about equally in every area" in nudges[0].summary


async def test_editing_a_checkin_changes_its_scores_not_its_count(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    form = await _logged_form(rapport, outbox, me)
    await rapport.submit(me, form.ref, answers(form, 2))
    edit = await rapport.open_form(me, form.ref)
    assert isinstance(edit, Form)
    assert all(q.initial == 2 for q in edit.questions if isinstance(q, RatingQuestion))
    result = await rapport.submit(me, form.ref, answers(edit, 5))
    assert "100%" in result.update.summary
    history = str((await rapport.command(me, "history Sam", DM)).blocks)
    assert "1 of 1" in history and "100%" in history


async def test_pause_holds_checkins_and_resume_restarts_them(redis, clock):
    clock.set(datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam every=weekly start=2026-03-17 10:00", DM)
    assert "Paused Sam" in (await rapport.command(me, "pause Sam", DM)).summary
    await advance(rapport, clock, timedelta(days=8), step=timedelta(hours=1))
    assert outbox.to("u1", "checkin") == []
    assert "active again" in (await rapport.command(me, "resume sam", DM)).summary
    await advance(rapport, clock, timedelta(days=7), step=timedelta(hours=1))
    assert len(outbox.to("u1", "checkin")) == 1


async def test_bad_input_gets_the_right_form_and_changes_nothing(redis, clock):
    rapport, _ = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    before = sorted(await redis.keys("*"))
    for words in (
        "add",
        "add Sam sessions=lots",
        "log Sam 2026-02-30 10:00",
        "frobnicate",
        "history",
        "digest sideways",
        "x" * 5000,
    ):
        reply = await rapport.command(me, words, DM)
        assert reply.kind == "error", words
        assert "Traceback" not in reply.summary
    reply = await rapport.command(me, "add Sam sessions=lots", DM)
    assert "sessions=<n>|open" in reply.summary
    reply = await rapport.command(me, "history Nobody", DM)
    assert reply.kind == "error" and "list" in reply.summary
    assert sorted(await redis.keys("*")) == before


async def test_a_bad_answer_is_refused_and_nothing_is_stored(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    form = await _logged_form(rapport, outbox, me)
    values = answers(form, 4)
    first = next(q.id for q in form.questions if isinstance(q, RatingQuestion))
    for bad in ("0", "6", "four", "", "1; DROP"):
        result = await rapport.submit(me, form.ref, {**values, first: bad})
        assert not result.ok and first in result.errors
    result = await rapport.submit(me, form.ref, {**values, "takeaway": "x" * 3001})
    assert "takeaway" in result.errors
    history = str((await rapport.command(me, "history Sam", DM)).blocks)
    assert "0 of 1" in history


async def test_free_text_is_encrypted_at_rest(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    form = await _logged_form(rapport, outbox, me)
    secret = "They mentioned the divorce for the first time"
    await rapport.submit(me, form.ref, answers(form, 4, takeaway=secret))
    rid = form.ref.split(":")[0]
    raw = await redis.get(keys.checkin(me.tenant, rid, 1))
    assert raw and "fernet:" in raw and secret not in raw and "divorce" not in raw
    for key in await redis.keys("*"):
        if await redis.type(key) == "string":
            assert "divorce" not in (await redis.get(key))
    exported = (await rapport.command(me, "export", DM)).attachment
    assert secret in exported.content.decode()  # the owner gets it back in the clear


async def test_without_a_key_free_text_is_not_stored(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    rapport.ctx.store.sealer = None
    me = actor()
    await rapport.command(me, "add Sam", DM)
    form = await _logged_form(rapport, outbox, me)
    assert not any(q.id == "takeaway" for q in form.questions)
    await rapport.submit(me, form.ref, answers(form, 4, takeaway="private words"))
    assert not [k for k in await redis.keys("*") if "private words" in str(await redis.dump(k))]


async def test_another_practitioner_cannot_see_or_answer_a_relationship(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me, other = actor("u1"), actor("u2")
    await rapport.command(me, "add Sam", DM)
    form = await _logged_form(rapport, outbox, me)
    assert (await rapport.command(other, "history Sam", DM)).kind == "error"
    assert "belongs to someone else" in (await rapport.open_form(other, form.ref)).summary
    assert not (await rapport.submit(other, form.ref, answers(form, 1))).ok
    assert "no relationships" in (await rapport.command(other, "list", DM)).summary
    other_tenant = actor("u1", tenant="console:t2")
    assert (await rapport.command(other_tenant, "history Sam", DM)).kind == "error"


async def test_forget_asks_first_then_removes_every_key(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam sessions=2", DM)
    await rapport.command(me, "add Kai", DM)
    for _ in range(2):
        form = await _logged_form(rapport, outbox, me)
        await rapport.submit(me, form.ref, answers(form, 4, takeaway="notes"))
    rid = form.ref.split(":")[0]
    ask = await rapport.command(me, "forget Sam", DM)
    buttons = next(b for b in ask.blocks if isinstance(b, Actions)).buttons
    assert await rapport.command(me, "history Sam", DM)  # still there until confirmed
    done = await rapport.button(me, Action.CONFIRM_FORGET, buttons[0].value)
    assert "Deleted Sam" in done.summary
    assert [k for k in await redis.keys("*") if rid in k] == []
    assert "Kai" in (await rapport.command(me, "list", DM)).summary
    again = await rapport.button(me, Action.CONFIRM_FORGET, buttons[0].value)
    assert again.kind == "error"


async def test_forget_by_typing_confirm_needs_the_question_first(redis, clock):
    rapport, _ = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    assert (await rapport.command(me, "forget Sam confirm", DM)).kind == "error"
    await rapport.command(me, "forget Sam", DM)
    assert "Deleted" in (await rapport.command(me, "forget Sam confirm", DM)).summary


async def _team(rapport, outbox, users, rating=4):
    for user in users:
        me = actor(user)
        await rapport.command(me, f"add Client of {user}", DM)
        form = await _logged_form(rapport, outbox, me, f"Client of {user}")
        await rapport.submit(me, form.ref, answers(form, rating, takeaway="secret words"))


async def test_digest_shows_no_figures_from_fewer_than_three(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await _team(rapport, outbox, ["a", "b"])
    clock.advance(timedelta(days=1))
    digest = await rapport.command(actor("a"), "digest now", CHANNEL)
    assert "Too little data" in digest.summary and not digest.private


async def test_digest_aggregates_without_pseudonyms_or_free_text(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await _team(rapport, outbox, ["a", "b", "c"])
    clock.advance(timedelta(days=1))
    digest = await rapport.command(actor("a"), "digest now", CHANNEL)
    flat = digest.summary + str(digest.blocks)
    assert "Sessions held', '3'" in flat and "100%" in flat
    assert "Client of" not in flat and "secret" not in flat


async def test_weekly_digest_is_posted_once_in_the_channel(redis, clock):
    clock.set(datetime(2026, 3, 16, 10, 0, tzinfo=UTC))  # Monday
    rapport, outbox = await make_service(redis, clock)
    reply = await rapport.command(actor(), "digest here weekly fri 16:30", CHANNEL)
    assert "Friday at 16:30" in reply.summary
    assert (await rapport.command(actor(), "digest here", DM)).kind == "error"
    await advance(rapport, clock, timedelta(days=14), step=timedelta(minutes=30))
    posts = [
        (t, r) for t, (r, m) in zip(outbox.times, outbox.sent, strict=True) if m.kind == "digest"
    ]
    assert [r.channel for _t, r in posts] == ["C-team", "C-team"]
    assert [t.strftime("%a %H:%M") for t, _r in posts] == ["Fri 16:30", "Fri 16:30"]
    await rapport.command(actor(), "digest off", CHANNEL)
    await advance(rapport, clock, timedelta(days=8), step=timedelta(hours=1))
    assert len([m for _r, m in outbox.sent if m.kind == "digest"]) == 2


async def test_export_holds_only_the_callers_data(redis, clock):
    import json

    rapport, outbox = await make_service(redis, clock)
    await _team(rapport, outbox, ["a", "b"])
    data = json.loads((await rapport.command(actor("a"), "export", DM)).attachment.content)
    assert [r["alias"] for r in data["relationships"]] == ["Client of a"]
    assert data["relationships"][0]["checkins"][0]["texts"] == {"takeaway": "secret words"}


async def test_commands_say_try_again_when_redis_is_down(redis_server, clock):
    import redis.asyncio as aioredis

    from bot.store.server import free_port

    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    rapport, _ = await make_service(dead, clock)
    reply = await rapport.command(actor(), "list", DM)
    assert "try again in a moment" in reply.summary
    assert not await rapport.healthy()
    await dead.aclose()


@pytest.mark.parametrize("alias", ["<!channel>", "*bold* & <@U1>"])
async def test_aliases_are_kept_verbatim_for_channels_to_escape(redis, clock, alias):
    rapport, _ = await make_service(redis, clock)
    reply = await rapport.command(actor(), f"add {alias}", DM)
    assert alias in reply.summary
    assert alias in (await rapport.command(actor(), "list", DM)).summary


def test_the_test_key_is_a_valid_fernet_key():
    from bot.store.crypto import validate_key

    assert validate_key(KEY) is None


async def test_editing_the_latest_checkin_re_judges_drift(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    for rating in (5, 5, 5, 5):
        form = await _logged_form(rapport, outbox, me)
        await rapport.submit(me, form.ref, answers(form, rating))
    form = await _logged_form(rapport, outbox, me)
    slip = await rapport.submit(me, form.ref, answers(form, 1))  # a slip of the finger
    assert [m.kind for m in slip.followups] == ["drift"]
    assert "drifting" in str((await rapport.command(me, "list", DM)).blocks)
    fixed = await rapport.submit(me, form.ref, answers(form, 5))
    assert fixed.followups == ()
    assert "steady" in str((await rapport.command(me, "list", DM)).blocks)
    again = await rapport.submit(me, form.ref, answers(form, 1))
    assert [m.kind for m in again.followups] == ["drift"]
    once_more = await rapport.submit(me, form.ref, answers(form, 1))
    assert once_more.followups == ()  # the same episode is not nudged twice


async def test_one_low_session_brings_a_watch_note_that_history_shows(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    sent = []
    for rating in (4, 4, 4, 4, 4, 4, 3, 4):
        form = await _logged_form(rapport, outbox, me)
        result = await rapport.submit(me, form.ref, answers(form, rating))
        sent.append(result.followups)
    assert [len(f) for f in sent] == [0, 0, 0, 0, 0, 0, 1, 0]  # one note, at the low session
    note = sent[6][0]
    assert note.kind == "watch" and "Sam" in note.summary
    words = (note.summary + str(note.blocks)).lower()
    assert "drift" not in words and "transactional" not in words  # told apart at a glance
    history = str((await rapport.command(me, "history Sam", DM)).blocks)
    assert "· watch" in history and "drifting" not in history
    assert "steady" in str((await rapport.command(me, "list", DM)).blocks)


async def test_an_aggregate_stored_by_the_old_drift_rule_stays_mid_episode(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    for rating in (4, 4, 4):
        form = await _logged_form(rapport, outbox, me)
        await rapport.submit(me, form.ref, answers(form, rating))
    key = keys.aggregate(me.tenant, form.ref.rpartition(":")[0])
    stored = json.loads(await redis.get(key))
    # What the old rule wrote for a relationship it had nudged: overall scores, an episode.
    old = {"sessions": 3, "baseline": [0.75, 0.75, 0.75], "ewma": 0.5, "previous": 0.5}
    old |= {"groups": {"power": {"baseline": [0.75], "ewma": 0.5}}, "episode": "trend"}
    stored["data"] |= {"drift": old, "drift_before": old, "drifting": True}
    await redis.set(key, json.dumps(stored))
    form = await _logged_form(rapport, outbox, me)
    result = await rapport.submit(me, form.ref, answers(form, 2))
    assert result.followups == ()  # the episode was nudged already: no second nudge
    assert "drifting" in str((await rapport.command(me, "list", DM)).blocks)
    history = str((await rapport.command(me, "history Sam", DM)).blocks)
    assert "4 of 4" in history  # the aggregate was read, not set aside
