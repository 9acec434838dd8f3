"""Slack fixtures: the fake Slack server, the bot's real aiohttp app, signed users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackUser

from bot.channels.slack import EVENTS_PATH, mount, web_client
from bot.config import Settings
from bot.core.clock import ManualClock
from tests.serving import serving


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
def slack_settings(fake_slack: FakeSlack, tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        allow_plaintext=True,
    )


@pytest.fixture
def slack_client(slack_settings: Settings):
    return web_client(slack_settings)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def rapport(slack_settings: Settings, clock: ManualClock, redis: aioredis.Redis):
    from bot.service.app import build  # noqa: PLC0415 - the facade under test

    return await build(slack_settings, clock, redis)


@pytest.fixture
async def bot_url(rapport, slack_settings: Settings) -> AsyncIterator[str]:
    """The bot's real aiohttp app, Slack mounted on it, on a free port (no send pacing)."""
    app = web.Application()
    mount(app, rapport, slack_settings, pace=0)
    async with serving(app) as base:
        yield f"{base}{EVENTS_PATH}"


@pytest.fixture
def alice(fake_slack: FakeSlack, bot_url: str, http: aiohttp.ClientSession) -> SlackUser:
    return SlackUser(fake_slack, bot_url, "UALICE", http)


@pytest.fixture
def bob(fake_slack: FakeSlack, bot_url: str, http: aiohttp.ClientSession) -> SlackUser:
    return SlackUser(fake_slack, bot_url, "UBOB", http)
