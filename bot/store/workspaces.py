"""A tenant's install state: the uninstall mark, and the purge of all its data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import redis.asyncio as aioredis

from bot.store import keys

PURGE_BATCH = 500  # keys per UNLINK: few round trips, no long stall


@dataclass(frozen=True)
class Uninstalled:
    at: datetime  # when the app was uninstalled
    purge_at: datetime  # when the tenant's data is deleted, unless it is installed again

    def to_json(self) -> str:
        return json.dumps({"at": self.at.isoformat(), "purge_at": self.purge_at.isoformat()})

    @classmethod
    def from_json(cls, raw: str) -> Uninstalled:
        data = json.loads(raw)
        return cls(datetime.fromisoformat(data["at"]), datetime.fromisoformat(data["purge_at"]))


class Workspaces:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def mark_uninstalled(self, tenant: str, mark: Uninstalled) -> Uninstalled:
        """Mark the tenant uninstalled, once: a second event (app_uninstalled and
        tokens_revoked come in either order) finds and returns the first mark."""
        key = keys.uninstalled(tenant)
        if await self.redis.set(key, mark.to_json(), nx=True):
            return mark
        raw = await self.redis.get(key)
        return Uninstalled.from_json(raw) if raw else mark

    async def uninstalled(self, tenant: str) -> Uninstalled | None:
        raw = await self.redis.get(keys.uninstalled(tenant))
        return Uninstalled.from_json(raw) if raw else None

    async def take_mark(self, tenant: str) -> Uninstalled | None:
        """Remove the mark (installed again); the mark it was, if any."""
        raw = await self.redis.getdel(keys.uninstalled(tenant))
        return Uninstalled.from_json(raw) if raw else None

    async def purge(self, tenant: str) -> int:
        """Delete every key of the tenant. Returns how many were deleted."""
        removed = 0
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=keys.tenant_pattern(tenant), count=1000):
            batch.append(key)
            if len(batch) >= PURGE_BATCH:
                removed += int(await self.redis.unlink(*batch))
                batch = []
        if batch:
            removed += int(await self.redis.unlink(*batch))
        return removed

    async def digest_channels(self, tenant: str) -> list[str]:
        """Channels of the tenant with a team digest (their weekly jobs are planned again)."""
        return sorted(await self.redis.smembers(keys.digests(tenant)))
