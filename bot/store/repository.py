"""Repositories over redis.asyncio: versioned JSON records, one tenant per hash slot.

Writes that depend on what was read are compare-and-set: one Lua script (`_COMMIT`) checks
that every record it guards still holds the value the change was computed from, and only
then applies all its writes, atomically. On a conflict the records are read again and the
change recomputed, as a WATCH loop would, but in one round trip instead of three, and on
Redis Cluster too: every key a script touches is one tenant's, so one hash slot.

Inside `Store.scope()` (one due job), a record read or written once is remembered, so the
job reads each record once and its guarded writes need no read of their own. A write never
trusts the memory: its guard proves the record did not change, or the change is redone on
a fresh read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import redis.asyncio as aioredis

from bot.core.models import Aggregate, CheckIn, DigestSchedule, Practitioner, Relationship
from bot.store import keys

log = logging.getLogger(__name__)
VERSION = 1


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


# KEYS: the first ARGV[1] keys are guarded, the rest are only written.
# ARGV: g, the g expected values ('' = must be absent), then ops: name, key index, n, n args.
_COMMIT = """
local g = tonumber(ARGV[1])
for i = 1, g do
  local have = redis.call('GET', KEYS[i])
  if ARGV[1 + i] == '' then
    if have then return i end
  elseif have ~= ARGV[1 + i] then
    return i
  end
end
local a = 2 + g
while a <= #ARGV do
  local n = tonumber(ARGV[a + 2])
  redis.call(ARGV[a], KEYS[tonumber(ARGV[a + 1])], unpack(ARGV, a + 3, a + 2 + n))
  a = a + 3 + n
end
return 0
"""
OPS = frozenset({"SET", "DEL", "ZADD", "ZREM", "SADD", "SREM", "HSET", "HDEL"})
_seen: ContextVar[dict[str, str | None] | None] = ContextVar("rapport_seen", default=None)


class Tx:
    """Writes to one tenant's keys, applied together only if every guard still holds."""

    def __init__(self) -> None:
        self.guards: dict[str, str | None] = {}
        self.ops: list[tuple[str, str, tuple[Any, ...]]] = []

    def guard(self, key: str, expected: str | None) -> Tx:
        self.guards[key] = expected
        return self

    def do(self, op: str, key: str, *args: Any) -> Tx:
        if op not in OPS:
            raise ValueError(f"not a write Tx allows: {op}")
        self.ops.append((op, key, args))
        return self

    def script_args(self) -> tuple[list[str], list[Any]]:
        names = list(self.guards)
        argv: list[Any] = [len(names), *(v if v is not None else "" for v in self.guards.values())]
        for op, key, args in self.ops:
            if key not in names:
                names.append(key)
            argv += [op, names.index(key) + 1, len(args), *args]
        return names, argv


