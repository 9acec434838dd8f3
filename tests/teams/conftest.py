"""Teams fixtures: the fake Bot Connector server and the bot's real aiohttp app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from bot.config import Settings
from bot.service.app import build
from bot.web import create_app
from tests.serving import serving

from .connector import FakeConnector
from .harness import TeamsBot


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def teams(redis, clock, connector: FakeConnector) -> AsyncIterator[TeamsBot]:
    """The real aiohttp app (local mode: Teams on, no credentials, the switch set) on a
    loopback port."""
    settings = Settings(teams_enabled=True, teams_local_mode=True, allow_plaintext=True)
    async with serve_teams(settings, redis, clock, connector) as bot:
        yield bot


@asynccontextmanager
async def serve_teams(
    settings: Settings, redis, clock, connector: FakeConnector
) -> AsyncIterator[TeamsBot]:
    """Rapport built with `settings`, its aiohttp app on a free loopback port."""
    rapport = await build(settings, clock, redis)
    async with serving(create_app(rapport, settings)) as base, aiohttp.ClientSession() as http:
        yield TeamsBot(f"{base}/api/messages", http, rapport, connector, clock)
