"""The Teams app package: manifest and icons as Teams validates them."""

from __future__ import annotations

import json
import struct
from pathlib import Path

TEAMS = Path(__file__).resolve().parents[2] / "teams"
# Teams allows ten commands per list: the most used ones (every word still works typed).
WORDS = {
    "help", "add", "log", "history", "list", "review", "skip", "client",
    "pause", "away", "digest", "export", "extend", "hours",
}  # fmt: skip


def _manifest() -> dict:
    return json.loads((TEAMS / "manifest.json").read_text())


def test_bot_serves_every_scope_and_lists_every_checkin_word() -> None:
    (bot,) = _manifest()["bots"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["botId"] == _manifest()["id"] == "${{TEAMS_APP_ID}}"
    lists = bot["commandLists"]
    assert all(len(c["commands"]) <= 10 for c in lists)  # Teams' limit per list
    listed = {cmd["title"] for c in lists for cmd in c["commands"]}
    assert listed == WORDS
    assert all(len(cmd["description"]) <= 128 for c in lists for cmd in c["commands"])


def test_icons_are_pngs_of_the_sizes_teams_requires() -> None:
    manifest = _manifest()
    for name, size in (("color", 192), ("outline", 32)):
        data = (TEAMS / manifest["icons"][name]).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (size, size)
