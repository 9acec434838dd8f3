"""Connecting to Redis: REDIS_URL if set, else the embedded server under the data dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError  # noqa: A004

from bot.store.server import EmbeddedRedis

Client = aioredis.Redis | RedisCluster  # what the service is built on (see service.app.build)


@dataclass
class Connection:
    redis: Client
    embedded: EmbeddedRedis | None = None

    async def close(self) -> None:
        await self.redis.aclose()
        if self.embedded:
            await self.embedded.astop()


# Fail fast when Redis is away: a user waiting on a command gets "try again in a moment"
# within seconds, rather than after redis-py's default ten retries.
TIMEOUTS = {"socket_timeout": 5, "socket_connect_timeout": 3}


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2)


def connect(redis_url: str | None, data_dir: Path, cluster: bool = False) -> Connection:
    embedded = None
    if not redis_url:
        embedded = EmbeddedRedis(data_dir=data_dir / "redis").start()
        redis_url = embedded.url
    if cluster:
        client = RedisCluster.from_url(redis_url, decode_responses=True, **TIMEOUTS)
    else:
        client = aioredis.from_url(
            redis_url,
            decode_responses=True,
            retry=_retry(),
            retry_on_error=[ConnectionError, TimeoutError],
            health_check_interval=30,  # notice dead idle connections before a user does
            **TIMEOUTS,
        )
    return Connection(client, embedded)
