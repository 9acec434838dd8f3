"""Benchmark: charts. Drawing one history chart (10 and 200 sessions) and one digest chart
(1,000 practitioners), and the p99 of `history` under 100 concurrent commands with their
charts beside the same without (the text reply must not wait for the drawing).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta

import redis.asyncio as aioredis

from bench.common import T0, TENANT, fresh_redis, median, relationship, seed_relationships, service
from bench.digest import PER, PRACTITIONERS, add_weeks
from bench.history import seed_history
from bot.core import charts
from bot.core import digest as core_digest
from bot.core.clock import ManualClock
from bot.core.models import Aggregate
from bot.core.schedule import iso_week
from bot.service import digests
from bot.service.api import Actor, Place
from bot.service.drawing import draw
from bot.store import keys

HISTORY_SIZES = (10, 200)
CONCURRENT = 100
DIGEST_WEEKS = 13  # the chart's twelve and the week under way


def _history(n: int) -> charts.HistoryChart:
    points = tuple(
        charts.Point(
            session=k,
            day=(T0 + timedelta(weeks=k)).strftime("%d %b"),
            overall=0.3 + (k % 10) / 20,
            groups={"perspectives": 0.5, "power": 0.3 + (k % 7) / 14, "problems": 0.6},
            review=k % 12 == 0,
            note="drift" if k % 17 == 0 else None,
        )
        for k in range(1, n + 1)
    )
    groups = (("perspectives", "P"), ("power", "Q"), ("problems", "R"))
    return charts.HistoryChart(TENANT, "Sam", groups, (0.4, 0.7), points)


def render_history(reps: int) -> dict[int, float]:
    out = {}
    for n in HISTORY_SIZES:
        data = charts.to_data(_history(n))
        draw(data)  # fonts and caches warm
        times = []
        for _ in range(max(reps, 5)):
            started = time.perf_counter()
            draw(data)
            times.append(time.perf_counter() - started)
        out[n] = median(times)
    return out


async def digest_text_only(ctx, now) -> None:
    """The digest as it was before its chart: the same read for its two weeks only."""
    week, previous = iso_week(now - timedelta(days=1)), iso_week(now - timedelta(days=8))
    rows = []
    for _user, rels, aggs in await ctx.store.team(TENANT, (week, previous)):
        drifting = sum(1 for a in aggs if a.drifting)
        soon = sum(1 for r in rels if digests._review_soon(ctx, r, now))
        rows.append(core_digest.practitioner_week(aggs, week, previous, drifting, soon))
    core_digest.team_digest(ctx.rubric, ctx.prompts, week, rows)


async def digest_chart(reps: int) -> dict[str, float]:
    """digests.build (the digest's and the chart's data, in one read) beside the digest's
    text alone, timed in turn so the machine's load falls on both alike; and the drawing."""
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        clock = ManualClock(T0)
        rapport = await service(r, clock)
        start = T0 - timedelta(weeks=DIGEST_WEEKS)
        rels = [
            relationship(i, f"U{i // PER:05d}", start - timedelta(days=1), cadence_days=7)
            for i in range(PRACTITIONERS * PER)
        ]
        aggs = [Aggregate() for _ in rels]
        await seed_relationships(r, rels)
        await add_weeks(r, rapport, rels, aggs, 1, DIGEST_WEEKS, start)
        clock.set(start + timedelta(weeks=DIGEST_WEEKS, days=1))
        await r.delete(keys.digest_weeks(TENANT))
        started = time.perf_counter()
        await digests.build(rapport.ctx, TENANT, clock.now())  # reads all twelve weeks
        first = time.perf_counter() - started
        builds, texts, draws = [], [], []
        for _ in range(max(reps, 5)):
            started = time.perf_counter()
            await digest_text_only(rapport.ctx, clock.now())
            texts.append(time.perf_counter() - started)
            started = time.perf_counter()
            message = await digests.build(rapport.ctx, TENANT, clock.now())
            builds.append(time.perf_counter() - started)
            started = time.perf_counter()
            draw(charts.to_data(message.chart))
            draws.append(time.perf_counter() - started)
        weeks = len(message.chart.weeks)
        await r.aclose()
    return {
        "first": first,
        "build": median(builds),
        "text": median(texts),
        "draw": median(draws),
        "weeks": weeks,
    }


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def concurrent_history(reps: int) -> dict[str, dict[str, float]]:
    """100 practitioners' `history` at once, each relationship with 10 answered check-ins;
    every round starts with no chart cached, so every chart is drawn."""
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True, max_connections=200)
        rapport = await service(r, ManualClock(T0), public_url="https://rapport.example.org")
        for i in range(CONCURRENT):
            # each its own alias, so each its own chart (a chart is named by its content)
            await seed_history(r, rapport, i + 1, 10, f"U{i:03d}", alias=f"Sam{i}")
        actors = [Actor(TENANT, f"U{i:03d}", "UTC") for i in range(CONCURRENT)]
        warm = await rapport.command(actors[0], "history Sam0", Place())
        await rapport.picture(warm.chart)  # the pool's process started, matplotlib loaded

        async def one(i: int, with_chart: bool) -> tuple[float, float | None]:
            started = time.perf_counter()
            reply = await rapport.command(actors[i], f"history Sam{i}", Place())
            replied = time.perf_counter() - started
            if not with_chart:
                return replied, None
            picture = await rapport.picture(reply.chart)
            assert picture is not None
            return replied, time.perf_counter() - started

        out: dict[str, dict[str, float]] = {}
        for mode in ("without", "with"):
            replies, charted = [], []
            for _ in range(max(reps, 3)):
                async for key in r.scan_iter(match=keys.chart(TENANT, "*")):
                    await r.delete(key)
                results = await asyncio.gather(*(one(i, mode == "with") for i in range(CONCURRENT)))
                replies += [t for t, _c in results]
                charted += [c for _t, c in results if c is not None]
            out[mode] = {"reply": p99(replies), "median": median(replies)}
            if charted:
                out[mode]["chart"] = p99(charted)
        await r.aclose()
    return out


async def run(reps: int = 3) -> dict:
    return {
        "history": render_history(reps),
        "digest": await digest_chart(reps),
        "concurrent": await concurrent_history(reps),
    }


def report(out: dict) -> list[str]:
    h, d, c = out["history"], out["digest"], out["concurrent"]
    without, with_ = c["without"], c["with"]
    return [
        "chart: draw one history chart: "
        + ", ".join(f"{n} sessions {t * 1000:.0f} ms" for n, t in h.items())
        + f"; digest chart for {PRACTITIONERS:,} practitioners x {PER}: draw "
        f"{d['draw'] * 1000:.0f} ms ({d['weeks']} weeks); digests.build with the chart's data "
        f"{d['build'] * 1000:.0f} ms vs {d['text'] * 1000:.0f} ms for the text's alone "
        f"({d['build'] / d['text']:.2f}x), a team's first {d['first'] * 1000:.0f} ms "
        f"({d['first'] / d['text']:.2f}x: twelve weeks read, ten kept)",
        f"chart: {CONCURRENT} concurrent `history`: text reply p99 {without['reply'] * 1000:.0f} ms"
        f" without charts, {with_['reply'] * 1000:.0f} ms with charts "
        f"({with_['reply'] / without['reply']:.2f}x); the chart itself p99 "
        f"{with_['chart'] * 1000:.0f} ms after the command (all {CONCURRENT} drawn afresh)",
    ]
