"""What every benchmark shares: a fresh Redis, round-trip counting, the fake Slack, seeding."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection

from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.models import Aggregate, CheckIn, Practitioner, Relationship
from bot.core.timeline import HELD, KEEP, Occurrence, Timeline
from bot.service.app import Rapport, build
from bot.store.repository import dump
from bot.store.server import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parent.parent
SLACK_TESTS = ROOT / "tests" / "slack"
if str(SLACK_TESTS) not in sys.path:
    sys.path.insert(0, str(SLACK_TESTS))  # the fake Slack server the tests use

TENANT = "slack:T0RAPPORT"
KEY = "m1VkXqAa0nH4eo3fW9zQ2Zt8Yc2S6V0dJq0n5uH5gGs="  # a fixed Fernet key, as in the tests
T0 = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # a Monday, inside working hours


class RoundTrips:
    """Counts client round trips: every packed write to a Redis connection is one.

    A single command is one; a pipeline (MULTI/EXEC or not) is one; a script call is one.
    WATCH and the GET under it are one each, as they are separate writes.
    """

    count = 0
    _patched = False

    @classmethod
    def install(cls) -> None:
        if cls._patched:
            return
        original = AbstractConnection.send_packed_command

        async def counted(self, command, check_health=True):
            RoundTrips.count += 1
            return await original(self, command, check_health)

        AbstractConnection.send_packed_command = counted
        cls._patched = True


@asynccontextmanager
async def fresh_redis(appendonly: bool = False):
    """A redis-server of our own (the embedded binary), on a free port, thrown away after."""
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        server = EmbeddedRedis(Path(tmp), port=free_port(), appendonly=appendonly).start()
        try:
            yield server
        finally:
            server.stop()


async def commandstats(r: aioredis.Redis) -> dict[str, int]:
    """INFO commandstats: calls per command, including the commands run inside scripts."""
    info = await r.info("commandstats")
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}


async def service(r: aioredis.Redis, clock: ManualClock, **overrides: Any) -> Rapport:
    return await build(Settings(encryption_key=KEY, **overrides), clock, r)


def median(values: list[float]) -> float:
    return statistics.median(values)


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await fn()
    return time.perf_counter() - started, result


@dataclass(frozen=True)
class Seeded:
    rels: list[Relationship]


def relationship(n: int, owner: str, created: datetime, **kw: Any) -> Relationship:
    return Relationship(
        id=f"r{n:06d}",
        tenant=TENANT,
        owner=owner,
        alias=f"Client {n}",
        tz="UTC",
        created=created,
        started=created,
        **kw,
    )


async def seed_relationships(
    r: aioredis.Redis, rels: list[Relationship], aggs: list[Aggregate] | None = None
) -> None:
    """Write relationships, their alias index, aggregates and practitioners, pipelined."""
    from bot.core.commands import alias_key  # noqa: PLC0415
    from bot.store import keys  # noqa: PLC0415

    owners = {rel.owner for rel in rels}
    for start in range(0, len(rels), 500):
        async with r.pipeline(transaction=False) as pipe:
            for i, rel in enumerate(rels[start : start + 500], start):
                agg = aggs[i] if aggs else Aggregate()
                pipe.set(keys.relationship(TENANT, rel.id), dump(rel.to_dict()))
                pipe.set(keys.aggregate(TENANT, rel.id), dump(agg.to_dict()))
                pipe.hset(keys.owner_aliases(TENANT, rel.owner), alias_key(rel.alias), rel.id)
            await pipe.execute()
    async with r.pipeline(transaction=False) as pipe:
        for owner in owners:
            pipe.sadd(keys.practitioners(TENANT), owner)
            pipe.set(keys.practitioner(TENANT, owner), dump(Practitioner(TENANT, owner).to_dict()))
        await pipe.execute()


def checkin_for(rel: Relationship, number: int, at: datetime, asked: tuple[str, ...]) -> CheckIn:
    return CheckIn(rel.id, number, "session", number, at, at, asked)


def held_timeline(sessions: int, first: datetime, step: timedelta) -> Timeline:
    """The timeline `sessions` logged sessions leave (one every `step` from `first`), as
    stored: the latest timeline.KEEP with their times, the older ones folded into a count."""
    kept = min(sessions, KEEP)
    done = tuple(
        Occurrence(first + step * (n - 1), HELD, None, n)
        for n in range(sessions - kept + 1, sessions + 1)
    )
    return Timeline(earlier=sessions - kept, done=done)


def bumped(rel: Relationship, sessions: int) -> Relationship:
    when = rel.created
    return replace(rel, timeline=held_timeline(sessions, when, timedelta(days=7)), entries=sessions)


__all__ = [
    "KEY",
    "T0",
    "TENANT",
    "RoundTrips",
    "commandstats",
    "fresh_redis",
    "median",
    "seed_relationships",
    "service",
    "timed",
    "timedelta",
]
