"""The client's side in Redis: one answer per session, the client's series, and the rate
limit of the client pages. Keys are named in keys.py; writes that depend on a read are
compare-and-set through the main store's script (`Store.commit`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.core.client import ClientAnswer, ClientSeries
from bot.core.models import Aggregate, Relationship
from bot.store import keys
from bot.store.errors import translated
from bot.store.records import decode, dump
from bot.store.repository import Store, Tx, read_aggregate, read_relationship


def _read_answer(_version: int, data: dict[str, Any]) -> ClientAnswer:
    return ClientAnswer.from_dict(data)


def _read_series(_version: int, data: dict[str, Any]) -> ClientSeries:
    return ClientSeries.from_dict(data)


@dataclass(frozen=True)
class AnswerRecords:
    """What a client's answer reads and writes together."""

    relationship: Relationship | None
    answer: ClientAnswer | None
    series: ClientSeries
    aggregate: Aggregate


@translated  # Redis down: StorageUnavailable, which the page turns into a friendly 503
class ClientStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis

    @property
    def stores_text(self) -> bool:
        return self.store.sealer is not None

    def _encode(self, answer: ClientAnswer) -> str:
        sealer = self.store.sealer
        comment = sealer.seal(answer.comment) if sealer and answer.comment else ""
        return dump(replace(answer, comment=comment).to_dict())

    def _decode(self, raw: str | None, key: str) -> ClientAnswer | None:
        answer = decode(raw, key, _read_answer)
        sealer = self.store.sealer
        if answer is not None and answer.comment and sealer is not None:
            answer = replace(answer, comment=sealer.open(answer.comment))
        return answer

    async def with_relationship(
        self, tenant: str, rid: str, number: int
    ) -> tuple[Relationship | None, ClientAnswer | None]:
        """The relationship and the session's answer, in one round trip (the page's read)."""
        rkey, akey = keys.relationship(tenant, rid), keys.client_answer(tenant, rid, number)
        raw_rel, raw_answer = await self.redis.mget([rkey, akey])
        return decode(raw_rel, rkey, read_relationship), self._decode(raw_answer, akey)

    async def answer(self, tenant: str, rid: str, number: int) -> ClientAnswer | None:
        key = keys.client_answer(tenant, rid, number)
        return self._decode(await self.redis.get(key), key)

    async def answers(self, tenant: str, rid: str, numbers: list[int]) -> list[ClientAnswer]:
        names = [keys.client_answer(tenant, rid, n) for n in numbers]
        raws = await self.redis.mget(names) if names else []
        found = (self._decode(raw, n) for n, raw in zip(names, raws, strict=True))
        return [a for a in found if a is not None]

    async def series(self, tenant: str, rid: str) -> ClientSeries:
        key = keys.client_series(tenant, rid)
        return decode(await self.redis.get(key), key, _read_series) or ClientSeries()

    async def many_series(self, tenant: str, rids: list[str]) -> list[ClientSeries]:
        names = [keys.client_series(tenant, rid) for rid in rids]
        raws = await self.redis.mget(names) if names else []
        return [
            decode(raw, n, _read_series) or ClientSeries()
            for n, raw in zip(names, raws, strict=True)
        ]

    async def change_series(
        self, tenant: str, rid: str, change: Callable[[ClientSeries], ClientSeries]
    ) -> ClientSeries:
        key = keys.client_series(tenant, rid)
        while True:
            raw = await self.redis.get(key)
            new = change(decode(raw, key, _read_series) or ClientSeries())
            if await self.store.commit(Tx().guard(key, raw).do("SET", key, dump(new.to_dict()))):
                return new

    async def save(
        self,
        tenant: str,
        rid: str,
        number: int,
        change: Callable[[AnswerRecords], AnswerRecords | None],
    ) -> AnswerRecords | None:
        """A client's answer: the relationship, the session's answer, the client's series and
        the relationship's aggregate read in one `MGET`; `change` gives the new answer,
        series and aggregate (None: write nothing), written by one compare-and-set script
        that also requires the relationship unchanged (a forget meanwhile wins); on a
        conflict all is read again and `change` redone. Returns what was written."""
        names = [
            keys.relationship(tenant, rid),
            keys.client_answer(tenant, rid, number),
            keys.client_series(tenant, rid),
            keys.aggregate(tenant, rid),
        ]
        while True:
            raws = await self.redis.mget(names)
            found = AnswerRecords(
                relationship=decode(raws[0], names[0], read_relationship),
                answer=self._decode(raws[1], names[1]),
                series=decode(raws[2], names[2], _read_series) or ClientSeries(),
                aggregate=decode(raws[3], names[3], read_aggregate) or Aggregate(),
            )
            new = change(found) if found.relationship is not None else None
            if new is None or new.answer is None:
                return None
            tx = Tx()
            for name, raw in zip(names, raws, strict=True):
                tx.guard(name, raw)
            tx.do("SET", names[1], self._encode(new.answer))
            tx.do("SET", names[2], dump(new.series.to_dict()))
            tx.do("SET", names[3], dump(new.aggregate.to_dict()))
            if await self.store.commit(tx):
                return new

    async def prune(self, tenant: str, rid: str, entries: int, before: float) -> int:
        """Retention: delete the client's answers of sessions before `before` (epoch seconds),
        and their points in the series."""
        numbers = list(range(1, entries + 1))
        old = [
            a.checkin
            for a in await self.answers(tenant, rid, numbers)
            if a.session_at.timestamp() < before
        ]
        if not old:
            return 0
        tx = Tx()
        for n in old:
            tx.do("DEL", keys.client_answer(tenant, rid, n))
        await self.store.commit(tx)
        gone = set(old)
        await self.change_series(
            tenant,
            rid,
            lambda s: replace(s, recent=tuple(p for p in s.recent if p.checkin not in gone)),
        )
        return len(old)

    async def hit(self, counters: list[tuple[str, str]], window: int, ttl: int) -> list[int]:
        """Count one request in this window on each (scope, ident) counter, in one round
        trip; the counts so far."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for scope, ident in counters:
                key = keys.client_rate(scope, ident, window)
                pipe.incr(key)
                pipe.expire(key, ttl)
            done = await pipe.execute()
        return [int(n) for n in done[::2]]
