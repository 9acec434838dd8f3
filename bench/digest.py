"""Benchmark 3, digest: a team of 1,000 practitioners, 5 relationships each, weekly check-ins.

The digest is built after 1, 13 and 52 weeks of history (a year): its time and its Redis
commands must stay flat, because it reads each relationship's bounded aggregate, never
its check-ins.
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
    commandstats,
    fresh_redis,
    median,
    relationship,
    seed_relationships,
    service,
)
from bot.core.clock import ManualClock
from bot.core.models import ANSWERED, Aggregate, CheckIn
from bot.core.scoring import rotation, score
from bot.core.timeline import Timeline
from bot.service import digests
from bot.service.checkins import _record
from bot.store import keys
from bot.store.repository import dump

PRACTITIONERS, PER = 1_000, 5
CHECKPOINTS = (1, 13, 52)


async def add_weeks(r, rapport, rels, aggs, first: int, last: int, start) -> None:
    """Weeks first..last of answered weekly check-ins for every relationship."""
    ctx = rapport.ctx
    async with r.pipeline(transaction=False) as pipe:
        for i, rel in enumerate(rels):
            agg = aggs[i]
            for week in range(first, last + 1):
                at = start + timedelta(weeks=week - 1, hours=i % 40)
                asked = tuple(c.id for c in rotation(ctx.rubric, week))
                ratings = {cid: 2 + (week + i + j) % 4 for j, cid in enumerate(asked)}
                before = CheckIn(rel.id, week, "session", week, at, at, asked, message_ref="D:1")
                scores = score(ctx.rubric, ratings)
                after = replace(
                    before,
                    status=ANSWERED,
                    answered_at=at,
                    ratings=ratings,
                    scores=scores.to_dict(),
                )
                agg = replace(agg, sent=agg.sent + 1).count(keys_week(at), sessions=1, sent=1)
                agg, _ = _record(ctx, agg, before, after, scores)
                pipe.set(keys.checkin(TENANT, rel.id, week), ctx.store.encode_checkin(after))
            aggs[i] = agg
            pipe.set(keys.aggregate(TENANT, rel.id), dump(agg.to_dict()))
            rels[i] = replace(
                rel, timeline=Timeline(earlier=last, next_slot=last + 1), entries=last
            )
            pipe.set(keys.relationship(TENANT, rel.id), dump(rels[i].to_dict()))
            if i % 200 == 199:
                await pipe.execute()
        await pipe.execute()


def keys_week(at) -> str:
    from bot.core.schedule import iso_week  # noqa: PLC0415

    return iso_week(at)


async def run(reps: int = 3) -> dict:
    RoundTrips.install()
    out: dict = {}
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        await r.flushall()
        clock = ManualClock(T0)
        rapport = await service(r, clock)
        start = T0 - timedelta(weeks=52)
        rels = [
            relationship(i, f"U{i // PER:05d}", start - timedelta(days=1), cadence_days=7)
            for i in range(PRACTITIONERS * PER)
        ]
        aggs = [Aggregate() for _ in rels]
        await seed_relationships(r, rels)
        done = 0
        for weeks in CHECKPOINTS:
            await add_weeks(r, rapport, rels, aggs, done + 1, weeks, start)
            done = weeks
            clock.set(start + timedelta(weeks=weeks, days=1))
            times, trips, cmds = [], 0, 0
            for _ in range(reps):
                await r.config_resetstat()
                before = RoundTrips.count
                started = time.perf_counter()
                message = await digests.build(rapport.ctx, TENANT, clock.now())
                times.append(time.perf_counter() - started)
                trips = RoundTrips.count - before
                stats = await commandstats(r)
                cmds = sum(v for k, v in stats.items() if k not in ("info", "config|resetstat"))
            assert message.kind == "digest", message.summary
            out[weeks] = (median(times), trips, cmds)
        await r.aclose()
    return out


def report(out: dict) -> list[str]:
    first, last = out[CHECKPOINTS[0]][0], out[CHECKPOINTS[-1]][0]
    cells = "; ".join(
        f"{w} week(s) of history: {t * 1000:.0f} ms, {trips} round trips, {cmds} commands"
        for w, (t, trips, cmds) in out.items()
    )
    return [
        f"digest ({PRACTITIONERS:,} practitioners x {PER} relationships): {cells}; "
        f"year/first week {last / first:.2f}x (target <= 1.5x)"
    ]
