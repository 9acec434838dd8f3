"""The check-in in Slack: DM with a button, modal, stored answers, edits, reviews, nudges."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from fake_slack import FakeSlack, SlackUser
from slack_steps import answer, buttons, next_prompt, open_modal, ratings, said

from bot.core.clock import ManualClock
from bot.core.messages import Action


async def test_log_sends_a_dm_whose_modal_stores_the_checkin(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    await alice.ask("add Sam sessions=8")
    reply = await alice.ask("log Sam")
    assert "Logged session 1 with Sam" in said(reply)

    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    assert "Session 1 with Sam" in prompt.text
    view = await open_modal(alice, prompt)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    rated = [b for b in inputs if b["element"]["type"] == "radio_buttons"]
    assert len(rated) >= 3  # two or three contrasts plus "Am I being helpful?"
    for block in rated:
        assert [o["value"] for o in block["element"]["options"]] == ["1", "2", "3", "4", "5"]
    assert len(view["title"]["text"]) <= 24
    meta = json.loads(view["private_metadata"])
    assert (meta["ch"], meta["ts"]) == (prompt.channel, prompt.ts)

    await answer(alice, prompt, "5")
    assert "saved" in prompt.text and "100%" in said(prompt)  # the session's scores
    assert [b["action_id"] for b in buttons(prompt.blocks)] == [Action.OPEN_FORM]  # Edit

    history = await alice.ask("history Sam")
    assert "1 of 1" in said(history)  # check-ins answered
    assert "Last check-ins" in said(history) and "session 1" in said(history)


async def test_answers_can_be_edited_after_submit(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    await alice.ask("add Sam")
    await alice.ask("log Sam")
    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    await answer(alice, prompt, "5")

    view = await open_modal(alice, prompt)  # the "Edit answers" button
    rated = [b for b in view["blocks"] if b.get("element", {}).get("type") == "radio_buttons"]
    assert all(b["element"]["initial_option"]["value"] == "5" for b in rated)
    edits = len(prompt.history)
    ack = await alice.submit(view, ratings(view, "3"))
    assert ack.status == 200
    await fake_slack.wait_for(lambda: len(prompt.history) > edits, what="the edited DM")
    assert "50%" in said(prompt)
    history = said(await alice.ask("history Sam"))
    assert "1 of 1" in history and "50%" in history


async def test_a_missing_answer_keeps_the_modal_open_and_stores_nothing(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    await alice.ask("add Sam")
    await alice.ask("log Sam")
    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    view = await open_modal(alice, prompt)
    values = ratings(view, "4")
    skipped = next(iter(values))
    del values[skipped]
    ack = await alice.submit(view, values)
    assert ack.status == 200
    body = ack.json()
    assert body["response_action"] == "errors"
    assert skipped in body["errors"] and body["errors"][skipped]
    assert not prompt.history  # the DM still asks
    assert "0 of 1" in said(await alice.ask("history Sam"))


async def test_a_review_opens_its_modal_from_the_reply(
    alice: SlackUser, fake_slack: FakeSlack
) -> None:
    await alice.ask("add Sam sessions=8")
    reply = await alice.ask("review Sam")
    assert reply["response_type"] == "ephemeral"
    before = len(fake_slack.views)
    await alice.click_reply(reply, Action.OPEN_FORM, key="review-reply")
    await fake_slack.wait_for(lambda: len(fake_slack.views) > before, what="the review modal")
    view = fake_slack.views[-1]
    rated = [b for b in view["blocks"] if b.get("element", {}).get("type") == "radio_buttons"]
    assert len(rated) >= 16  # all sixteen contrasts
    replies = len(fake_slack.responses)
    ack = await alice.submit(view, ratings(view, "4"))
    assert ack.status == 200 and ack.json() is None
    await fake_slack.wait_for(lambda: len(fake_slack.responses) > replies, what="review done")
    done = fake_slack.responses[-1]
    assert done["replace_original"] is True and "saved" in done["text"]
    assert "review" in said(await alice.ask("history Sam")).lower()


async def test_a_sharp_drop_brings_a_drift_nudge_with_the_repair_checklist(
    alice: SlackUser, fake_slack: FakeSlack, rapport, clock: ManualClock
) -> None:
    await alice.ask("add Sam")
    for value in ("5", "5", "1"):
        await alice.ask("log Sam")
        prompt = await next_prompt(fake_slack, rapport, "UALICE")
        await answer(alice, prompt, value)
        clock.advance(timedelta(days=7))
    nudges = await fake_slack.wait_for(
        lambda: [m for m in fake_slack.dm("UALICE") if "drifting" in m.text],
        what="the drift nudge",
    )
    [nudge] = nudges
    shown = said(nudge)
    assert any(g in shown for g in ("perspectives", "power", "problem solving", "every area"))
    assert "Am I being helpful?" in shown  # the repair checklist
    assert "☐" in shown


async def test_another_practitioner_cannot_see_or_open_a_relationship(
    alice: SlackUser, bob: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    await alice.ask("add Sam")
    await alice.ask("log Sam")
    prompt = await next_prompt(fake_slack, rapport, "UALICE")

    assert "can't find Sam" in said(await bob.ask("history Sam"))
    assert "Sam" not in said(await bob.ask("list"))
    before = len(fake_slack.views)
    await bob.click(prompt, Action.OPEN_FORM)  # e.g. a forwarded button
    await fake_slack.wait_for(
        lambda: any("someone else" in said(r) for r in fake_slack.responses), what="refusal"
    )
    assert len(fake_slack.views) == before  # no modal for Bob


async def test_reminder_then_missed_updates_the_dm(
    alice: SlackUser, fake_slack: FakeSlack, rapport, clock: ManualClock
) -> None:
    await alice.ask("add Sam")
    await alice.ask("log Sam")
    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    clock.advance(timedelta(hours=25))
    await rapport.run_due()
    reminders = [m for m in fake_slack.dm("UALICE") if "gentle nudge" in m.text]
    assert len(reminders) == 1 and buttons(reminders[0].blocks)  # with the button again
    clock.advance(timedelta(hours=72))
    await rapport.run_due()
    assert "missed" in prompt.text  # the original DM now says so
    assert len([m for m in fake_slack.dm("UALICE") if "gentle nudge" in m.text]) == 1


async def test_a_scheduled_checkin_waits_for_working_hours_in_the_users_zone(
    alice: SlackUser, fake_slack: FakeSlack, rapport, clock: ManualClock
) -> None:
    fake_slack.tz["UALICE"] = "America/New_York"
    # Monday 5 Jan 2026, 17:30-18:30 in New York: the check-in would fall at 18:40, after hours.
    await alice.ask("add Sam sessions=4 every=weekly start=2026-01-05 17:30 length=60")
    clock.set(datetime(2026, 1, 5, 23, 45, tzinfo=UTC))  # 18:45 in New York
    await rapport.run_due()
    assert not fake_slack.dm("UALICE")
    clock.set(datetime(2026, 1, 6, 13, 59, tzinfo=UTC))  # 08:59 Tuesday in New York
    await rapport.run_due()
    assert not fake_slack.dm("UALICE")
    clock.set(datetime(2026, 1, 6, 14, 0, tzinfo=UTC))  # 09:00: working hours begin
    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    assert "Session 1 with Sam" in prompt.text
    await rapport.run_due()
    assert len(fake_slack.dm("UALICE")) == 1  # sent once


async def test_an_expired_response_url_sends_the_saved_review_as_a_dm(
    alice: SlackUser, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    await alice.ask("add Sam sessions=8")
    reply = await alice.ask("review Sam")
    fake_slack.missing_response_urls.add("old-reply")  # more than 30 minutes later: 404
    before = len(fake_slack.views)
    await alice.click_reply(reply, Action.OPEN_FORM, key="old-reply")
    await fake_slack.wait_for(lambda: len(fake_slack.views) > before, what="the review modal")
    view = fake_slack.views[-1]
    with caplog.at_level(logging.WARNING, logger="bot.channels.slack.checkin"):
        assert (await alice.submit(view, ratings(view, "4"))).status == 200
        saved = await fake_slack.wait_for(
            lambda: [m for m in fake_slack.dm("UALICE") if "saved" in m.text],
            what="the update, sent as a DM",
        )
    assert fake_slack.called("response_url (404)")
    assert len(saved) == 1
    assert any("response_url answered 404" in r.getMessage() for r in caplog.records)
