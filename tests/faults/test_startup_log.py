"""`make run`'s start-up log names the channels that are on, or how to turn them on."""

from __future__ import annotations

from pathlib import Path

from bot.store.server import free_port
from tests.faults.procs import BotProcess, FlakySlack, bot_env
from tests.slack.fake_slack import CLIENT_ID, CLIENT_SECRET

BOLT_CLIENT_AND_TOKEN = "As you gave `client` as well, `token` will be unused"


async def test_the_log_names_slack_over_http_with_no_bolt_warning(
    slack: FlakySlack, redis_server, tmp_path: Path, procs: list[BotProcess]
) -> None:
    env = bot_env(redis_server.url, slack, tmp_path)
    proc = BotProcess("serve", env, tmp_path / "serve.log", port=free_port())
    procs.append(proc.start())
    await proc.wait_log("listening on port")
    log = proc.log()
    assert "Slack: on, HTTP (one workspace" in log
    assert "Teams: off. Turn it on with TEAMS_APP_ID" in log
    assert BOLT_CLIENT_AND_TOKEN not in log


async def test_the_log_names_multi_workspace_mode(
    slack: FlakySlack, redis_server, tmp_path: Path, procs: list[BotProcess], http
) -> None:
    env = bot_env(
        redis_server.url,
        slack,
        tmp_path,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
    )
    del env["SLACK_BOT_TOKEN"]
    proc = BotProcess("serve", env, tmp_path / "multi.log", port=free_port())
    procs.append(proc.start())
    await proc.wait_log("listening on port")
    assert "Slack: on, multi-workspace (OAuth install at" in proc.log()
    assert "FileInstallationStore" not in proc.log() and "file-based" not in proc.log()
    # the real process serves the install link: a redirect to Slack's consent page
    async with http.get(proc.url + "/slack/install", allow_redirects=False) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
    assert location.startswith("https://slack.com/oauth/v2/authorize?")
    assert f"client_id={CLIENT_ID}" in location and "state=" in location


async def test_with_no_channel_the_log_says_which_variables_turn_each_on(
    slack: FlakySlack, redis_server, tmp_path: Path, procs: list[BotProcess]
) -> None:
    env = bot_env(redis_server.url, slack, tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        del env[name]
    proc = BotProcess("serve", env, tmp_path / "none.log", port=free_port())
    procs.append(proc.start())
    await proc.wait_log("listening on port")
    log = proc.log()
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP" in log
    assert "SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode" in log
    assert "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET" in log
    assert "TEAMS_APP_ID and TEAMS_APP_PASSWORD" in log
    assert "No channel is on" in log
