"""Real Rapport processes for the fault tests, and a Slack that fails on demand.

`BotProcess` runs `python -m bot <command>` as a child process with its own environment,
logging to a file. `FlakySlack` is the suite's fake Slack, plus three controls: answer the
next calls of a method with 500/429, and hold a method's answers (after the call was
recorded, i.e. after Slack "did" it) until the test lets them go.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.messages import Action
from bot.service.api import Actor, Place
from bot.service.app import Rapport, build
from bot.store import keys
from tests.service_helpers import KEY
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET, TEAM, Call, FakeSlack, Posted

ROOT = Path(__file__).resolve().parents[2]
TENANT = f"slack:{TEAM}"
DM = Place()


class FlakySlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__()
        self._faults: dict[str, list[tuple[int | None, int | None]]] = defaultdict(list)
        self._holds: dict[str, asyncio.Event] = {}
        self.held = 0  # answers being held right now

    def fail(
        self, method: str, status: int | None, times: int = 1, retry_after: int | None = None
    ) -> None:
        """The next `times` calls of `method` get `status` (and Retry-After, if given);
        status None lets those calls through, to space failures out."""
        self._faults[method].extend([(status, retry_after)] * times)

    def hold(self, method: str) -> asyncio.Event:
        """Hold every answer to `method` until the returned event is set."""
        gate = asyncio.Event()
        self._holds[method] = gate
        return gate

    def release_all(self) -> None:
        for gate in self._holds.values():
            gate.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        status, retry_after = self._faults[method].pop(0) if self._faults.get(method) else (None, 0)
        if status is not None:
            await self._record(Call(f"{method} ({status})", await self._args(request)))
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            error = "ratelimited" if status == 429 else "internal_error"
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        response = await super()._api(request)
        gate = self._holds.get(method)
        if gate is not None and not gate.is_set():
            self.held += 1
            await self._record(Call(f"{method} (held)", {}))
            try:
                await gate.wait()
            finally:
                self.held -= 1
        return response

    async def stop(self) -> None:
        self.release_all()
        await super().stop()

    def checkins_to(self, user: str) -> list[Posted]:
        """Check-in DMs `user` got (messages with the button that opens the form)."""
        return [m for m in self.dm(user) if _opens_form(m)]

    def checkin_counts(self, users: list[str]) -> dict[str, int]:
        return {u: len(self.checkins_to(u)) for u in users}


def _opens_form(message: Posted) -> bool:
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if str(element.get("action_id", "")).startswith(Action.OPEN_FORM):
                return True
    return False


def bot_env(redis_url: str, slack: FakeSlack, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process: this Redis, this Slack, quick polls, short leases."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TEAMS_", "RAPPORT_", "REDIS_", "PORT"))
    }
    env.update(
        REDIS_URL=redis_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        RAPPORT_ENCRYPTION_KEY=KEY,
        RAPPORT_DATA_DIR=str(data_dir),
        RAPPORT_POLL_SECONDS="0.5",
        RAPPORT_LEASE_SECONDS="5",
        RAPPORT_SHUTDOWN_SECONDS="20",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """`python -m bot <command>` as a child process; its log is a file."""

    command: str
    env: Mapping[str, str]
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> BotProcess:
        env = dict(self.env)
        if self.port is not None:
            env["PORT"] = str(self.port)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(  # noqa: S603 - our own program
            [sys.executable, "-m", "bot", self.command],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        assert self.popen is not None
        self.popen.send_signal(sig)

    async def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.popen is not None
        await until(lambda: self.popen.poll() is not None, timeout, f"{self.command} to exit")
        return self.popen.returncode

    async def wait_log(self, text: str, timeout: float = 20.0) -> None:
        await until(lambda: text in self.log(), timeout, f"{text!r} in the {self.command} log")

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()


async def until(ready: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll an observable condition until it holds (a deadline, not a sleep to make it so)."""
    deadline = time.monotonic() + timeout
    while True:
        result = ready()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(every)


async def wait_ready(proc: BotProcess, session: aiohttp.ClientSession, timeout: float = 20.0):
    """A web process answers /healthz with 200."""

    async def healthy() -> bool:
        try:
            async with session.get(proc.url + "/healthz") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    await until(healthy, timeout, f"{proc.command} on port {proc.port} to be healthy", 0.1)


async def planner(redis, **settings: Any) -> Rapport:
    """A service on the same Redis whose clock reads the real time now, as the bot's do:
    what it logs is due at once for the worker processes."""
    clock = ManualClock(datetime.now(UTC))
    return await build(Settings(encryption_key=KEY, **settings), clock, redis)


async def log_sessions(rapport: Rapport, users: list[str], alias: str = "Sam") -> None:
    """Register `alias` for each user and log a session: one check-in due now per user."""
    for user in users:
        me = Actor(TENANT, user, "Europe/Berlin")
        assert "Added" in (await rapport.command(me, f"add {alias}", DM)).summary
        assert "session 1" in (await rapport.command(me, f"log {alias}", DM)).summary


async def send_jobs_left(redis) -> list[str]:
    """Check-in sends still queued or leased (every other job kind is due later)."""
    return [j for j in await redis.hkeys(keys.QUEUE_JOBS) if j.startswith("send:")]


def users(n: int, prefix: str = "U") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(1, n + 1)]
