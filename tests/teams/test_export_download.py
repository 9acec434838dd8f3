"""A large export in Teams: one card with a private, expiring download link, not hundreds of
messages; a small one stays in chat, every message under Teams' size limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.core.models import CheckIn
from tests.teams.conftest import serve_teams

from .activities import TENANT
from .connector import FakeConnector, actions
from .harness import TeamsBot

KEY = "m1VkXqAa0nH4eo3fW9zQ2Zt8Yc2S6V0dJq0n5uH5gGs="
PUBLIC = "http://rapport.test"
CHECKINS = 300


@pytest.fixture
async def linked(redis, clock, connector: FakeConnector) -> AsyncIterator[TeamsBot]:
    """The Teams app with a link secret (from the encryption key): large exports as links."""
    settings = Settings(
        teams_enabled=True, teams_local_mode=True, encryption_key=KEY, public_url=PUBLIC
    )
    async with serve_teams(settings, redis, clock, connector) as bot:
        yield bot


async def _many_checkins(bot: TeamsBot, count: int) -> None:
    """Sam with `count` answered check-ins, each with a note (as a long relationship has)."""
    await bot.say(1, "add Sam")
    store = bot.rapport.ctx.store
    rel = await store.find(f"teams:{TENANT}", "aad-1", "sam")
    at = bot.clock.now()
    for n in range(1, count + 1):
        entry = CheckIn(rel.id, n, "session", n, at, at, ("c1",), status="answered")
        await store.save_checkin(rel.tenant, replace(entry, texts={"takeaway": "ünë " * 40}))
    await store.update(rel.tenant, rel.id, lambda r: replace(r, entries=count))


def _local(url: str, bot: TeamsBot) -> str:
    return url.replace(PUBLIC, bot.url.removesuffix("/api/messages"))


async def test_a_large_export_is_one_download_link_that_expires(linked: TeamsBot):
    await _many_checkins(linked, CHECKINS)
    posts = await linked.say(1, "export")
    assert len(posts) == 2  # the reply and one card, not dozens of code blocks
    (download,) = actions(posts[1].card)
    assert download["type"] == "Action.OpenUrl" and download["url"].startswith(PUBLIC)
    url = _local(download["url"], linked)

    async with linked.http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        assert "attachment" in resp.headers["Content-Disposition"]
        data = json.loads(await resp.read())
    (sam,) = data["relationships"]
    assert sam["alias"] == "Sam" and len(sam["checkins"]) == CHECKINS
    assert sam["checkins"][0]["texts"]["takeaway"].startswith("ünë")  # opened for its owner

    token = url.rsplit("/", 1)[1]
    forged = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    async with linked.http.get(forged) as resp:
        assert resp.status == 404
    linked.clock.advance(timedelta(minutes=61))
    async with linked.http.get(url) as resp:
        assert resp.status == 410


async def test_a_small_export_stays_in_chat_under_the_size_limit(linked: TeamsBot):
    await _many_checkins(linked, 20)
    posts = await linked.say(1, "export")
    assert 2 <= len(posts) <= 4
    for post in posts:
        wire = json.dumps(post.body, ensure_ascii=False)
        assert len(wire.encode("utf-8")) < 28_000 and len(wire.encode("utf-16-le")) < 28_000
    code = "".join(p.text.split("```\n", 1)[1].rsplit("\n```", 1)[0] for p in posts[1:])
    assert len(json.loads(code)["relationships"][0]["checkins"]) == 20
