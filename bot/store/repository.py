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

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import redis.asyncio as aioredis

from bot.core.drift import DriftState
from bot.core.models import Aggregate, CheckIn, DigestSchedule, Practitioner, Relationship
from bot.core.scoring import Scores
from bot.store import keys
from bot.store.errors import translated
from bot.store.records import CHECKIN_VERSION, VERSION, checked, decode, dump, load

log = logging.getLogger(__name__)
CHUNK = 1_000  # keys per MGET: big enough to be few round trips, small enough not to stall
PIPELINED = 10  # MGETs of CHUNK keys sent in one round trip by `team`


class Sealer(Protocol):
    def seal(self, plain: str) -> str: ...
    def open(self, sealed: str) -> str: ...


# --- readers: (version, data) -> record, raising if the data is not a valid record -------
def _v1(version: int) -> None:
    if version != VERSION:
        raise ValueError(f"version {version} is not a version of this record")


def read_relationship(version: int, data: dict[str, Any]) -> Relationship:
    _v1(version)
    return checked(Relationship.from_dict(data))


def read_practitioner(version: int, data: dict[str, Any]) -> Practitioner:
    _v1(version)
    return checked(Practitioner.from_dict(data))


def read_digest(version: int, data: dict[str, Any]) -> DigestSchedule:
    _v1(version)
    return checked(DigestSchedule.from_dict(data))


_NUMBERS = frozenset({int, float})  # (exact types: a bool is not a counter)


def read_weeks(wanted: tuple[str, ...]) -> Callable[[int, dict[str, Any]], Aggregate]:
    """A reader of only some weeks' counters and the drift flag of an aggregate."""

    def read(_version: int, data: dict[str, Any]) -> Aggregate:
        weeks = data.get("weeks", {})
        if not isinstance(weeks, dict):
            raise TypeError("field 'weeks' is not an object")
        picked = {}
        for week in wanted:
            row = weeks.get(week)
            if row is None:
                continue
            if not isinstance(row, dict) or not set(map(type, row.values())) <= _NUMBERS:
                raise TypeError(f"week {week!r} does not hold numbers")
            picked[week] = row
        drifting = data.get("drifting", False)
        if drifting is not True and drifting is not False:
            raise TypeError("field 'drifting' is not a boolean")
        return Aggregate(weeks=picked, drifting=drifting)

    return read


def read_aggregate(version: int, data: dict[str, Any]) -> Aggregate:
    _v1(version)
    agg = checked(Aggregate.from_dict(data))
    for state in (agg.drift, agg.drift_before):
        if state is not None:
            DriftState.from_dict(state)  # the next answer steps it: it must be readable now
    for week, row in agg.weeks.items():
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in row.values()):
            raise TypeError(f"aggregate week {week}: counters must be numbers")
    return agg


def session_time(version: int, data: dict[str, Any]) -> float:
    """A stored check-in's session time (epoch seconds), without reading the rest."""
    if version == CHECKIN_VERSION:
        t = data["t"]
        if isinstance(t, bool) or not isinstance(t, int | float):
            raise TypeError("session time is not a number")
        return float(t)
    return datetime.fromisoformat(data["session_at"]).timestamp()


def _aware(checkin: CheckIn) -> bool:
    times = (checkin.session_at, checkin.created, checkin.answered_at, checkin.edited_at)
    return all(t is None or t.tzinfo is not None for t in times)


# KEYS: the first ARGV[1] keys are guarded, the rest are only written.
# ARGV: g, the g expected values ('' = must be absent, NUL = must exist), then ops: name,
# key index, n, n args.
_COMMIT = """
local g = tonumber(ARGV[1])
for i = 1, g do
  local want = ARGV[1 + i]
  if want == '\\0' then
    if redis.call('EXISTS', KEYS[i]) == 0 then return i end
  elseif want == '' then
    if redis.call('EXISTS', KEYS[i]) == 1 then return i end
  elseif redis.call('GET', KEYS[i]) ~= want then
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
EXISTS = "\0"  # a guard's expected value meaning: the key must exist (any value)
FORGET_BATCH = 100  # keys per DEL when forgetting: each command stays well under a millisecond
FORGET_PIPELINE = 10  # DELs sent per round trip
_seen: ContextVar[dict[str, str | None] | None] = ContextVar("rapport_seen", default=None)
# Keys the scope's latest successful writes proved to exist (see `Store.proven`).
_proven: ContextVar[set[str] | None] = ContextVar("rapport_proven", default=None)


class Tx:
    """Writes to one tenant's keys, applied together only if every guard still holds."""

    def __init__(self) -> None:
        self.guards: dict[str, str | None] = {}
        self.ops: list[tuple[str, str, tuple[Any, ...]]] = []

    def guard(self, key: str, expected: str | None) -> Tx:
        self.guards[key] = expected
        return self

    def require(self, key: str) -> Tx:
        """Apply only if `key` exists (e.g. the relationship a check-in belongs to)."""
        self.guards[key] = EXISTS
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


