"""Fault-test fixtures: a Slack that fails on demand, bot processes cleaned up after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.faults.procs import BotProcess, FlakySlack


@pytest.fixture
async def slack() -> AsyncIterator[FlakySlack]:
    fake = FlakySlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def procs() -> Iterator[list[BotProcess]]:
    """Every process a test starts goes here; whatever is still running is killed after."""
    started: list[BotProcess] = []
    yield started
    for proc in started:
        proc.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
