"""Benchmark 5, acknowledgement: 100 concurrent signed slash commands against `python -m bot
serve` (a real server process), timed from send to HTTP response, p50 and p99."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import aiohttp

from bench.common import ROOT, fresh_redis, median
from bot.store.server import free_port

CONCURRENT = 100


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not come up")


async def run(reps: int = 3) -> dict:
    from fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackUser  # noqa: PLC0415

    slack = FakeSlack()
    await slack.start()
    port = free_port()
    p50s, p99s = [], []
    async with fresh_redis() as server:
        env = {
            **os.environ,
            "REDIS_URL": server.url,
            "PORT": str(port),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "RAPPORT_ALLOW_PLAINTEXT": "1",
            "RAPPORT_DATA_DIR": str(server.data_dir),
        }
        proc = subprocess.Popen(  # noqa: S603 - our own program
            [sys.executable, "-m", "bot", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await _ready(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}/slack/events"
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONCURRENT)
            ) as http:
                users = [SlackUser(slack, url, f"U{i:04d}", http) for i in range(CONCURRENT)]
                await users[0].command("help")  # warm-up: bolt's first dispatch calls auth.test
                for _ in range(reps):
                    replies = await asyncio.gather(*(u.command("list") for u in users))
                    assert all(r.status == 200 for r in replies), {r.status for r in replies}
                    seconds = [r.seconds for r in replies]
                    p50s.append(_pct(seconds, 0.50))
                    p99s.append(_pct(seconds, 0.99))
                    await slack.settle()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()  # it drains its lazy listeners first; the figures are in already
                proc.wait()
            await slack.stop()
    return {"p50": median(p50s), "p99": median(p99s)}


def report(out: dict) -> list[str]:
    return [
        f"ack: {CONCURRENT} concurrent signed /checkin commands: "
        f"p50 {out['p50'] * 1000:.0f} ms, p99 {out['p99'] * 1000:.0f} ms (target p99 < 300 ms)"
    ]