class Store:
    """All reads and writes of Rapport's records. `sealer` None: free text is not stored."""

    def __init__(self, redis: aioredis.Redis, sealer: Sealer | None) -> None:
        self.redis = redis
        self.sealer = sealer
        self._commit = redis.register_script(_COMMIT)

    # --- the job scope, reads, compare-and-set ------------------------------------------
    @contextmanager
    def scope(self) -> Iterator[None]:
        """Remember what this task reads and writes until the block ends (one due job)."""
        token = _seen.set({})
        try:
            yield
        finally:
            _seen.reset(token)

    async def _get(self, key: str, fresh: bool = False) -> str | None:
        seen = _seen.get()
        if seen is not None and not fresh and key in seen:
            return seen[key]
        raw = await self.redis.get(key)
        if seen is not None:
            seen[key] = raw
        return raw

    async def _mget(self, names: list[str], fresh: bool = False) -> list[str | None]:
        seen = _seen.get()
        if seen is None:
            return list(await self.redis.mget(names)) if names else []
        missing = [n for n in dict.fromkeys(names) if fresh or n not in seen]
        if missing:
            seen.update(zip(missing, await self.redis.mget(missing), strict=True))
        return [seen[n] for n in names]

    async def prefetch(self, names: list[str]) -> None:
        """Read these records in one round trip, for the rest of the scope."""
        if _seen.get() is not None:
            await self._mget(names)

    def _noted(self, tx: Tx) -> None:
        seen = _seen.get()
        if seen is None:
            return
        for op, key, args in tx.ops:
            if op == "SET":
                seen[key] = args[0]
            elif op == "DEL":
                seen[key] = None
            else:
                seen.pop(key, None)

    async def commit(self, tx: Tx) -> bool:
        """Apply `tx` atomically if every guarded key holds its expected value."""
        names, argv = tx.script_args()
        if not names:
            return True
        conflict = int(await self._commit(keys=names, args=argv))
        if conflict:
            seen = _seen.get()
            if seen is not None:
                for key in tx.guards:
                    seen.pop(key, None)  # changed under us: the next read goes to Redis
            return False
        self._noted(tx)
        return True

    async def _change(
        self, names: list[str], plan: Callable[[list[str | None]], Tx | None]
    ) -> bool:
        """Read `names`, let `plan` build a guarded Tx, commit; on conflict read again."""
        raws = await self._mget(names)
        while True:
            tx = plan(raws)
            if tx is None:
                return False
            if await self.commit(tx):
                return True
            raws = await self._mget(names, fresh=True)

    @property
    def stores_text(self) -> bool:
        return self.sealer is not None

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    # --- relationships -------------------------------------------------------------
    async def relationship(self, tenant: str, rid: str, fresh: bool = False) -> Relationship | None:
        key = keys.relationship(tenant, rid)
        data = load(await self._get(key, fresh), key)
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
        tx = Tx()
        tx.do("SET", keys.relationship(rel.tenant, rel.id), dump(rel.to_dict()))
        tx.do("SET", keys.aggregate(rel.tenant, rel.id), dump(Aggregate().to_dict()))
        tx.do("SADD", keys.practitioners(rel.tenant), rel.owner)
        await self.commit(tx)
        return True

    async def save(self, rel: Relationship) -> None:
        await self.commit(
            Tx().do("SET", keys.relationship(rel.tenant, rel.id), dump(rel.to_dict()))
        )

    async def update(
        self, tenant: str, rid: str, change: Callable[[Relationship], Relationship | None]
    ) -> Relationship | None:
        """Read-modify-write, compare-and-set: two workers never lose each other's update."""
        key = keys.relationship(tenant, rid)
        result: list[Relationship] = []

        def plan(raws: list[str | None]) -> Tx | None:
            result.clear()
            data = load(raws[0], key)
            new = change(Relationship.from_dict(data)) if data is not None else None
            if new is None:
                return None
            result.append(new)
            return Tx().guard(key, raws[0]).do("SET", key, dump(new.to_dict()))

        return result[0] if await self._change([key], plan) else None

    async def relationships_of(self, tenant: str, owner: str) -> list[Relationship]:
        rids = await self.redis.hvals(keys.owner_aliases(tenant, owner))
        return [r for r in await self._many(tenant, rids) if r]

    async def _many(self, tenant: str, rids: Iterable[str]) -> list[Relationship | None]:
        names = [keys.relationship(tenant, rid) for rid in rids]
        if not names:
            return []
        raws = await self._mget(names)
        out = []
        for name, raw in zip(names, raws, strict=True):
            data = load(raw, name)
            out.append(Relationship.from_dict(data) if data else None)
        return out

    # --- aggregates ------------------------------------------------------------------
    async def aggregate(self, tenant: str, rid: str) -> Aggregate:
        key = keys.aggregate(tenant, rid)
        data = load(await self._get(key), key)
        return Aggregate.from_dict(data) if data else Aggregate()

    async def aggregates(self, tenant: str, rids: list[str]) -> list[Aggregate]:
        if not rids:
            return []
        names = [keys.aggregate(tenant, rid) for rid in rids]
        raws = await self._mget(names)
        return [
            Aggregate.from_dict(d) if (d := load(raw, n)) else Aggregate()
            for n, raw in zip(names, raws, strict=True)
        ]

    async def save_aggregate(self, tenant: str, rid: str, agg: Aggregate) -> None:
        await self.commit(Tx().do("SET", keys.aggregate(tenant, rid), dump(agg.to_dict())))

    def _agg(self, raw: str | None, key: str) -> Aggregate:
        return Aggregate.from_dict(d) if (d := load(raw, key)) else Aggregate()

    async def change_aggregate(
        self, tenant: str, rid: str, change: Callable[[Aggregate], Aggregate]
    ) -> Aggregate:
        key = keys.aggregate(tenant, rid)
        result: list[Aggregate] = []

        def plan(raws: list[str | None]) -> Tx:
            result[:] = [change(self._agg(raws[0], key))]
            return Tx().guard(key, raws[0]).do("SET", key, dump(result[0].to_dict()))

        await self._change([key], plan)
        return result[0]

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
        data = load(await self._get(key), key)
        return self._open(data) if data else None

    def _put_checkin(self, tx: Tx, tenant: str, checkin: CheckIn) -> Tx:
        rid = checkin.relationship
        tx.do("SET", keys.checkin(tenant, rid, checkin.number), dump(self._seal(checkin)))
        score = repr(checkin.session_at.timestamp())
        return tx.do("ZADD", keys.checkin_index(tenant, rid), score, str(checkin.number))

    async def save_checkin(self, tenant: str, checkin: CheckIn) -> None:
        await self.commit(self._put_checkin(Tx(), tenant, checkin))

    async def update_checkin(
        self, tenant: str, rid: str, number: int, change: Callable[[CheckIn], CheckIn]
    ) -> CheckIn | None:
        """Change one check-in, compare-and-set: an answer that lands meanwhile is never undone."""
        key = keys.checkin(tenant, rid, number)
        result: list[CheckIn] = []

        def plan(raws: list[str | None]) -> Tx | None:
            data = load(raws[0], key)
            if data is None:
                return None
            result[:] = [change(self._open(data))]
            return Tx().guard(key, raws[0]).do("SET", key, dump(self._seal(result[0])))

        return result[0] if await self._change([key], plan) else None

    async def hold(
        self,
        tenant: str,
        rel: Relationship,
        bump: Callable[[Relationship], Relationship],
        open_: Callable[[Relationship], CheckIn],
        count: Callable[[Aggregate], Aggregate],
    ) -> tuple[Relationship, CheckIn]:
        """A new check-in, the relationship change that numbers it, and the aggregate's count,
        in one script. A relationship gone meanwhile is not recreated (as `update` would not)."""
        rkey, akey = keys.relationship(tenant, rel.id), keys.aggregate(tenant, rel.id)
        result: list[Any] = []

        def plan(raws: list[str | None]) -> Tx:
            data = load(raws[0], rkey)
            tx = Tx().guard(rkey, raws[0]).guard(akey, raws[1])
            new = rel  # gone meanwhile: numbered as it was, and not recreated
            if data is not None:
                new = bump(Relationship.from_dict(data))
                tx.do("SET", rkey, dump(new.to_dict()))
            checkin = open_(new)
            tx.do("SET", akey, dump(count(self._agg(raws[1], akey)).to_dict()))
            result[:] = [new, checkin]
            return self._put_checkin(tx, tenant, checkin)

        await self._change([rkey, akey], plan)
        return result[0], result[1]

    async def change_checkin_and_aggregate(
        self,
        tenant: str,
        rid: str,
        number: int,
        change: Callable[[CheckIn], CheckIn],
        count: Callable[[Aggregate], Aggregate],
    ) -> CheckIn | None:
        """Change a check-in and its relationship's aggregate together (e.g. it was sent).
        The aggregate is counted even if the check-in is gone, as two separate writes did."""
        ckey, akey = keys.checkin(tenant, rid, number), keys.aggregate(tenant, rid)
        result: list[CheckIn | None] = []

        def plan(raws: list[str | None]) -> Tx:
            tx = Tx().guard(ckey, raws[0]).guard(akey, raws[1])
            data = load(raws[0], ckey)
            result[:] = [change(self._open(data)) if data is not None else None]
            if result[0] is not None:
                tx.do("SET", ckey, dump(self._seal(result[0])))
            return tx.do("SET", akey, dump(count(self._agg(raws[1], akey)).to_dict()))

        await self._change([ckey, akey], plan)
        return result[0]

    async def save_answer(self, tenant: str, checkin: CheckIn, agg: Aggregate) -> None:
        """The check-in and the aggregate it changed, in one transaction."""
        rid = checkin.relationship
        tx = Tx().do("SET", keys.checkin(tenant, rid, checkin.number), dump(self._seal(checkin)))
        await self.commit(tx.do("SET", keys.aggregate(tenant, rid), dump(agg.to_dict())))

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
        tx = Tx()
        for n in old:
            tx.do("DEL", keys.checkin(tenant, rid, int(n)))
        await self.commit(tx.do("ZREM", index, *old))
        return len(old)

    # --- practitioners ---------------------------------------------------------------
    async def practitioner(self, tenant: str, user: str) -> Practitioner:
        key = keys.practitioner(tenant, user)
        data = load(await self._get(key), key)
        return Practitioner.from_dict(data) if data else Practitioner(tenant, user)

    async def save_practitioner(self, who: Practitioner) -> None:
        key = keys.practitioner(who.tenant, who.user)
        await self.commit(Tx().do("SET", key, dump(who.to_dict())))

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
        tx = Tx().do(
            "SET", keys.digest(schedule.tenant, schedule.channel), dump(schedule.to_dict())
        )
        await self.commit(tx.do("SADD", keys.digests(schedule.tenant), schedule.channel))

    async def delete_digest(self, tenant: str, channel: str) -> bool:
        key = keys.digest(tenant, channel)
        if not await self.redis.exists(key):
            return False
        await self.commit(Tx().do("DEL", key).do("SREM", keys.digests(tenant), channel))
        return True

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
        existing = int(await self.redis.exists(*names))
        tx = Tx()
        for name in sorted(names):
            tx.do("DEL", name)
        await self.commit(tx.do("HDEL", keys.owner_aliases(t, rel.owner), alias_key))
        return existing


__all__ = ["Store", "Tx", "dump", "load"]
