"""The app manifest matches what the Slack channel listens to and calls."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.channels.slack import EVENTS_PATH
from bot.channels.slack.commands import COMMAND
from bot.channels.slack.oauth import BOT_SCOPES, REDIRECT_PATH

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yaml"
# Slack's own manifest schema (slackapi/manifest-schema v0.5.0), as published.
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "slack-manifest.schema.2.0.0.json"


def test_manifest_creates_the_app_the_code_expects() -> None:
    m = yaml.safe_load(MANIFEST.read_text())
    [command] = m["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["url"].endswith(EVENTS_PATH)
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert m["settings"]["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    events = m["settings"]["event_subscriptions"]["bot_events"]
    assert events == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    assert m["oauth_config"]["redirect_urls"] == [f"https://YOUR-HOST{REDIRECT_PATH}"]
    assert m["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)  # what the install asks for
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    # conversations.open, users.info, chat.*, files_upload_v2, /checkin
    needed = {"commands", "chat:write", "im:write", "users:read", "files:write"}
    assert needed <= set(m["oauth_config"]["scopes"]["bot"])
    assert 175 <= len(m["display_information"]["long_description"]) <= 4000


def test_manifest_is_valid_by_slacks_own_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(_manifest())]
    assert errors == []
    # the schema is not a formality: a misspelt setting is refused
    broken = _manifest()
    broken["settings"]["socket_mode"] = True
    assert list(validator.iter_errors(broken))


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())
