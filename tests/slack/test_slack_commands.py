"""/checkin end to end: signed requests to the real bot, replies via the fake Slack."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from fake_slack import FakeSlack, SlackUser, dm_of
from slack_steps import answer, next_prompt, said

from bot.core.clock import ManualClock
from bot.core.messages import Action

TEAM_CHANNEL = "CTEAM"


async def test_help_is_acked_at_once_and_answered_privately(
    alice: SlackUser, fake_slack: FakeSlack
) -> None:
    ack = await alice.command("help")
    assert ack.status == 200 and ack.seconds < 3
    await fake_slack.wait_for(lambda: fake_slack.responses, what="the help reply")
    reply = fake_slack.responses[0]
    assert reply["response_type"] == "ephemeral"
    assert "add" in said(reply) and "history" in said(reply)
    assert said(await alice.ask("")) == said(reply)  # bare /checkin = help


async def test_every_relationship_command(alice: SlackUser, fake_slack: FakeSlack) -> None:
    added = await alice.ask("add Sam sessions=8 every=weekly start=2026-01-06 10:00 length=60")
    assert "Added Sam" in said(added) and added["response_type"] == "ephemeral"
    assert "Added Kim" in said(await alice.ask("add Kim sessions=open every=14d"))
    assert "Logged session 1 with Kim" in said(await alice.ask("log kim"))
    assert "on" in said(await alice.ask("log Kim 2026-01-02 15:00"))
    listed = said(await alice.ask("list"))
    assert "Sam" in listed and "Kim" in listed
    assert "Kim: history" in said(await alice.ask("history KIM"))
    assert "Paused Sam" in said(await alice.ask("pause Sam"))
    assert "active again" in said(await alice.ask("resume Sam"))
    assert "review" in said(await alice.ask("review Kim")).lower()
    assert "Closed Kim" in said(await alice.ask("close Kim"))

    confirm = await alice.ask("forget Sam")
    assert "for good" in said(confirm)
    replies = len(fake_slack.responses)
    await alice.click_reply(confirm, Action.CONFIRM_FORGET, key="forget")
    await fake_slack.wait_for(lambda: len(fake_slack.responses) > replies, what="forget done")
    done = fake_slack.responses[-1]
    assert "Deleted Sam" in said(done) and done["replace_original"] is True
    assert "can't find Sam" in said(await alice.ask("history Sam"))


async def test_forget_can_be_cancelled(alice: SlackUser, fake_slack: FakeSlack) -> None:
    await alice.ask("add Sam")
    confirm = await alice.ask("forget Sam")
    replies = len(fake_slack.responses)
    await alice.click_reply(confirm, Action.CANCEL_FORGET, key="keep")
    await fake_slack.wait_for(lambda: len(fake_slack.responses) > replies, what="kept")
    assert "Kept Sam" in said(fake_slack.responses[-1])
    assert "Sam: history" in said(await alice.ask("history Sam"))


async def test_bad_input_gets_the_right_form_and_no_stack_trace(
    alice: SlackUser,
) -> None:
    for words in (
        "add",
        "log",
        "frobnicate Sam",
        "add " + "x" * 41,
        "digest weekly",
        "add Sam every=often",
    ):
        reply = said(await alice.ask(words))
        assert "Traceback" not in reply and "Error" not in reply
        assert "`" in reply or "form" in reply.lower(), (words, reply)
    assert "can't find Nobody" in said(await alice.ask("history Nobody"))


async def test_export_uploads_the_users_data_to_their_dm(
    alice: SlackUser, fake_slack: FakeSlack
) -> None:
    await alice.ask("add Sam sessions=8")
    reply = await alice.ask("export")
    assert "JSON" in said(reply) and reply["response_type"] == "ephemeral"
    calls = fake_slack.summary()
    assert calls.index("files.getUploadURLExternal") < calls.index("upload")
    assert calls.index("upload") < calls.index("files.completeUploadExternal")
    [uploaded] = fake_slack.files
    assert uploaded["channel"] == dm_of("UALICE")  # the user's DM, never the channel
    data = json.loads(fake_slack.uploads[uploaded["id"]])
    assert [r["alias"] for r in data["relationships"]] == ["Sam"]


async def test_digest_here_now_and_off_in_a_team_channel(
    alice: SlackUser, fake_slack: FakeSlack
) -> None:
    assert "team channel" in said(await alice.ask("digest now"))  # not in a DM
    here = await alice.ask("digest here weekly fri 16:00", channel=TEAM_CHANNEL)
    assert "every Friday at 16:00" in said(here)
    assert here["response_type"] == "in_channel"
    now = await alice.ask("digest now", channel=TEAM_CHANNEL)
    assert now["response_type"] == "in_channel"
    assert "Too little data" in said(now)  # fewer than three practitioners
    off = await alice.ask("digest off", channel=TEAM_CHANNEL)
    assert "No more team digests" in said(off)


async def test_the_weekly_digest_posts_to_the_channel(
    alice: SlackUser, fake_slack: FakeSlack, rapport, clock: ManualClock
) -> None:
    await alice.ask("add Sam")
    await alice.ask("log Sam")
    await answer(alice, await next_prompt(fake_slack, rapport, "UALICE"), "4")
    await alice.ask("digest here weekly mon 09:00", channel=TEAM_CHANNEL)
    clock.advance(timedelta(days=7))
    await rapport.run_due()
    [digest] = fake_slack.posted[TEAM_CHANNEL]
    assert "digest" in said(digest).lower()
    assert "Sam" not in said(digest)  # never a client pseudonym


async def test_bad_or_stale_signature_is_refused_and_stores_nothing(
    alice: SlackUser, fake_slack: FakeSlack, http, bot_url: str
) -> None:
    forger = SlackUser(fake_slack, bot_url, "UALICE", http, secret="not-the-secret")
    assert (await forger.command("add Forged")).status == 401
    stale = int(time.time()) - 10 * 60  # Slack's limit is five minutes
    assert (await alice.command("add Stale", timestamp=stale)).status == 401
    listed = said(await alice.ask("list"))
    assert "Forged" not in listed and "Stale" not in listed
    assert "You have no relationships yet" in listed


async def test_a_retried_command_has_one_effect(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    body = alice.command_body("log Sam")
    await alice.ask("add Sam")
    form = "application/x-www-form-urlencoded"
    assert (await alice.post(body, form)).status == 200
    await fake_slack.wait_for(lambda: any("Logged" in said(r) for r in fake_slack.responses))
    for retry in ("1", "2"):
        again = await alice.post(body, form, headers={"X-Slack-Retry-Num": retry})
        assert again.status == 200
    history = said(await alice.ask("history Sam"))
    assert "Sessions held*\\n1 " in history  # one session logged, not three
    assert sum("Logged" in said(r) for r in fake_slack.responses) == 1


async def test_a_retried_event_is_handled_once(alice: SlackUser, fake_slack: FakeSlack) -> None:
    assert (await alice.open_home(event_id="Ev1")).status == 200
    await fake_slack.wait_for(lambda: fake_slack.called("views.publish"))
    assert (await alice.open_home(event_id="Ev1", headers={"X-Slack-Retry-Num": "1"})).status == 200
    assert (await alice.open_home(event_id="Ev2")).status == 200
    await fake_slack.wait_for(lambda: len(fake_slack.called("views.publish")) == 2)
    await fake_slack.settle()
    assert len(fake_slack.called("views.publish")) == 2  # Ev1 once, Ev2 once


async def test_user_text_is_never_shown_unescaped(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    alias = "<!channel>"
    assert "Added &lt;!channel&gt;" in said(await alice.ask(f"add {alias}"))
    await alice.ask(f"log {alias}")
    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    await answer(alice, prompt, "3")
    await alice.ask(f"history {alias}")
    await alice.ask("list")
    await alice.open_home()
    await fake_slack.wait_for(lambda: fake_slack.home.get("UALICE"))
    surfaces = [*fake_slack.responses, fake_slack.home["UALICE"], *fake_slack.views]
    surfaces += [{"text": m.text, "blocks": m.blocks} for m in fake_slack.dm("UALICE")]
    markup = [t for s in surfaces for t in mrkdwn_texts(s)]
    assert any("&lt;!channel&gt;" in t for t in markup)
    assert not [t for t in markup if "<!channel>" in t]
    # plain_text (headers, labels, titles) is never parsed by Slack: the alias reads as typed
    plain = [t for s in surfaces for t in plain_texts(s)]
    assert any("<!channel>" in t for t in plain)


def mrkdwn_texts(node: object) -> list[str]:
    """Every string Slack parses as mrkdwn: `text` of messages and mrkdwn text objects."""
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" or (
            "text" in node and isinstance(node["text"], str) and node.get("type") != "plain_text"
        ):
            out.append(node["text"])
        for value in node.values():
            out += mrkdwn_texts(value) if isinstance(value, dict | list) else []
    elif isinstance(node, list):
        for item in node:
            out += mrkdwn_texts(item)
    return out


def plain_texts(node: object) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            out.append(node["text"])
        for value in node.values():
            out += plain_texts(value) if isinstance(value, dict | list) else []
    elif isinstance(node, list):
        for item in node:
            out += plain_texts(item)
    return out


async def test_app_home_shows_the_practitioners_relationships(
    alice: SlackUser, fake_slack: FakeSlack
) -> None:
    await alice.ask("add Sam sessions=8")
    await alice.open_home()
    home = await fake_slack.wait_for(lambda: fake_slack.home.get("UALICE"))
    assert home["type"] == "home"
    assert "Sam" in json.dumps(home)


async def test_the_time_zone_comes_from_users_info(alice: SlackUser, fake_slack: FakeSlack) -> None:
    fake_slack.tz["UALICE"] = "America/New_York"
    reply = await alice.ask("digest here", channel=TEAM_CHANNEL)
    assert "America/New_York" in said(reply)
    await alice.ask("list")
    assert len(fake_slack.called("users.info")) == 1  # cached


async def test_a_429_is_retried_and_the_checkin_sent_once(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    await alice.ask("add Sam")
    await alice.ask("log Sam")
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    prompt = await next_prompt(fake_slack, rapport, "UALICE")
    assert "chat.postMessage (429)" in fake_slack.summary()
    assert [m.ts for m in fake_slack.dm("UALICE")] == [prompt.ts]
    await rapport.run_due()
    assert len(fake_slack.dm("UALICE")) == 1  # never twice for the same session
