"""Benchmark: `export` and `forget` of a relationship with 10,000 check-ins, while the same
process serves `/healthz`.

Three figures per phase, from one run:
- the worst event-loop stall: a probe task sleeps 1 ms in a loop; its largest overshoot
  is the longest time the loop was held, by the phase or by the OS running something else
  on a busy box; beside it the part of that overshoot this process spent computing (its
  CPU time across the gap), which is what the code itself holds the loop for;
- Redis's longest command in the phase: SLOWLOG with every command logged (a script counts
  as one command, as Redis runs it: every other client waits that long);
- the p99 latency of `/healthz`, polled every 10 ms over HTTP from another process (a
  thread of this one would measure its own wait for the GIL, not the server).
The previous export (read everything, then `json.dumps(indent=2)` on the loop) is run the
same way for comparison. Target: no stall over 50 ms.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta

import redis.asyncio as aioredis
from aiohttp import web

from bench.common import (
    T0,
    TENANT,
    fresh_redis,
    held_timeline,
    median,
    relationship,
    seed_relationships,
    service,
)
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.models import ANSWERED, CheckIn
from bot.core.scoring import rotation
from bot.service.api import Actor, Place
from bot.store import keys
from bot.store.server import free_port
from bot.web import create_app

OWNER = "UEXPORT"
ME = Actor(TENANT, OWNER, "UTC")
DM = Place()
NOTE = "Agreed the next step together; she named the problem herself this time. ✓"


async def seed(r: aioredis.Redis, rapport, count: int) -> None:
    """One relationship, a year old, with `count` answered check-ins with a note each."""
    start = T0 - timedelta(days=365)
    step = timedelta(days=365) / count
    rel = relationship(1, OWNER, start, cadence_days=7)
    rel = replace(rel, alias="Sam", timeline=held_timeline(count, start, step), entries=count)
    async with r.pipeline(transaction=False) as pipe:
        for n in range(1, count + 1):
            at = start + step * (n - 1)
            asked = tuple(c.id for c in rotation(rapport.ctx.rubric, n))
            entry = CheckIn(
                rel.id,
                n,
                "session",
                n,
                at,
                at,
                asked,
                status=ANSWERED,
                answered_at=at + timedelta(hours=1),
                ratings={cid: 3 + (n + i) % 3 for i, cid in enumerate(asked)},
                process={"helpful": 4},
                texts={"takeaway": NOTE},
                message_ref="D1:1.1",
            )
            pipe.set(keys.checkin(TENANT, rel.id, n), rapport.ctx.store.encode_checkin(entry))
            if n % 1000 == 0:
                await pipe.execute()
        await pipe.execute()
    await seed_relationships(r, [rel])


# The /healthz poller, run as `python -c POLLER <url>`: one latency in seconds per line.
POLLER = """
import http.client, sys, time
host, port = sys.argv[1].removeprefix("http://").split(":")
while True:
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    t = time.perf_counter()
    conn.request("GET", "/healthz")
    conn.getresponse().read()
    print(time.perf_counter() - t, flush=True)
    conn.close()
    time.sleep(0.01)
"""


@dataclass
class Probe:
    """The loop-stall probe and the /healthz poller, for one phase."""

    url: str
    stalls: list[float] = field(default_factory=list)
    cpu_stalls: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    _running: bool = False

    async def _lag(self) -> None:
        while self._running:
            t, cpu = time.perf_counter(), time.process_time()
            await asyncio.sleep(0.001)
            wall = time.perf_counter() - t - 0.001
            self.stalls.append(wall)
            # the part of the stall this process spent computing (the rest, on a busy box,
            # is the OS running someone else)
            self.cpu_stalls.append(min(wall, time.process_time() - cpu))

    async def during(self, work) -> float:
        self._running = True
        lag = asyncio.create_task(self._lag())
        poller = await asyncio.create_subprocess_exec(
            sys.executable, "-c", POLLER, self.url, stdout=asyncio.subprocess.PIPE
        )
        await asyncio.sleep(0.3)  # both running (the poller's interpreter started) first
        t = time.perf_counter()
        await work()
        took = time.perf_counter() - t
        await asyncio.sleep(0.05)
        self._running = False
        await lag
        poller.terminate()
        out, _ = await poller.communicate()
        # the poll under way when it was stopped may have printed half a line
        self.health = [float(x) for x in out.decode().split("\n")[:-1] if x]
        return took

    @property
    def worst_stall(self) -> float:
        return max(self.stalls, default=0.0)

    @property
    def worst_cpu_stall(self) -> float:
        return max(self.cpu_stalls, default=0.0)

    @property
    def health_p99(self) -> float:
        if len(self.health) < 2:
            return self.health[0] if self.health else 0.0
        return statistics.quantiles(self.health, n=100)[98]


async def _slowest(r: aioredis.Redis) -> tuple[float, str]:
    """Redis's longest command since the last SLOWLOG RESET: (seconds, command name)."""
    # raw reply (redis-py's parser misreads RESP3 entries): [id, time, micros, args, ...]
    entries = await r.execute_command("SLOWLOG", "GET", 1_000_000)
    if not entries:
        return 0.0, "-"
    top = max(entries, key=lambda e: int(e[2]))
    args = top[3]
    return int(top[2]) / 1_000_000, str(args[0]).upper() if args else "?"


