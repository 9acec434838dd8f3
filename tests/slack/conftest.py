"""Slack fixtures: the fake Slack server, the bot's real aiohttp app, signed users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

from bot.channels.slack import web_client
from bot.config import Settings


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
