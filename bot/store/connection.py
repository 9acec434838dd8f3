"""Connecting to Redis: REDIS_URL if set, else the embedded server under the data dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from bot.store.server import EmbeddedRedis


@dataclass
class Connection:
    redis: aioredis.Redis
    embedded: EmbeddedRedis | None = None

    async def close(self) -> None:
        await self.redis.aclose()
        if self.embedded:
            await self.embedded.astop()


def connect(redis_url: str | None, data_dir: Path) -> Connection:
    embedded = None
    if not redis_url:
        embedded = EmbeddedRedis(data_dir=data_dir / "redis").start()
        redis_url = embedded.url
    client = aioredis.from_url(
        redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3
    )
    return Connection(client, embedded)