async def _old_export(rapport) -> None:
    """The export as it was: every check-in decoded and the whole JSON built on the loop."""
    store = rapport.ctx.store
    data = {"relationships": []}
    for rel in await store.relationships_of(TENANT, OWNER):
        entries = await store.checkins(TENANT, rel.id)
        data["relationships"].append({**rel.to_dict(), "checkins": [e.to_dict() for e in entries]})
    json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


async def _phase(r: aioredis.Redis, url: str, work) -> dict:
    await r.slowlog_reset()
    probe = Probe(url)
    took = await probe.during(work)
    slowest, name = await _slowest(r)
    return {
        "took": took,
        "stall": probe.worst_stall,
        "cpu_stall": probe.worst_cpu_stall,
        "redis": slowest,
        "redis_cmd": name,
        "p99": probe.health_p99,
        "polls": len(probe.health),
    }


async def one_run(count: int) -> dict[str, dict]:
    async with fresh_redis() as server:
        r = aioredis.from_url(server.url, decode_responses=True)
        rapport = await service(r, ManualClock(T0))
        await seed(r, rapport, count)
        await r.config_set("slowlog-log-slower-than", 0)
        await r.config_set("slowlog-max-len", 200_000)
        app = create_app(rapport, Settings())
        gc.freeze()  # as `python -m bot serve` does once started
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        sizes: list[int] = []

        async def export() -> None:
            reply = await rapport.command(ME, "export", DM)
            sizes.append(len(reply.attachment.content))

        async def forget() -> None:
            await rapport.command(ME, "forget Sam", DM)
            reply = await rapport.command(ME, "forget Sam confirm", DM)
            assert "Deleted" in reply.summary, reply.summary

        out = {
            "idle": await _phase(r, url, lambda: asyncio.sleep(0.5)),
            "export (before)": await _phase(r, url, lambda: _old_export(rapport)),
            "export": await _phase(r, url, export),
            "forget": await _phase(r, url, forget),
        }
        out["export"]["bytes"] = sizes[0]
        await runner.cleanup()
        await r.aclose()
    return out


async def run(count: int = 10_000, reps: int = 3) -> dict:
    runs = [await one_run(count) for _ in range(reps)]
    phases = runs[0].keys()
    merged = {
        phase: {
            k: median([run[phase][k] for run in runs])
            for k in ("took", "stall", "cpu_stall", "redis", "p99")
        }
        for phase in phases
    }
    for phase in phases:
        merged[phase]["redis_cmd"] = runs[0][phase]["redis_cmd"]
    merged["export"]["bytes"] = runs[0]["export"]["bytes"]
    return {"count": count, "reps": reps, "phases": merged}


def report(out: dict) -> list[str]:
    lines = [
        f"export/forget of one relationship with {out['count']:,} check-ins "
        f"(medians of {out['reps']} runs; target: no loop stall over 50 ms):"
    ]
    for phase, f in out["phases"].items():
        lines.append(
            f"  {phase:<16} took {f['took'] * 1000:6.0f} ms | worst loop stall "
            f"{f['stall'] * 1000:6.1f} ms ({f['cpu_stall'] * 1000:6.1f} ms computing) | "
            f"longest Redis command {f['redis'] * 1000:6.1f} ms "
            f"({f['redis_cmd']}) | /healthz p99 {f['p99'] * 1000:6.1f} ms"
        )
    old, new = out["phases"]["export (before)"], out["phases"]["export"]
    lines.append(
        f"  export file {out['phases']['export']['bytes'] / 1e6:.1f} MB; worst stall "
        f"before/after {old['stall'] / max(new['stall'], 1e-6):.0f}x (computing: "
        f"{old['cpu_stall'] / max(new['cpu_stall'], 1e-6):.0f}x)"
    )
    return lines
