"""The chart cache: each PNG under its tenant's hash tag, named by the hash of its data.

A PNG is stored as base64 text (the store's clients decode replies as text) with a TTL as
long as the signed links to it live; the same data drawn again is served from here.
"""

from __future__ import annotations

import base64
import binascii

from bot.store import keys
from bot.store.connection import Client
from bot.store.errors import translated


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
