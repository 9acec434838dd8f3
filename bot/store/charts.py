"""The chart cache: each PNG under its tenant's hash tag, named by the hash of its data.

A PNG is stored as base64 text (the store's clients decode replies as text) with a TTL as
long as the signed links to it live; the same data drawn again is served from here.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping

from bot.core.charts import DigestWeek
from bot.store import keys
from bot.store.connection import Client
from bot.store.errors import translated

log = logging.getLogger(__name__)


@translated
class ChartCache:
    def __init__(self, redis: Client) -> None:
        self.redis = redis

    async def get(self, tenant: str, fingerprint: str) -> bytes | None:
        raw = await self.redis.get(keys.chart(tenant, fingerprint))
        if raw is None:
            return None
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None  # not a PNG we wrote: drawn again, and overwritten

    async def put(
        self, tenant: str, fingerprint: str, png: bytes, ttl_seconds: int, rid: str | None = None
    ) -> None:
        """Keep a PNG for `ttl_seconds`; with `rid`, listed as that relationship's."""
        encoded = base64.b64encode(png).decode()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(keys.chart(tenant, fingerprint), encoded, ex=ttl_seconds)
            if rid is not None:
                index = keys.relationship_charts(tenant, rid)
                pipe.sadd(index, fingerprint)
                pipe.expire(index, ttl_seconds)  # lives as long as its newest chart
            await pipe.execute()

    async def forget(self, tenant: str, rid: str) -> int:
        """Delete every cached chart of a relationship. Returns how many there were."""
        index = keys.relationship_charts(tenant, rid)
        names = await self.redis.smembers(index)
        await self.redis.delete(index, *(keys.chart(tenant, n) for n in names))
        return len(names)


SETTLED_SECONDS = 120 * 86_400  # longer than the chart's twelve weeks


@translated
class SettledWeeks:
    """A team's figures of past weeks, as the digest worked them out: a week two or more
    weeks back no longer changes (its check-ins are answered or missed by then), so each
    is read from the aggregates once, not by every digest after it."""

    def __init__(self, redis: Client) -> None:
        self.redis = redis

    async def get(self, tenant: str, weeks: list[str]) -> dict[str, DigestWeek | None]:
        if not weeks:
            return {}
        raws = await self.redis.hmget(keys.digest_weeks(tenant), weeks)
        out: dict[str, DigestWeek | None] = {}
        for week, raw in zip(weeks, raws, strict=True):
            if raw is None:
                continue
            try:
                data = json.loads(raw)
                out[week] = None if data is None else DigestWeek.from_dict(week, data)
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable settled week set aside: tenant=%s week=%s", tenant, week)
        return out

    async def put(self, tenant: str, weeks: Mapping[str, DigestWeek | None]) -> None:
        if not weeks:
            return
        key = keys.digest_weeks(tenant)
        mapping = {
            w: json.dumps(None if d is None else d.to_dict(), separators=(",", ":"))
            for w, d in weeks.items()
        }
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, SETTLED_SECONDS)
            await pipe.execute()
