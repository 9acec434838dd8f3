"""Socket Mode: the same bot over Slack's websocket (the fake serves one), no public URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from fake_slack import APP_TOKEN, FakeSlack, SlackUser
from slack_steps import said

from bot.channels.slack import EVENTS_PATH, mount
from bot.config import Settings


@pytest.fixture
async def socket_bot(rapport, slack_settings: Settings) -> AsyncIterator[web.Application]:
    settings = replace(slack_settings, slack_signing_secret=None, slack_app_token=APP_TOKEN)
    app = web.Application()
    mount(app, rapport, settings, pace=0)
    runner = web.AppRunner(app)
    await runner.setup()  # on_startup: connect_async()
    yield app
    await runner.cleanup()  # on_cleanup: close the socket


async def test_a_command_over_socket_mode(
    socket_bot: web.Application, fake_slack: FakeSlack, http
) -> None:
    assert not [r for r in socket_bot.router.routes() if r.resource.canonical == EVENTS_PATH]
    alice = SlackUser(fake_slack, "unused", "UALICE", http)
    command = dict(parse_qsl(alice.command_body("add <!here> sessions=4")))
    await fake_slack.socket_send(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "payload": command,
            "accepts_response_payload": True,
        }
    )
    await fake_slack.wait_for(lambda: fake_slack.responses, what="the reply over response_url")
    await fake_slack.wait_for(lambda: fake_slack.socket_acks, what="the envelope's ack")
    assert [a["envelope_id"] for a in fake_slack.socket_acks] == ["env-1"]
    reply = fake_slack.responses[0]
    assert "Added &lt;!here&gt;" in said(reply) and reply["response_type"] == "ephemeral"


async def test_socket_mode_retries_are_dropped(
    socket_bot: web.Application, fake_slack: FakeSlack
) -> None:
    event = {
        "token": "legacy",
        "team_id": "T0RAPPORT",
        "api_app_id": "A0RAPPORT",
        "type": "event_callback",
        "event_id": "EvSocket1",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": "UALICE", "tab": "home"},
    }
    await fake_slack.socket_send({"envelope_id": "e1", "type": "events_api", "payload": event})
    await fake_slack.wait_for(lambda: fake_slack.called("views.publish"), what="views.publish")
    await fake_slack.socket_send(
        {
            "envelope_id": "e2",
            "type": "events_api",
            "payload": event,
            "retry_attempt": 1,
            "retry_reason": "timeout",
        }
    )
    await fake_slack.wait_for(lambda: len(fake_slack.socket_acks) == 2, what="the retry's ack")
    await fake_slack.settle()
    assert len(fake_slack.called("views.publish")) == 1