def _landed(tx: Tx, names: list[str], raws: list[str | None]) -> bool:
    """Whether a commit reported as a conflict was our own write: every guarded record it
    sets now holds exactly what it set. That happens when the connection dropped after the
    script ran and redis-py sent it again (its guards then saw our own write); planning the
    change again would apply it twice."""
    fresh = dict(zip(names, raws, strict=True))
    written = {key: args[0] for op, key, args in tx.ops if op == "SET" and key in tx.guards}
    return bool(written) and all(fresh.get(key) == value for key, value in written.items())


@translated
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
        token, proof = _seen.set({}), _proven.set(set())
        try:
            yield
        finally:
            _seen.reset(token)
            _proven.reset(proof)

    def proven(self, tenant: str, rid: str) -> bool:
        """Whether a write of this scope, since the last time this was asked, found the
        relationship record unchanged (its guard held): a send right after such a write needs
        no read of its own to know the relationship was not forgotten or closed. Asking uses
        it up."""
        proof = _proven.get()
        key = keys.relationship(tenant, rid)
        if proof is None or key not in proof:
            return False
        proof.discard(key)
        return True

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

    async def prefetch(
        self, tenant: str, rid: str, number: int | None = None, owner: str | None = None
    ) -> None:
        """Read, in one round trip and for the rest of the scope, what a due job on this
        relationship will read: it, its aggregate, the check-in it names, its owner."""
        if _seen.get() is None:
            return
        names = [keys.relationship(tenant, rid), keys.aggregate(tenant, rid)]
        names.append(keys.uninstalled(tenant))  # read by every due job: no round trip of its own
        if number is not None:
            names.append(keys.checkin(tenant, rid, number))
        if owner is not None:
            names.append(keys.practitioner(tenant, owner))
        await self._mget(names)

    def _noted(self, tx: Tx) -> None:
        seen, proof = _seen.get(), _proven.get()
        if seen is None:
            return
        if proof is not None:
            # only an unchanged value proves it (EXISTS alone would miss a `close`)
            proof.update(k for k, v in tx.guards.items() if v not in (None, EXISTS))
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
        self,
        names: list[str],
        plan: Callable[[list[str | None]], Tx | None],
        own_write: bool = False,
    ) -> bool:
        """Read `names`, let `plan` build a guarded Tx, commit; on conflict read again.
        `own_write`: a conflict that is our own write (see `_landed`) counts as done; only
        for writes no other writer could make byte for byte (not answers: the same form
        sent twice at once is, and its second must become an edit)."""
        raws = await self._mget(names)
        while True:
            tx = plan(raws)
            if tx is None:
                return False
            if await self.commit(tx):
                return True
            raws = await self._mget(names, fresh=True)
            if own_write and _landed(tx, names, raws):
                self._noted(tx)
                return True

    @property
    def stores_text(self) -> bool:
        return self.sealer is not None

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def server_time(self) -> float:
        """Redis's clock (TIME), in epoch seconds: the one clock every worker shares."""
        reply = await self.redis.time()
        if isinstance(reply, dict):  # Redis Cluster: one answer per node; any one will do
            reply = next(iter(reply.values()))
        seconds, micros = reply
        return int(seconds) + int(micros) / 1_000_000

    # --- relationships -------------------------------------------------------------
    async def relationship(self, tenant: str, rid: str, fresh: bool = False) -> Relationship | None:
        key = keys.relationship(tenant, rid)
        return decode(await self._get(key, fresh), key, read_relationship)

    async def find(self, tenant: str, owner: str, alias_key: str) -> Relationship | None:
        rid = await self.redis.hget(keys.owner_aliases(tenant, owner), alias_key)
        return await self.relationship(tenant, rid) if rid else None

    async def alias_index(self, tenant: str, owner: str) -> dict[str, str]:
        """The owner's aliases as stored: alias key -> relationship id."""
        return dict(await self.redis.hgetall(keys.owner_aliases(tenant, owner)))

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

    async def rename(
        self, rel: Relationship, alias: str, old_key: str, new_key: str
    ) -> Relationship | None:
        """Give `rel` the alias `alias` (matched by `new_key`); None if its owner has another
        relationship by that alias already."""
        aliases = keys.owner_aliases(rel.tenant, rel.owner)
        if old_key != new_key and not await self.redis.hsetnx(aliases, new_key, rel.id):
            return None
        renamed = await self.update(rel.tenant, rel.id, lambda r: replace(r, alias=alias))
        if old_key != new_key:
            await self.redis.hdel(aliases, old_key)
        return renamed

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
            old = decode(raws[0], key, read_relationship)
            new = change(old) if old is not None else None
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
        return [decode(raw, n, read_relationship) for n, raw in zip(names, raws, strict=True)]

    async def team(
        self, tenant: str, weeks: tuple[str, ...] | None = None
    ) -> list[tuple[str, list[Relationship], list[Aggregate]]]:
        """Every practitioner of the tenant, sorted, with their readable relationships and
        those relationships' aggregates, in a few round trips whatever the team's size:
        SMEMBERS, one pipeline of HVALS per CHUNK practitioners, then MGETs of CHUNK keys,
        PIPELINED of them per round trip. All keys are the tenant's, so one cluster slot.

        With `weeks`, each aggregate is read only for what the digest needs (those weeks'
        counters and whether it drifts), so its cost does not grow as the aggregate fills."""
        read_agg = read_aggregate if weeks is None else read_weeks(weeks)
        users = await self.practitioners(tenant)
        rids: list[list[str]] = []
        for start in range(0, len(users), CHUNK):
            async with self.redis.pipeline(transaction=False) as pipe:
                for user in users[start : start + CHUNK]:
                    pipe.hvals(keys.owner_aliases(tenant, user))
                rids += [list(v) for v in await pipe.execute()]
        flat = [rid for mine in rids for rid in mine]
        names = [keys.relationship(tenant, r) for r in flat] + [
            keys.aggregate(tenant, r) for r in flat
        ]
        raws = await self._mget_many(names)
        rels, aggs = raws[: len(flat)], raws[len(flat) :]
        out, i = [], 0
        for user, mine in zip(users, rids, strict=True):
            pairs = []
            for rid in mine:
                rel = decode(rels[i], keys.relationship(tenant, rid), read_relationship)
                if rel is not None:
                    key = keys.aggregate(tenant, rid)
                    pairs.append((rel, decode(aggs[i], key, read_agg) or Aggregate()))
                i += 1
            out.append((user, [r for r, _ in pairs], [a for _, a in pairs]))
        return out

    async def _mget_many(self, names: list[str]) -> list[str | None]:
        """MGET of any number of keys of one tenant: CHUNK keys per MGET, PIPELINED MGETs
        per round trip."""
        out: list[str | None] = []
        step = CHUNK * PIPELINED
        for start in range(0, len(names), step):
            async with self.redis.pipeline(transaction=False) as pipe:
                for at in range(start, min(start + step, len(names)), CHUNK):
                    # Not pipe.mget: redis-py's cluster pipeline refuses that method, though
                    # an MGET whose keys share a slot (one tenant's) is fine on the cluster.
                    pipe.execute_command("MGET", *names[at : at + CHUNK])
                for part in await pipe.execute():
                    out += part
        return out

    # --- aggregates ------------------------------------------------------------------
    async def aggregate(self, tenant: str, rid: str) -> Aggregate:
        key = keys.aggregate(tenant, rid)
        return self._agg(await self._get(key), key)

    async def aggregates(self, tenant: str, rids: list[str]) -> list[Aggregate]:
        if not rids:
            return []
        names = [keys.aggregate(tenant, rid) for rid in rids]
        raws = await self._mget(names)
        return [self._agg(raw, n) for n, raw in zip(names, raws, strict=True)]

    def _agg(self, raw: str | None, key: str) -> Aggregate:
        """The aggregate, or an empty one if it is missing or unreadable (logged)."""
        return decode(raw, key, read_aggregate) or Aggregate()

    async def change_aggregate(
        self, tenant: str, rid: str, change: Callable[[Aggregate], Aggregate]
    ) -> Aggregate | None:
        """Compare-and-set; None (nothing written) if the relationship is gone."""
        key, rkey = keys.aggregate(tenant, rid), keys.relationship(tenant, rid)
        result: list[Aggregate] = []

        def plan(raws: list[str | None]) -> Tx | None:
            if raws[1] is None:
                return None
            result[:] = [change(self._agg(raws[0], key))]
            tx = Tx().guard(key, raws[0]).require(rkey)
            return tx.do("SET", key, dump(result[0].to_dict()))

        return result[0] if await self._change([key, rkey], plan) else None

    # --- check-ins -------------------------------------------------------------------
    def _sealed(self, checkin: CheckIn) -> CheckIn:
        if self.sealer is None:
            return replace(checkin, texts={})
        return replace(checkin, texts={k: self.sealer.seal(v) for k, v in checkin.texts.items()})

    def _seal(self, checkin: CheckIn) -> dict[str, Any]:
        """The version-1 record's data (still read; benchmarks seed old-style data with it)."""
        return self._sealed(checkin).to_dict()

    def encode_checkin(self, checkin: CheckIn) -> str:
        """The stored record: compact version 2, free text sealed. A check-in with a naive
        time (none is made so) is kept as version 1, which does not lose its time zone."""
        sealed = self._sealed(checkin)
        if not _aware(sealed):
            return dump(sealed.to_dict())
        return dump(sealed.to_compact(), CHECKIN_VERSION)

    def _reader(self, rid: str, number: int) -> Callable[[int, dict[str, Any]], CheckIn]:
        def read(version: int, data: dict[str, Any]) -> CheckIn:
            if version == CHECKIN_VERSION:
                checkin = CheckIn.from_compact(data, rid, number)
            else:
                checkin = CheckIn.from_dict(data)
            if not isinstance(checkin.texts, Mapping):
                raise TypeError("texts is not an object")
            if self.sealer is not None:
                checkin = replace(
                    checkin, texts={k: self.sealer.open(v) for k, v in checkin.texts.items()}
                )
            if checkin.scores is not None:
                Scores.from_dict(checkin.scores)  # edits subtract these: they must be readable
            return checked(checkin)

        return read

    def _decode_checkin(self, raw: str | None, key: str, rid: str, number: int) -> CheckIn | None:
        return decode(raw, key, self._reader(rid, number))

    async def checkin(self, tenant: str, rid: str, number: int) -> CheckIn | None:
        key = keys.checkin(tenant, rid, number)
        return self._decode_checkin(await self._get(key), key, rid, number)

    def _put_checkin(self, tx: Tx, tenant: str, checkin: CheckIn) -> Tx:
        # No index entry: a relationship's check-ins are numbered 1..entries (see `checkins`).
        key = keys.checkin(tenant, checkin.relationship, checkin.number)
        return tx.do("SET", key, self.encode_checkin(checkin))

    async def save_checkin(self, tenant: str, checkin: CheckIn) -> bool:
        """False, with nothing written, if its relationship is gone."""
        tx = Tx().require(keys.relationship(tenant, checkin.relationship))
        return await self.commit(self._put_checkin(tx, tenant, checkin))

    async def update_checkin(
        self, tenant: str, rid: str, number: int, change: Callable[[CheckIn], CheckIn | None]
    ) -> CheckIn | None:
        """Change one check-in, compare-and-set: an answer that lands meanwhile is never undone.
        None (nothing written) if it or its relationship is gone, or `change` says None."""
        key, rkey = keys.checkin(tenant, rid, number), keys.relationship(tenant, rid)
        result: list[CheckIn] = []

        def plan(raws: list[str | None]) -> Tx | None:
            old = self._decode_checkin(raws[0], key, rid, number)
            new = change(old) if old is not None and raws[1] is not None else None
            if new is None:
                return None
            result[:] = [new]
            tx = Tx().guard(key, raws[0]).require(rkey)
            return tx.do("SET", key, self.encode_checkin(new))

        return result[0] if await self._change([key, rkey], plan) else None

    async def hold(
        self,
        tenant: str,
        rel: Relationship,
        bump: Callable[[Relationship], Relationship],
        open_: Callable[[Relationship], CheckIn],
        count: Callable[[Aggregate], Aggregate],
    ) -> tuple[Relationship, CheckIn] | None:
        """A new check-in, the relationship change that numbers it, and the aggregate's count,
        in one script. None, with nothing written, if the relationship is gone (forgotten)."""
        rkey, akey = keys.relationship(tenant, rel.id), keys.aggregate(tenant, rel.id)
        result: list[Any] = []

        def plan(raws: list[str | None]) -> Tx | None:
            old = decode(raws[0], rkey, read_relationship)
            if old is None:
                return None
            tx = Tx().guard(rkey, raws[0]).guard(akey, raws[1])
            new = bump(old)
            tx.do("SET", rkey, dump(new.to_dict()))
            checkin = open_(new)
            tx.do("SET", akey, dump(count(self._agg(raws[1], akey)).to_dict()))
            result[:] = [new, checkin]
            return self._put_checkin(tx, tenant, checkin)

        held = await self._change([rkey, akey], plan, own_write=True)
        return (result[0], result[1]) if held else None

    async def change_entry(
        self,
        tenant: str,
        rid: str,
        number: int,
        step: Callable[[CheckIn, Aggregate], tuple[CheckIn, Aggregate] | None],
    ) -> tuple[CheckIn, Aggregate] | None:
        """Change a check-in and its relationship's aggregate together, compare-and-set on
        both (an answer, a send, a 'missed'): `step(check-in, aggregate)` is computed again
        from a fresh read on every conflict, so no concurrent change is lost or applied
        twice. None, with nothing written, if the check-in or its relationship is gone or
        `step` says None (nothing to do)."""
        ckey, akey = keys.checkin(tenant, rid, number), keys.aggregate(tenant, rid)
        rkey = keys.relationship(tenant, rid)
        result: list[tuple[CheckIn, Aggregate]] = []

        def plan(raws: list[str | None]) -> Tx | None:
            old = self._decode_checkin(raws[0], ckey, rid, number)
            if old is None or raws[2] is None:
                return None
            new = step(old, self._agg(raws[1], akey))
            if new is None:
                return None
            result[:] = [new]
            tx = Tx().guard(ckey, raws[0]).guard(akey, raws[1]).require(rkey)
            tx.do("SET", akey, dump(new[1].to_dict()))
            return self._put_checkin(tx, tenant, new[0])

        return result[0] if await self._change([ckey, akey, rkey], plan) else None

    async def _numbers(self, tenant: str, rid: str) -> list[int]:
        """Every number a check-in of the relationship can have: 1..entries, and whatever
        the version-1 index (`checkins` zset, no longer written) still lists."""
        rel = await self.relationship(tenant, rid)
        indexed = await self.redis.zrange(keys.checkin_index(tenant, rid), 0, -1)
        known = set(range(1, rel.entries + 1)) if rel else set()
        return sorted(known | {int(n) for n in indexed if str(n).isdigit()})

    async def _raw_checkins(
        self, tenant: str, rid: str, chunk: int = CHUNK
    ) -> list[tuple[int, str, str]]:
        """(number, key, raw record) of every stored check-in of the relationship."""
        numbers = await self._numbers(tenant, rid)
        found: list[tuple[int, str, str]] = []
        for start in range(0, len(numbers), chunk):
            part = numbers[start : start + chunk]
            names = [keys.checkin(tenant, rid, n) for n in part]
            raws = await self.redis.mget(names)
            found += [(n, k, r) for n, k, r in zip(part, names, raws, strict=True) if r is not None]
        return found

    async def checkin_records(
        self, tenant: str, rid: str, chunk: int = CHUNK
    ) -> list[tuple[int, str, str]]:
        """(number, key, stored record) of every check-in, undecoded, `chunk` keys per MGET
        (parsing a reply holds the event loop: smaller is shorter); `read_checkin` turns them
        into check-ins where the caller likes (export does it in slices)."""
        return await self._raw_checkins(tenant, rid, chunk)

    def read_checkin(self, raw: str, key: str, rid: str, number: int) -> CheckIn | None:
        """A stored record as a check-in (texts opened); None if unreadable. No I/O."""
        return self._decode_checkin(raw, key, rid, number)

    async def checkins(self, tenant: str, rid: str) -> list[CheckIn]:
        """The relationship's check-ins, oldest session first (unreadable ones left out)."""
        out = [
            c
            for n, key, raw in await self._raw_checkins(tenant, rid)
            if (c := self._decode_checkin(raw, key, rid, n)) is not None
        ]
        return sorted(out, key=lambda c: (c.session_at, c.number))

    async def prune_checkins(self, tenant: str, rid: str, before: float) -> int:
        """Retention: delete check-ins whose session was before `before` (epoch seconds).
        Reads the relationship's check-ins (one MGET per CHUNK): there is no time index."""
        old = [
            (n, key)
            for n, key, raw in await self._raw_checkins(tenant, rid)
            if (at := decode(raw, key, session_time)) is not None and at < before
        ]
        for start in range(0, len(old), CHUNK):
            part = old[start : start + CHUNK]
            tx = Tx()
            for _n, key in part:
                tx.do("DEL", key)
            await self.commit(tx.do("ZREM", keys.checkin_index(tenant, rid), *(n for n, _ in part)))
        return len(old)

    # --- practitioners ---------------------------------------------------------------
    async def practitioner(self, tenant: str, user: str) -> Practitioner:
        key = keys.practitioner(tenant, user)
        return decode(await self._get(key), key, read_practitioner) or Practitioner(tenant, user)

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

    async def uninstall_mark(self, tenant: str) -> str | None:
        """The raw uninstall mark of a tenant (see store.workspaces), if it is uninstalled."""
        return await self._get(keys.uninstalled(tenant))

    # --- digests ---------------------------------------------------------------------
    async def digest(self, tenant: str, channel: str) -> DigestSchedule | None:
        key = keys.digest(tenant, channel)
        return decode(await self.redis.get(key), key, read_digest)

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
        """Delete the relationship and every key it owns. Returns keys deleted.

        The relationship record and its alias go first, in one write: from then on every
        write that names it is refused (they require the relationship) and no DM about it is
        sent (a send reads it first). The same write notes it in `forgetting`, so a forget
        interrupted after it is finished later (`unfinished_forgets`). The rest (check-ins,
        aggregate, old index) is deleted after, FORGET_BATCH keys per DEL, so no single
        command holds Redis for long."""
        t, rid = rel.tenant, rel.id
        rkey = keys.relationship(t, rid)
        deleted = int(await self.redis.exists(rkey))
        tx = Tx().do("DEL", rkey).do("HDEL", keys.owner_aliases(t, rel.owner), alias_key)
        await self.commit(tx.do("HSET", keys.forgetting(t), rid, str(rel.entries)))
        return deleted + await self.erase(t, rid, rel.entries)

    async def erase(self, tenant: str, rid: str, entries: int) -> int:
        """Delete what a forgotten relationship left (its record is gone): check-ins 1..entries
        and any the old index lists, the client's answers and series, then its aggregate and
        index, in small batches; then
        its `forgetting` entry. Safe to run again. Returns keys deleted."""
        numbers = await self.redis.zrange(keys.checkin_index(tenant, rid), 0, -1)
        names = {keys.checkin(tenant, rid, int(n)) for n in numbers if str(n).isdigit()}
        names |= {keys.checkin(tenant, rid, n) for n in range(1, entries + 1)}
        # The client's answers (one per check-in number at most) and their series.
        names |= {keys.client_answer(tenant, rid, n) for n in range(1, entries + 1)}
        names.add(keys.client_series(tenant, rid))
        ordered = [*sorted(names), keys.aggregate(tenant, rid), keys.checkin_index(tenant, rid)]
        deleted = 0
        step = FORGET_BATCH * FORGET_PIPELINE
        for start in range(0, len(ordered), step):
            async with self.redis.pipeline(transaction=False) as pipe:
                for at in range(start, min(start + step, len(ordered)), FORGET_BATCH):
                    pipe.execute_command("DEL", *ordered[at : at + FORGET_BATCH])
                deleted += sum(int(n) for n in await pipe.execute())
        await self.redis.hdel(keys.forgetting(tenant), rid)
        return deleted

    async def unfinished_forgets(self, tenant: str) -> dict[str, int]:
        """Relationships whose `forget` began and did not finish: id -> check-in count."""
        found = await self.redis.hgetall(keys.forgetting(tenant))
        return {rid: int(n) for rid, n in found.items() if str(n).isdigit()}


__all__ = ["Store", "Tx", "dump", "load"]  # dump, load: re-exported from bot.store.records
