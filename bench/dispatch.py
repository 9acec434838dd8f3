"""Benchmark 1, dispatch: workers drain due check-ins to a local fake Slack server.

Two kinds of due work are measured:
- `session`: a scheduled session ended; its job opens the check-in and DMs it (the weekly
  path, most of a deployment's traffic);
- `send`: a check-in already opened (by `log`) waits to be DMed.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from dataclasses import dataclass, replace
from datetime import timedelta

import aiohttp
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

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
from bench.slack_server import fake_slack_process
from bot.channels.slack.notifier import Pacer, SlackNotifier
from bot.core.clock import ManualClock
from bot.core.scoring import rotation
from bot.core.timeline import Timeline
from bot.service import due
from bot.store import keys
from bot.store.repository import dump

BOT_TOKEN = "xoxb-test-token"
PER_PRACTITIONER = 10


@dataclass(frozen=True)
class DispatchRun:
    kind: str
    checkins: int
    seconds: float
    round_trips: int
    bare_seconds: float
    stats: dict[str, int]

    @property
    def rate(self) -> float:
        return self.checkins / self.seconds

    @property
    def bare_rate(self) -> float:
        """Check-ins per second if each cost only its Redis round trips (the bare loop)."""
        return self.checkins / self.bare_seconds

    @property
    def per_checkin(self) -> float:
        return self.round_trips / self.checkins

    @property
    def server_commands(self) -> int:
        return sum(v for k, v in self.stats.items() if k not in ("info", "config|resetstat"))


async def seed(r: aioredis.Redis, rapport, n: int, kind: str) -> None:
    """n relationships, 10 per practitioner, each with one due check-in of `kind`."""
    ctx = rapport.ctx
    first = (T0 - timedelta(hours=2)).replace(tzinfo=None)
    rels = [
        relationship(
            i,
            f"U{i // PER_PRACTITIONER:05d}",
            T0 - timedelta(days=1),
            cadence_days=7,
            first_session=first,
        )
        for i in range(n)
    ]
    if kind == "send":
        rels = [replace(rel, timeline=Timeline(earlier=1, next_slot=2), entries=1) for rel in rels]
    await seed_relationships(r, rels)
    asked = tuple(c.id for c in rotation(ctx.rubric, 1))
    for start in range(0, n, 200):
        chunk = rels[start : start + 200]
        if kind == "session":
            await asyncio.gather(*(due.plan_session(ctx, rel, 1) for rel in chunk))
            continue
        async with r.pipeline(transaction=False) as pipe:
            for rel in chunk:
                at = T0 - timedelta(hours=1)
                from bot.core.models import CheckIn  # noqa: PLC0415

                checkin = CheckIn(rel.id, 1, "session", 1, at, at, asked)
                pipe.set(keys.checkin(TENANT, rel.id, 1), dump(ctx.store._seal(checkin)))
                pipe.zadd(keys.checkin_index(TENANT, rel.id), {"1": at.timestamp()})
            await pipe.execute()
        await asyncio.gather(
            *(
                ctx.schedule(  # as `log` queues it (the owner too, since issue 14)
                    "send",
                    TENANT,
                    f"{rel.id}:1",
                    T0 - timedelta(minutes=5),
                    rid=rel.id,
                    number=1,
                    owner=rel.owner,
                )
                for rel in chunk
            )
        )


async def _drain(rapport, worker: str = "", concurrency: int = 1) -> int:
    sent = 0
    while handled := await due.run_due(rapport.ctx, 100, worker, concurrency):
        sent += handled
    return sent


def _notifier(api_url: str, session: aiohttp.ClientSession) -> SlackNotifier:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url, session=session)
    return SlackNotifier(client, Pacer(interval=0))


async def one_worker(
    url: str, api_url: str, n: int, kind: str, concurrency: int = 1
) -> DispatchRun:
    RoundTrips.install()
    r = aioredis.from_url(url, decode_responses=True, max_connections=1000)
    await r.flushall()
    clock = ManualClock(T0)
    rapport = await service(r, clock)
    await seed(r, rapport, n, kind)
    async with aiohttp.ClientSession() as session:
        rapport.register("slack", _notifier(api_url, session))
        await r.config_resetstat()
        trips = RoundTrips.count
        started = time.perf_counter()
        sent = await _drain(rapport, concurrency=concurrency)
        seconds = time.perf_counter() - started
        trips = RoundTrips.count - trips
    stats = await commandstats(r)
    assert sent == n, f"sent {sent} of {n}"
    started = time.perf_counter()
    for _ in range(trips):  # the bare loop: as many plain round trips, same client
        await r.get("bench:bare")
    bare = time.perf_counter() - started
    await r.aclose()
    return DispatchRun(
        kind if concurrency == 1 else f"{kind}, {concurrency} at once",
        n,
        seconds,
        trips,
        bare,
        stats,
    )


def _worker_process(url, api_url, name, start, result) -> None:
    async def main() -> int:
        r = aioredis.from_url(url, decode_responses=True, max_connections=1000)
        rapport = await service(r, ManualClock(T0))
        async with aiohttp.ClientSession() as session:
            rapport.register("slack", _notifier(api_url, session))
            await r.ping()
            start.wait()
            sent = await _drain(rapport, worker=name)
        await r.aclose()
        return sent

    result.put(asyncio.run(main()))


async def many_workers(url: str, api_url: str, n: int, kind: str, workers: int) -> float:
    """Check-ins per second with `workers` worker processes draining one queue."""
    r = aioredis.from_url(url, decode_responses=True, max_connections=1000)
    await r.flushall()
    await seed(r, await service(r, ManualClock(T0)), n, kind)
    ctx = mp.get_context("spawn")
    start, result = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker_process, args=(url, api_url, f"w{i}", start, result))
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    await asyncio.sleep(3)  # let every process import and connect before the start signal
    started = time.perf_counter()
    start.set()
    sent = 0
    for _ in procs:
        sent += await asyncio.to_thread(result.get, True, 600)
    seconds = time.perf_counter() - started
    for p in procs:
        p.join()
    await r.aclose()
    assert sent == n, f"sent {sent} of {n}"
    return n / seconds


async def run(n: int = 10_000, reps: int = 3, workers: int = 4) -> dict:
    out: dict = {}
    async with fresh_redis() as server:
        with fake_slack_process() as api_url:
            out["session"] = [
                await one_worker(server.url, api_url, n, "session") for _ in range(reps)
            ]
            out["send"] = [await one_worker(server.url, api_url, n, "send")]
            out["concurrent"] = [await one_worker(server.url, api_url, n, "session", 8)]
            out["workers"] = [await many_workers(server.url, api_url, n, "session", workers)]
    return out


def report(out: dict, workers: int = 4) -> list[str]:
    lines = []
    for name in ("session", "send", "concurrent"):
        runs: list[DispatchRun] = out[name]
        kind = runs[0].kind
        rate = median([x.rate for x in runs])
        bare = median([x.bare_rate for x in runs])
        ratio = median([x.rate / x.bare_rate for x in runs])
        per = median([x.per_checkin for x in runs])
        cmds = median([x.server_commands / x.checkins for x in runs])
        top = sorted(runs[-1].stats.items(), key=lambda kv: -kv[1])[:10]
        lines += [
            f"dispatch [{kind}] {runs[0].checkins} check-ins, 1 worker, {len(runs)} run(s): "
            f"{rate:,.0f}/s; bare loop {bare:,.0f}/s; ratio {ratio:.2f} (target >= 0.33)",
            f"dispatch [{kind}] client round trips per check-in {per:.2f} (target <= 6); "
            f"server commands per check-in, script insides included: {cmds:.1f}",
            f"dispatch [{kind}] INFO commandstats: " + ", ".join(f"{k}={v}" for k, v in top),
        ]
    lines.append(
        f"dispatch [session] {workers} worker processes, one queue: {median(out['workers']):,.0f}/s"
    )
    return lines
