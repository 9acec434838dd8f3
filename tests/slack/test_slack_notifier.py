"""The Slack notifier against the fake Slack Web API: DMs, channels, updates, files, 429s."""

from __future__ import annotations

import json

from fake_slack import FakeSlack

from bot.channels.slack.notifier import Pacer, SlackNotifier
from bot.core.messages import Action, Actions, Attachment, Button, Message, Paragraph, Span
from bot.service.api import Recipient

TENANT = "slack:T0RAPPORT"


def prompt(alias: str) -> Message:
    return Message(
        summary=f"Time for a check-in: {alias}",
        blocks=(
            Paragraph((Span("How did session 3 with "), Span(alias, bold=True), Span(" go?"))),
            Actions((Button("Open check-in", Action.OPEN_FORM, "rel1:3"),)),
        ),
        kind="checkin",
    )


async def test_send_to_a_user_opens_the_dm_and_returns_an_updatable_ref(
    fake_slack: FakeSlack, slack_client
) -> None:
    notifier = SlackNotifier(slack_client, Pacer(interval=0))
    ref = await notifier.send(Recipient(TENANT, user="UALICE"), prompt("<!channel>"))
    [posted] = fake_slack.dm("UALICE")
    assert ref == f"{posted.channel}:{posted.ts}"
    assert fake_slack.summary() == ["conversations.open", "chat.postMessage"]
    assert "<!channel>" not in posted.text + json.dumps(posted.blocks)
    assert posted.blocks[-1]["elements"][0]["action_id"] == Action.OPEN_FORM

    done = Message(summary="Check-in saved", blocks=(Paragraph((Span("Saved"),)),))
    await notifier.update(Recipient(TENANT, user="UALICE"), ref, done)
    assert posted.text == "Check-in saved" and len(posted.history) == 1

    await notifier.send(Recipient(TENANT, user="UALICE"), done)
    assert len(fake_slack.called("conversations.open")) == 1  # the DM id is remembered


async def test_send_to_a_channel_posts_there(fake_slack: FakeSlack, slack_client) -> None:
    notifier = SlackNotifier(slack_client, Pacer(interval=0))
    await notifier.send(Recipient(TENANT, channel="CTEAM"), prompt("Team"))
    assert [p.channel for p in fake_slack.posted["CTEAM"]] == ["CTEAM"]
    assert not fake_slack.called("conversations.open")


async def test_a_429_is_retried_after_retry_after(fake_slack: FakeSlack, slack_client) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    notifier = SlackNotifier(slack_client, Pacer(interval=0))
    ref = await notifier.send(Recipient(TENANT, channel="CTEAM"), prompt("Team"))
    assert ref is not None
    assert fake_slack.summary() == ["chat.postMessage (429)", "chat.postMessage"]
    assert len(fake_slack.posted["CTEAM"]) == 1  # sent once, after the wait


async def test_attachment_is_uploaded_with_files_upload_v2(
    fake_slack: FakeSlack, slack_client
) -> None:
    notifier = SlackNotifier(slack_client, Pacer(interval=0))
    channel = await notifier.dm_channel("UALICE")
    data = json.dumps({"relationships": []}).encode()
    await notifier.upload(channel, Attachment("rapport-export.json", data), comment="Your data")
    assert fake_slack.summary() == [
        "conversations.open",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert list(fake_slack.uploads.values()) == [data]
    assert fake_slack.files[0]["channel"] == "DUALICE"
    assert fake_slack.files[0]["title"] == "rapport-export.json"


async def test_pacer_spaces_sends_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(interval=1.0, now=lambda: now[0], sleep=sleep)
    await pacer.wait("C1")
    await pacer.wait("C2")  # another channel does not wait
    assert slept == []
    await pacer.wait("C1")
    assert slept == [1.0]
    now[0] += 5
    await pacer.wait("C1")  # long after the last send: no wait
    assert slept == [1.0]
