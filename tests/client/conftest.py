"""The client's page on the real aiohttp app, on a free 127.0.0.1 port, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.core.clock import ManualClock
from bot.core.messages import Link, Message
from bot.service.app import Rapport
from bot.store.server import free_port
from bot.web import create_app
from tests.service_helpers import DM, Outbox, actor, drain, make_service
from tests.serving import serving


@dataclass
class Site:
    rapport: Rapport
    outbox: Outbox
    clock: ManualClock
    base: str
    http: aiohttp.ClientSession

    async def say(self, words: str, user: str = "u1") -> Message:
        reply = await self.rapport.command(actor(user), words, DM)
        await drain(self.rapport)
        return reply

    def links(self) -> list[str]:
        return [b.url for _to, m in self.outbox.sent for b in m.blocks if isinstance(b, Link)]

    async def new_link(self, alias: str = "Sam", user: str = "u1") -> str:
        """A relationship with client ratings on, a session logged: its client link."""
        await self.say(f"add {alias} client=on", user)
        await self.say(f"log {alias}", user)
        return self.links()[-1]

    async def get(self, url: str, **kw) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(url, **kw) as r:
            return r.status, await r.text(), r

    async def post(self, url: str, data: dict, **kw) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.post(url, data=data, **kw) as r:
            return r.status, await r.text(), r

    async def answer(self, url: str, ratings: dict[str, str], comment: str = "") -> tuple[int, str]:
        """Load the page (cookie, CSRF token) and send the form, as a browser would."""
        status, body, _ = await self.get(url)
        assert status == 200, body
        csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
        status, body, _ = await self.post(url, {"csrf": csrf, **ratings, "comment": comment})
        return status, body


FOUR = {"perspectives": "4", "power": "3", "problem_solving": "5", "helped": "4"}


@pytest.fixture
async def site(redis, clock) -> AsyncIterator[Site]:
    port = free_port()
    rapport, outbox = await make_service(redis, clock, public_url=f"http://127.0.0.1:{port}")
    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies for an IP address host
    async with (
        serving(create_app(rapport, rapport_settings(port)), port) as base,
        aiohttp.ClientSession(cookie_jar=jar) as http,
    ):
        yield Site(rapport, outbox, clock, base, http)


def rapport_settings(port: int):
    from bot.config import Settings
    from tests.service_helpers import KEY

    return Settings(encryption_key=KEY, public_url=f"http://127.0.0.1:{port}")
