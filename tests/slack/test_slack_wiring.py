"""Slack mounted by the one web app (bot.web), next to /healthz and /metrics."""

from __future__ import annotations

from dataclasses import replace

from fake_slack import FakeSlack, SlackUser
from slack_steps import said

from bot.config import Settings, from_env
from bot.web import create_app
from tests.serving import serving


async def test_one_server_serves_slack_and_health(
    rapport, slack_settings: Settings, fake_slack: FakeSlack, http
) -> None:
    async with serving(create_app(rapport, slack_settings)) as base:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        alice = SlackUser(fake_slack, f"{base}/slack/events", "UALICE", http)
        assert "history" in said(await alice.ask("help"))
        assert fake_slack.called("auth.test")  # bolt checked the token against SLACK_API_URL


def test_slack_is_off_without_credentials_and_socket_mode_with_an_app_token() -> None:
    assert not from_env({}).slack_enabled
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert from_env(env).slack_enabled and not from_env(env).socket_mode
    socket = from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert socket.slack_enabled and socket.socket_mode


async def test_no_slack_route_when_slack_is_off(rapport, slack_settings: Settings) -> None:
    app = create_app(rapport, replace(slack_settings, slack_bot_token=None))
    assert "/slack/events" not in {r.resource.canonical for r in app.router.routes()}
