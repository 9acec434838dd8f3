"""Repositories over redis.asyncio: versioned JSON records, one tenant per hash slot."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from bot.core.models import Aggregate, CheckIn, DigestSchedule, Practitioner, Relationship
from bot.store import keys

log = logging.getLogger(__name__)
VERSION = 1
T = TypeVar("T")


class Sealer(Protocol):
    def seal(self, plain: str) -> str: ...
    def open(self, sealed: str) -> str: ...


def dump(data: Mapping[str, Any]) -> str:
    return json.dumps({"v": VERSION, "data": data}, separators=(",", ":"), ensure_ascii=False)


def load(raw: str | None, key: str) -> dict[str, Any] | None:
    """The record's data, or None (logged) if it is missing or cannot be read."""
    if raw is None:
        return None
    try:
        envelope = json.loads(raw)
        if not isinstance(envelope, dict) or envelope.get("v") != VERSION:
            raise ValueError(f"unknown record version {envelope.get('v')!r}")
        return envelope["data"]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        log.warning("corrupt record set aside: key=%s error=%s", key, e)
        return None


class Store:
    """All reads and writes of Rapport's records. `sealer` None: free text is not stored."""

    def __init__(self, redis: aioredis.Redis, sealer: Sealer | None) -> None:
        self.redis = redis
        self.sealer = sealer

    @property
    def stores_text(self) -> bool:
        return self.sealer is not None

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    # --- relationships -------------------------------------------------------------
    async def relationship(self, tenant: str, rid: str) -> Relationship | None:
        key = keys.relationship(tenant, rid)
        data = load(await self.redis.get(key), key)
        return Relationship.from_dict(data) if data else None

    async def find(self, tenant: str, owner: str, alias_key: str) -> Relationship | None:
        rid = await self.redis.hget(keys.owner_aliases(tenant, owner), alias_key)
        return await self.relationship(tenant, rid) if rid else None

    async def add(self, rel: Relationship, alias_key: str) -> bool:
        """Register `rel` unless its owner already has that alias."""
        if not await self.redis.hsetnx(
            keys.owner_aliases(rel.tenant, rel.owner), alias_key, rel.id
        ):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.relationship(rel.tenant, rel.id), dump(rel.to_dict()))
            pipe.set(keys.aggregate(rel.tenant, rel.id), dump(Aggregate().to_dict()))
            pipe.sadd(keys.practitioners(rel.tenant), rel.owner)
            await pipe.execute()
        return True

    async def save(self, rel: Relationship) -> None:
        await self.redis.set(keys.relationship(rel.tenant, rel.id), dump(rel.to_dict()))

    async def update(
        self, tenant: str, rid: str, change: Callable[[Relationship], Relationship | None]
    ) -> Relationship | None:
        """Read-modify-write under WATCH, so two workers never lose each other's update."""
        key = keys.relationship(tenant, rid)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    data = load(await pipe.get(key), key)
                    if data is None:
                        return None
                    new = change(Relationship.from_dict(data))
                    if new is None:
                        await pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.set(key, dump(new.to_dict()))
                    await pipe.execute()
                    return new
                except WatchError:
                    continue

    async def relationships_of(self, tenant: str, owner: str) -> list[Relationship]:
        rids = await self.redis.hvals(keys.owner_aliases(tenant, owner))
        return [r for r in await self._many(tenant, rids) if r]

    async def _many(self, tenant: str, rids: Iterable[str]) -> list[Relationship | None]:
        names = [keys.relationship(tenant, rid) for rid in rids]
        if not names:
            return []
        raws = await self.redis.mget(names)
        out = []
        for name, raw in zip(names, raws, strict=True):
            data = load(raw, name)
            out.append(Relationship.from_dict(data) if data else None)
        return out

    # --- aggregates ------------------------------------------------------------------
    async def aggregate(self, tenant: str, rid: str) -> Aggregate:
        key = keys.aggregate(tenant, rid)
        data = load(await self.redis.get(key), key)
        return Aggregate.from_dict(data) if data else Aggregate()

    async def aggregates(self, tenant: str, rids: list[str]) -> list[Aggregate]:
        if not rids:
            return []
        names = [keys.aggregate(tenant, rid) for rid in rids]
        raws = await self.redis.mget(names)
        return [
            Aggregate.from_dict(d) if (d := load(raw, n)) else Aggregate()
            for n, raw in zip(names, raws, strict=True)
        ]

    async def save_aggregate(self, tenant: str, rid: str, agg: Aggregate) -> None:
        await self.redis.set(keys.aggregate(tenant, rid), dump(agg.to_dict()))

    async def change_aggregate(
        self, tenant: str, rid: str, change: Callable[[Aggregate], Aggregate]
    ) -> Aggregate:
        key = keys.aggregate(tenant, rid)
        return await self._watched(
            key,
            lambda raw: change(Aggregate.from_dict(d) if (d := load(raw, key)) else Aggregate()),
            lambda a: dump(a.to_dict()),
        )

    async def _watched(
        self, key: str, change: Callable[[str | None], T], encode: Callable[[T], str]
    ) -> T:
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    new = change(await pipe.get(key))
                    pipe.multi()
                    pipe.set(key, encode(new))
                    await pipe.execute()
                    return new
                except WatchError:
                    continue

    # --- check-ins -------------------------------------------------------------------
    def _seal(self, checkin: CheckIn) -> dict[str, Any]:
        data = checkin.to_dict()
        if self.sealer is None:
            data["texts"] = {}
        else:
            data["texts"] = {k: self.sealer.seal(v) for k, v in checkin.texts.items()}
        return data

    def _open(self, data: Mapping[str, Any]) -> CheckIn:
        texts = data.get("texts") or {}
        if self.sealer is not None:
            texts = {k: self.sealer.open(v) for k, v in texts.items()}
        return CheckIn.from_dict({**data, "texts": texts})

    async def checkin(self, tenant: str, rid: str, number: int) -> CheckIn | None:
        key = keys.checkin(tenant, rid, number)
        data = load(await self.redis.get(key), key)
        return self._open(data) if data else None

    async def save_checkin(self, tenant: str, checkin: CheckIn) -> None:
        rid = checkin.relationship
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.checkin(tenant, rid, checkin.number), dump(self._seal(checkin)))
            pipe.zadd(
                keys.checkin_index(tenant, rid),
                {str(checkin.number): checkin.session_at.timestamp()},
            )
            await pipe.execute()

    async def update_checkin(
        self, tenant: str, rid: str, number: int, change: Callable[[CheckIn], CheckIn]
    ) -> CheckIn | None:
        """Change one check-in under WATCH: an answer that lands meanwhile is never undone."""
        key = keys.checkin(tenant, rid, number)

        def apply(raw: str | None) -> CheckIn | None:
            data = load(raw, key)
            return change(self._open(data)) if data else None

        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    new = apply(await pipe.get(key))
                    if new is None:
                        await pipe.unwatch()
                        return None
                    pipe.multi()
                    pipe.set(key, dump(self._seal(new)))
                    await pipe.execute()
                    return new
                except WatchError:
                    continue

    async def save_answer(self, tenant: str, checkin: CheckIn, agg: Aggregate) -> None:
        """The check-in and the aggregate it changed, in one transaction."""
        rid = checkin.relationship
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.checkin(tenant, rid, checkin.number), dump(self._seal(checkin)))
            pipe.set(keys.aggregate(tenant, rid), dump(agg.to_dict()))
            await pipe.execute()

    async def checkins(self, tenant: str, rid: str) -> list[CheckIn]:
        numbers = await self.redis.zrange(keys.checkin_index(tenant, rid), 0, -1)
        if not numbers:
            return []
        names = [keys.checkin(tenant, rid, int(n)) for n in numbers]
        raws = await self.redis.mget(names)
        return [self._open(d) for n, raw in zip(names, raws, strict=True) if (d := load(raw, n))]

    async def prune_checkins(self, tenant: str, rid: str, before: float) -> int:
        """Retention: delete check-ins whose session was before `before` (epoch seconds)."""
        index = keys.checkin_index(tenant, rid)
        old = await self.redis.zrangebyscore(index, "-inf", f"({before}")
        if not old:
            return 0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*[keys.checkin(tenant, rid, int(n)) for n in old])
            pipe.zrem(index, *old)
            await pipe.execute()
        return len(old)

    # --- practitioners ---------------------------------------------------------------
    async def practitioner(self, tenant: str, user: str) -> Practitioner:
        key = keys.practitioner(tenant, user)
        data = load(await self.redis.get(key), key)
        return Practitioner.from_dict(data) if data else Practitioner(tenant, user)

    async def save_practitioner(self, who: Practitioner) -> None:
        await self.redis.set(keys.practitioner(who.tenant, who.user), dump(who.to_dict()))

    async def tenants(self) -> list[str]:
        """Every tenant with practitioners (a SCAN: for daily housekeeping only)."""
        found = set()
        async for key in self.redis.scan_iter(match=keys.practitioners("*"), count=500):
            found.add(keys.tenant_of(key))
        return sorted(found)

    async def practitioners(self, tenant: str) -> list[str]:
        return sorted(await self.redis.smembers(keys.practitioners(tenant)))

    # --- digests ---------------------------------------------------------------------
    async def digest(self, tenant: str, channel: str) -> DigestSchedule | None:
        key = keys.digest(tenant, channel)
        data = load(await self.redis.get(key), key)
        return DigestSchedule.from_dict(data) if data else None

    async def save_digest(self, schedule: DigestSchedule) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.digest(schedule.tenant, schedule.channel), dump(schedule.to_dict()))
            pipe.sadd(keys.digests(schedule.tenant), schedule.channel)
            await pipe.execute()

    async def delete_digest(self, tenant: str, channel: str) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.digest(tenant, channel))
            pipe.srem(keys.digests(tenant), channel)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    # --- platform events, confirmations ------------------------------------------------
    async def first_seen(self, tenant: str, event_id: str, ttl_seconds: int = 3600) -> bool:
        return bool(
            await self.redis.set(keys.event_seen(tenant, event_id), "1", nx=True, ex=ttl_seconds)
        )

    async def set_forget_token(
        self, tenant: str, user: str, token: str, rid: str, ttl_seconds: int = 600
    ) -> None:
        await self.redis.set(keys.pending_forget(tenant, user), f"{token}:{rid}", ex=ttl_seconds)

    async def forget_pending(self, tenant: str, user: str) -> tuple[str, str] | None:
        """(token, relationship id) of the user's pending `forget`, if any."""
        raw = await self.redis.get(keys.pending_forget(tenant, user))
        if not raw or ":" not in raw:
            return None
        token, _, rid = raw.partition(":")
        return token, rid

    async def take_forget_token(self, tenant: str, user: str, token: str) -> str | None:
        """The relationship id the token confirms, once; None if wrong or expired."""
        key = keys.pending_forget(tenant, user)
        raw = await self.redis.get(key)
        if not raw or not raw.startswith(token + ":"):
            return None
        await self.redis.delete(key)
        return raw[len(token) + 1 :]

    async def forget(self, rel: Relationship, alias_key: str) -> int:
        """Delete the relationship and every key it owns. Returns keys deleted."""
        t, rid = rel.tenant, rel.id
        numbers = await self.redis.zrange(keys.checkin_index(t, rid), 0, -1)
        names = {keys.checkin(t, rid, int(n)) for n in numbers}
        names |= {keys.checkin(t, rid, n) for n in range(1, rel.entries + 1)}
        names |= {keys.relationship(t, rid), keys.aggregate(t, rid), keys.checkin_index(t, rid)}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*names)
            pipe.hdel(keys.owner_aliases(t, rel.owner), alias_key)
            deleted, _ = await pipe.execute()
        return int(deleted)


__all__ = ["Store", "dump", "load"]
