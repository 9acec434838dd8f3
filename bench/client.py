"""`python -m bench client`: the client's page under load. p50 and p99 of 100 concurrent page
loads and of 100 concurrent submits, each beside a do-nothing aiohttp handler on the same
server in the same run (the floor: what aiohttp and the machine cost by themselves).

The server is a process of its own (`python -m bench.client serve ...`): the app's client
page routes, mounted as bot/web.py mounts them, on a fresh Redis, with the rate limits
raised (100 clients on one address would otherwise be, rightly, refused). Each of the 100
clients has its own link (one relationship each, a session logged) and its own cookies.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time

import aiohttp

from bench.ack import _pct, _ready
from bench.common import KEY, ROOT, commandstats, fresh_redis, median
from bot.core.clock import SystemClock
from bot.core.messages import Link, Message
from bot.service.api import Actor, Place, Recipient
from bot.store.server import free_port

CONCURRENT = 100
FORM = {"perspectives": "4", "power": "3", "problem_solving": "5", "helped": "4"}


class _Kept:
    """A notifier that keeps the check-ins (their links) instead of sending them."""

    def __init__(self) -> None:
        self.links: list[str] = []

    async def send(self, to: Recipient, message: Message) -> str | None:
        self.links += [b.url for b in message.blocks if isinstance(b, Link)]
        return None

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        return None


async def _seed(redis_url: str, public_url: str) -> list[str]:
    """CONCURRENT relationships with client ratings on, a session each: their links."""
    import redis.asyncio as aioredis  # noqa: PLC0415

    from bot.config import Settings  # noqa: PLC0415
    from bot.service.app import build  # noqa: PLC0415

    r = aioredis.from_url(redis_url, decode_responses=True)
    rapport = await build(Settings(encryption_key=KEY, public_url=public_url), SystemClock(), r)
    kept = _Kept()
    rapport.register("bench", kept)
    for i in range(CONCURRENT):
        who = Actor("bench:T1", f"U{i:04d}", "UTC")
        await rapport.command(who, "add Sam client=on", Place())
        await rapport.command(who, "log Sam", Place())
    while await rapport.run_due(limit=500) >= 500:
        pass
    await r.aclose()
    return kept.links


async def _timed(http: aiohttp.ClientSession, method: str, url: str, **kw) -> tuple[float, int]:
    started = time.perf_counter()
    async with http.request(method, url, **kw) as resp:
        await resp.read()
        return time.perf_counter() - started, resp.status


async def _batch(calls) -> tuple[float, float]:  # noqa: ANN001 - coroutines
    results = await asyncio.gather(*calls)
    statuses = {status for _s, status in results}
    assert statuses == {200}, statuses
    seconds = [s for s, _status in results]
    return _pct(seconds, 0.50), _pct(seconds, 0.99)


async def run(reps: int = 3) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, list[float]] = {}
    async with fresh_redis() as server:
        links = await _seed(server.url, base)
        assert len(links) == CONCURRENT
        proc = subprocess.Popen(  # noqa: S603 - our own program
            [sys.executable, "-m", "bench.client", "serve", str(port), server.url, base],
            cwd=ROOT,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
        )
        try:
            await _ready(f"{base}/noop")
            sessions = [
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
                for _ in range(CONCURRENT)
            ]
            import redis.asyncio as aioredis  # noqa: PLC0415

            r = aioredis.from_url(server.url, decode_responses=True)
            try:
                for _ in range(reps):
                    await _rep(sessions, links, base, figures, r)
            finally:
                for s in sessions:
                    await s.close()
                await r.aclose()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {k: median(v) for k, v in figures.items()}


async def _commands(r) -> int:  # noqa: ANN001 - the server's Redis
    stats = await commandstats(r)
    return sum(n for name, n in stats.items() if name not in ("info",))


async def _rep(sessions, links: list[str], base: str, figures: dict, r) -> None:  # noqa: ANN001
    def note(name: str, pair: tuple[float, float]) -> None:
        figures.setdefault(f"{name} p50", []).append(pair[0])
        figures.setdefault(f"{name} p99", []).append(pair[1])

    async def counted(name: str, batch) -> None:  # noqa: ANN001 - a coroutine
        before = await _commands(r)
        note(name, await batch)
        figures.setdefault(f"{name} commands", []).append((await _commands(r) - before) / 100)

    note("noop get", await _batch(_timed(s, "GET", f"{base}/noop") for s in sessions))
    await counted("page", _batch(_timed(s, "GET", u) for s, u in zip(sessions, links, strict=True)))
    forms = []
    for s, url in zip(sessions, links, strict=True):  # each client's own form (cookie, CSRF)
        async with s.get(url) as resp:
            csrf = re.search(r'name="csrf" value="([^"]+)"', await resp.text()).group(1)
        forms.append({**FORM, "csrf": csrf, "comment": "Thank you for today."})
    note("noop post", await _batch(_timed(s, "POST", f"{base}/noop", data=FORM) for s in sessions))
    await counted(
        "submit",
        _batch(
            _timed(s, "POST", u, data=f) for s, u, f in zip(sessions, links, forms, strict=True)
        ),
    )


def report(out: dict[str, float]) -> list[str]:
    ms = {k: v * 1000 for k, v in out.items()}
    return [
        f"client: {CONCURRENT} concurrent requests, each client its own link (medians of runs):",
        f"  page load  p50 {ms['page p50']:.0f} ms, p99 {ms['page p99']:.0f} ms"
        f"  | do-nothing GET  p50 {ms['noop get p50']:.0f} ms, p99 {ms['noop get p99']:.0f} ms"
        f"  | ratio p50 {out['page p50'] / out['noop get p50']:.1f}x",
        f"  submit     p50 {ms['submit p50']:.0f} ms, p99 {ms['submit p99']:.0f} ms"
        f"  | do-nothing POST p50 {ms['noop post p50']:.0f} ms, p99 {ms['noop post p99']:.0f} ms"
        f"  | ratio p50 {out['submit p50'] / out['noop post p50']:.1f}x",
        f"  Redis commands per request (INFO commandstats, scripts' inner commands included):"
        f" page load {out['page commands']:g}, submit {out['submit commands']:g}",
    ]


# --- the server process ----------------------------------------------------------------
async def _serve(port: int, redis_url: str, public_url: str) -> None:
    import redis.asyncio as aioredis  # noqa: PLC0415
    from aiohttp import web  # noqa: PLC0415

    from bot.channels import clientpage  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415
    from bot.service.app import build  # noqa: PLC0415
    from bot.web import RAPPORT_KEY  # noqa: PLC0415

    settings = Settings(encryption_key=KEY, public_url=public_url)
    r = aioredis.from_url(redis_url, decode_responses=True)
    rapport = await build(settings, SystemClock(), r)
    app = web.Application()
    app[RAPPORT_KEY] = rapport

    async def noop(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/noop", noop)
    app.router.add_post("/noop", noop)
    clientpage.mount(app, rapport, settings, per_token=10**9, per_address=10**9)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    asyncio.run(_serve(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
