"""/checkin end to end: signed requests to the real bot, replies via the fake Slack."""

from __future__ import annotations

import json

from fake_slack import FakeSlack, SlackUser


def said(reply: dict) -> str:
    """Everything a reply shows, as one string (text and blocks)."""
    return reply.get("text", "") + json.dumps(reply.get("blocks", []), ensure_ascii=False)


async def test_help_is_acked_at_once_and_answered_privately(
    alice: SlackUser, fake_slack: FakeSlack
) -> None:
    ack = await alice.command("help")
    assert ack.status == 200 and ack.seconds < 3
    await fake_slack.wait_for(lambda: fake_slack.responses, what="the help reply")
    reply = fake_slack.responses[0]
    assert reply["response_type"] == "ephemeral"
    assert "add" in said(reply) and "history" in said(reply)
