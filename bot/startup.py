"""What the start-up log says about the channels: which are on, and how to turn on the rest."""

from __future__ import annotations

from bot.config import Settings

SLACK_HOW = (
    "Slack: off. Turn it on with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP, one "
    "workspace), SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode, no public URL), or "
    "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (many workspaces, OAuth "
    "install)"
)
TEAMS_HOW = (
    "Teams: off. Turn it on with TEAMS_APP_ID and TEAMS_APP_PASSWORD (and "
    "TEAMS_APP_TENANT_ID for a single-tenant bot), or TEAMS_ENABLED=1 with "
    "TEAMS_LOCAL_MODE=1 to try it on this machine"
)


def slack_line(s: Settings) -> str:
    if s.slack_multi_workspace:
        line = (
            "Slack: on, multi-workspace (OAuth install at "
            f"{s.public_url}/slack/install, events at POST /slack/events)"
        )
        if not s.public_url.startswith("https://"):
            line += (
                "; set RAPPORT_PUBLIC_URL to the public https:// address: Slack sends "
                "installers back to it"
            )
        return line
    if s.slack_enabled and s.socket_mode:
        return "Slack: on, Socket Mode (one workspace)"
    if s.slack_enabled:
        return "Slack: on, HTTP (one workspace, events at POST /slack/events)"
    if s.slack_bot_token:
        return (
            "Slack: off. SLACK_BOT_TOKEN is set, but neither SLACK_SIGNING_SECRET (HTTP) "
            "nor SLACK_APP_TOKEN (Socket Mode)"
        )
    if s.slack_client_id or s.slack_client_secret:
        return (
            "Slack: off. Multi-workspace mode needs all of SLACK_CLIENT_ID, "
            "SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET"
        )
    return SLACK_HOW


def teams_line(s: Settings) -> str:
    if not s.teams_enabled:
        return TEAMS_HOW
    if s.teams_app_id:
        return "Teams: on (POST /api/messages)"
    return "Teams: on, without credentials: no authentication (POST /api/messages)"


def channel_lines(s: Settings) -> list[str]:
    """One line per channel; a last line when none is on."""
    lines = [slack_line(s), teams_line(s)]
    if not (s.slack_enabled or s.teams_enabled):
        lines.append("No channel is on: only /healthz and /metrics are served")
    return lines
