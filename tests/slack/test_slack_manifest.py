"""The app manifest matches what the Slack channel listens to and calls."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.channels.slack import EVENTS_PATH
from bot.channels.slack.commands import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yaml"


def test_manifest_creates_the_app_the_code_expects() -> None:
    m = yaml.safe_load(MANIFEST.read_text())
    [command] = m["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["url"].endswith(EVENTS_PATH)
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert m["settings"]["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    # conversations.open, users.info, chat.*, files_upload_v2, /checkin
    needed = {"commands", "chat:write", "im:write", "users:read", "files:write"}
    assert needed <= set(m["oauth_config"]["scopes"]["bot"])
    assert 175 <= len(m["display_information"]["long_description"]) <= 4000
