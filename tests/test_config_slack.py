"""Settings of multi-workspace mode and the uninstall grace period."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, from_env
from bot.startup import channel_lines

MULTI = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s3cret", "SLACK_SIGNING_SECRET": "x"}
KEY = "m1VkXqAa0nH4eo3fW9zQ2Zt8Yc2S6V0dJq0n5uH5gGs="


def test_client_id_and_secret_without_a_bot_token_mean_many_workspaces() -> None:
    s = from_env({**MULTI, "RAPPORT_ENCRYPTION_KEY": KEY})
    assert s.slack_multi_workspace and s.slack_enabled and not s.socket_mode
    assert "s3cret" not in repr(s)
    assert "set RAPPORT_PUBLIC_URL" in channel_lines(s)[0]  # localhost cannot be Slack's way back
    public = from_env(
        {**MULTI, "RAPPORT_ENCRYPTION_KEY": KEY, "RAPPORT_PUBLIC_URL": "https://r.example"}
    )
    assert channel_lines(public)[0].startswith(
        "Slack: on, multi-workspace (OAuth install at https://r.example/slack/install"
    )
    assert "set RAPPORT_PUBLIC_URL" not in channel_lines(public)[0]
    # with a bot token, the bot serves that one workspace, as before
    single = from_env({**MULTI, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert single.slack_enabled and not single.slack_multi_workspace
    assert channel_lines(single)[0].startswith("Slack: on, HTTP (one workspace")


def test_many_workspaces_need_a_key_to_seal_their_tokens() -> None:
    with pytest.raises(ConfigError, match="RAPPORT_ENCRYPTION_KEY"):
        from_env(MULTI)
    assert from_env({**MULTI, "RAPPORT_ALLOW_PLAINTEXT": "1"}).slack_multi_workspace


def test_the_grace_period_is_whole_days() -> None:
    assert from_env({}).uninstall_grace_days == 30
    assert from_env({"RAPPORT_UNINSTALL_GRACE_DAYS": "7"}).uninstall_grace_days == 7
    assert from_env({"RAPPORT_UNINSTALL_GRACE_DAYS": "0"}).uninstall_grace_days == 0
    for bad in ("-1", "a month"):
        with pytest.raises(ConfigError, match="RAPPORT_UNINSTALL_GRACE_DAYS"):
            from_env({"RAPPORT_UNINSTALL_GRACE_DAYS": bad})


def test_a_half_set_slack_says_what_is_missing() -> None:
    assert "neither SLACK_SIGNING_SECRET" in channel_lines(from_env({"SLACK_BOT_TOKEN": "x"}))[0]
    half = from_env({"SLACK_CLIENT_ID": "1.2"})
    assert "needs all of SLACK_CLIENT_ID" in channel_lines(half)[0]
