"""What the README and SECURITY.md tell users is true of the app they describe."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import Settings, from_env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SECURITY = (ROOT / "SECURITY.md").read_text()
MANIFEST = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text())


def test_the_readme_never_asks_to_type_in_the_apps_read_only_dm() -> None:
    home = MANIFEST["features"]["app_home"]
    assert home["messages_tab_read_only_enabled"] is True  # no message box in the bot's DM
    sentences = re.split(r"(?<=[.!?])\s+", README)
    typing = [s for s in sentences if re.search(r"\btype\b[^.]*`/checkin", s)]
    assert typing, "the README says where to type /checkin"
    for sentence in typing:
        assert not re.search(r"in the bot's DM|in the app's DM|in its DM", sentence), sentence
    assert "read-only" in README  # and it says why the app's DM has no message box


def test_the_readme_shows_a_way_to_try_teams_locally_that_still_exists() -> None:
    assert "BotFramework-Emulator" not in README
    assert not re.search(r"Point the\s+\[?Bot Framework Emulator", README)
    local = README.split("### Try it locally first", 1)[1].split("###", 1)[0]
    assert "local mode" in local and "/api/messages" in local and "make demo" in local
    assert "Microsoft 365 Agents SDK" in README  # the channel stays thin for that move


def test_every_new_variable_is_documented_with_its_default() -> None:
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "RAPPORT_UNINSTALL_GRACE_DAYS"):
        assert f"`{name}`" in README, name
    assert Settings().uninstall_grace_days == 30 == from_env({}).uninstall_grace_days
    assert "Distribute to many workspaces, step by step" in README
    assert "app_uninstalled" in SECURITY and "RAPPORT_UNINSTALL_GRACE_DAYS" in SECURITY
