"""Faults placed at an exact moment, on a Redis server of the test's own.

`Faults` drives the server from an admin connection the faults never touch: a network blip
(every other connection killed with CLIENT KILL, new ones refused through `maxclients`) and a
full Redis (`maxmemory` 1 with `noeviction`). `slack_service` is the bot's service with the
production Redis client (its retry policy included) and the real Slack notifier, so a fault
meets the same code a deployed worker runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aioredis

from bot.channels.slack import web_client
from bot.channels.slack.notifier import Pacer, SlackNotifier
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.service.api import Actor, Place
from bot.service.app import Rapport, build
from bot.store import keys
from bot.store.connection import connect
from bot.store.server import EmbeddedRedis, free_port
from tests.faults.procs import TENANT
from tests.service_helpers import KEY
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

DM = Place()
START = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin: working time


class Faults:
    def __init__(self, admin: aioredis.Redis) -> None:
        self.admin = admin

    async def _stat(self, section: str, name: str) -> int:
        info = await self.admin.info(section)
        value = info.get(name, 0)
        return int(value["count"]) if isinstance(value, dict) else int(value)

    async def rejected(self) -> int:
        """Connections the server refused so far (INFO stats)."""
        return await self._stat("stats", "rejected_connections")

    async def errors(self) -> int:
        """ERR replies so far (INFO errorstats): an OOM inside a script is one of them."""
        return await self._stat("errorstats", "errorstat_ERR")

    async def blip(self) -> None:
        """The network drops: every connection but ours is killed, and new ones are refused."""
        await self.admin.config_set("maxclients", 1)
        await self.admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")

    async def unblip(self) -> None:
        await self.admin.config_set("maxclients", 10000)

    async def full(self) -> None:
        """Redis is out of memory: every write is refused with OOM."""
        await self.admin.config_set("maxmemory-policy", "noeviction")
        await self.admin.config_set("maxmemory", 1)

    async def unfull(self) -> None:
        await self.admin.config_set("maxmemory", 0)


@asynccontextmanager
async def own_redis(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedRedis, Faults]]:
    server = EmbeddedRedis(data_dir=tmp_path / "redis", port=free_port()).start()
    admin = aioredis.from_url(server.url, decode_responses=True)
    try:
        yield server, Faults(admin)
    finally:
        await admin.aclose()
        server.stop()


def slack_settings(slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        encryption_key=KEY,
    )


async def slack_service(
    url: str, slack: FakeSlack, clock: ManualClock, tmp_path: Path
) -> tuple[Rapport, aioredis.Redis]:
    """A service (a web or worker process) with its own connection pool, as deployed."""
    settings = slack_settings(slack, tmp_path)
    client = connect(url, tmp_path).redis
    rapport = await build(settings, clock, client)
    rapport.register("slack", SlackNotifier(web_client(settings), Pacer(interval=0)))
    return rapport, client


@asynccontextmanager
async def services(
    url: str, slack: FakeSlack, clock: ManualClock, tmp_path: Path, n: int
) -> AsyncIterator[tuple[tuple[Rapport, aioredis.Redis], ...]]:
    """`n` services on the Redis at `url` (web and worker processes, each its own pool);
    their connections are closed after."""
    made = [await slack_service(url, slack, clock, tmp_path) for _ in range(n)]
    try:
        yield tuple(made)
    finally:
        for _rapport, client in made:
            await client.aclose()


def me(user: str = "UALICE") -> Actor:
    return Actor(TENANT, user, "Europe/Berlin")


async def naming(client: aioredis.Redis, rid: str) -> list[str]:
    """Every key of the whole Redis whose name names `rid`, and every queued job, lease,
    poison entry or job body that does."""
    found = [k async for k in client.scan_iter(match="*", count=1000) if rid in k]
    jobs = await client.hgetall(keys.QUEUE_JOBS)
    found += [f"job {i}" for i, raw in jobs.items() if rid in i or rid in raw]
    for zset in (keys.QUEUE_DUE, keys.QUEUE_LEASES):
        found += [f"{zset} {i}" for i in await client.zrange(zset, 0, -1) if rid in i]
    poison = await client.hgetall(keys.QUEUE_POISON)
    found += [f"poison {i}" for i, raw in poison.items() if rid in i or rid in raw]
    return found
