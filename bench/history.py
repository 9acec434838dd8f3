"""Benchmark 2, history: `/checkin history` with 10, 1,000 and 10,000 stored check-ins.

And benchmark 4, memory: Redis bytes per stored check-in (no free text), over 10,000.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import redis.asyncio as aioredis

from bench.common import (
    T0,
    TENANT,
    RoundTrips,
    fresh_redis,
    held_timeline,
    median,
    relationship,
    seed_relationships,
    service,
)
from bot.core.clock import ManualClock
from bot.core.models import ANSWERED, Aggregate, CheckIn
from bot.core.scoring import rotation, score
from bot.service.api import Actor, Place
from bot.service.checkins import _record
from bot.store import keys

SIZES = (10, 1_000, 10_000)
CALLS = 200


async def seed_history(
    r: aioredis.Redis, rapport, rid_n: int, count: int, owner: str, alias: str = "Sam"
) -> None:
    """One relationship, a year old, with `count` answered check-ins spread over that year,
    its aggregate folded as live answers fold it. The same age for every size, so that only
    the number of check-ins changes (review dates depend on the age, see BENCHMARKS.md)."""
    ctx = rapport.ctx
    start = T0 - timedelta(days=365)
    step = timedelta(days=365) / count
    rel = relationship(rid_n, owner, start, cadence_days=7)
    rel = replace(rel, alias=alias, timeline=held_timeline(count, start, step), entries=count)
    agg = Aggregate()
    async with r.pipeline(transaction=False) as pipe:
        for n in range(1, count + 1):
            at = start + step * (n - 1)
            asked = tuple(c.id for c in rotation(ctx.rubric, n))
            ratings = {cid: 3 + (n + i) % 3 for i, cid in enumerate(asked)}
            before = CheckIn(rel.id, n, "session", n, at, at, asked, message_ref="D1:1.1")
            scores = score(ctx.rubric, ratings)
            after = replace(
                before,
                status=ANSWERED,
                answered_at=at + timedelta(hours=1),
                ratings=ratings,
                process={"helpful": 4},
                scores=scores.to_dict(),
            )
            agg, _ = _record(ctx, agg, before, after, scores)
            pipe.set(keys.checkin(TENANT, rel.id, n), ctx.store.encode_checkin(after))
            if n % 1000 == 0:
                await pipe.execute()
        await pipe.execute()
    await seed_relationships(r, [rel], [agg])


async def run_history(reps: int = 3) -> dict:
    """The three relationships live side by side and are timed in turn, round after round,
    so that any drift in the machine's load falls on all three alike."""
    RoundTrips.install()
    times: dict[int, list[float]] = {size: [] for size in SIZES}
    trips: dict[int, float] = {}
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        rapport = await service(r, ManualClock(T0))
        me = Actor(TENANT, "UHIST", "UTC")
        for i, size in enumerate(SIZES):
            await seed_history(r, rapport, i + 1, size, "UHIST", alias=f"Sam{size}")
            reply = await rapport.command(me, f"history Sam{size}", Place())
            assert reply.kind != "error", reply.summary
        for _ in range(max(reps, 3) * 3):
            for size in SIZES:
                before = RoundTrips.count
                started = time.perf_counter()
                for _ in range(CALLS // 4):
                    await rapport.command(me, f"history Sam{size}", Place())
                times[size].append((time.perf_counter() - started) / (CALLS // 4))
                trips[size] = (RoundTrips.count - before) / (CALLS // 4)
        await r.aclose()
    return {size: (median(times[size]), trips[size]) for size in SIZES}


def report_history(out: dict) -> list[str]:
    small, large = out[SIZES[0]][0], out[SIZES[-1]][0]
    cells = ", ".join(
        f"{size:,}: {t * 1000:.2f} ms ({trips:.0f} round trips)" for size, (t, trips) in out.items()
    )
    return [f"history: {cells}; largest/smallest {large / small:.2f}x (target <= 1.5x)"]


async def run_memory(n: int = 10_000) -> dict:
    """Bytes Redis uses per stored check-in: used_memory before and after 10,000 of them."""
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        rapport = await service(r, ManualClock(T0))
        await seed_history(r, rapport, 1, 1, "UMEM")  # the relationship itself, outside the count
        before = (await r.info("memory"))["used_memory"]
        await seed_history(r, rapport, 2, n, "UMEM")
        after = (await r.info("memory"))["used_memory"]
        raw = await r.get(keys.checkin(TENANT, "r000002", n // 2))
        await r.aclose()
    return {"bytes": (after - before) / n, "record": len(raw.encode())}


def report_memory(out: dict) -> list[str]:
    return [
        f"memory: {out['bytes']:.0f} bytes of Redis per stored check-in over 10,000 "
        f"(record JSON {out['record']} bytes; target < 400)"
    ]
