"""APScheduler drives the polling; what is due lives in Redis (the due-queue).

In-memory job stores only (never shared between processes), explicit UTC zones and
explicit misfire settings: a poll that runs late is still worth running, once.

Stopping: APScheduler's asyncio executor cancels a running job on shutdown, and a poll
cancelled between `begin` and `complete` would lose the check-in it was sending. So
`Worker.stop` first pauses the scheduler (no new polls), lets the poll in progress finish
the batch it claimed, and only then shuts the scheduler down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.schedule import zone
from bot.service.app import Rapport
from bot.service.clocks import ClockOff
from bot.store.errors import StorageUnavailable

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
REAP_SECONDS = 15.0
BATCH = 100


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """The scheduler of one worker process, and what it is doing right now."""

    def __init__(
        self,
        rapport: Rapport,
        poll_seconds: float = POLL_SECONDS,
        max_clock_skew: float | None = None,
    ) -> None:
        self.rapport = rapport
        self.max_clock_skew = max_clock_skew  # None: trust this clock (tests, the console)
        self.clock_off = False
        self.name = worker_name()
        self.stopping = False
        self._running: set[asyncio.Task] = set()
        utc = zone("UTC")
        self.scheduler = AsyncIOScheduler(
            timezone=utc,
            jobstores={"default": MemoryJobStore()},
            executors={"default": AsyncIOExecutor()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        self.scheduler.add_job(
            self._guarded("due-queue", self.poll),
            IntervalTrigger(seconds=poll_seconds, timezone=utc),
            id="due-queue",
        )
        self.scheduler.add_job(
            self._guarded("reaper", rapport.reap),
            IntervalTrigger(seconds=REAP_SECONDS, timezone=utc),
            id="reaper",
        )
        self.scheduler.add_job(
            self._guarded("retention", rapport.apply_retention),
            CronTrigger(hour=3, minute=17, timezone=utc),
            id="retention",
        )

    async def poll(self) -> None:
        """Run what is due, batch after batch while batches come back full; nothing while
        this clock is too far from Redis's (see bot.service.clocks)."""
        if not await self._clock_agrees():
            return
        while not self.stopping:
            if await self.rapport.run_due(limit=BATCH, worker=self.name) < BATCH:
                return

    async def _clock_agrees(self) -> bool:
        if self.max_clock_skew is None:
            return True
        try:
            await self.rapport.check_clock(self.max_clock_skew)
        except ClockOff as off:
            if not self.clock_off:
                log.error("due-queue paused: %s", off)
            self.clock_off = True
            return False
        if self.clock_off:
            log.warning("due-queue resumed: this clock agrees with Redis's again")
        self.clock_off = False
        return True

    def _guarded(self, name: str, job: Callable[[], Awaitable[object]]):
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await job()
            except (StorageUnavailable, OSError):
                log.warning("%s: storage unavailable; will try again at the next tick", name)
            finally:
                self._running.discard(task)

        return run

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, grace: float) -> bool:
        """No new polls; wait up to `grace` seconds for the one in hand. True if it finished.

        Jobs a poll claimed but had not begun when the grace ran out are not lost: their
        lease expires and another worker takes them.
        """
        self.stopping = True
        self.scheduler.pause()
        pending = {t for t in self._running if not t.done()}
        if pending:
            log.info("waiting up to %.0fs for the due-queue poll in hand", grace)
            _done, pending = await asyncio.wait(pending, timeout=grace)
        self.scheduler.shutdown(wait=False)
        if pending:
            log.warning("stopped with a poll unfinished; its jobs return after their lease")
        return not pending


def build_scheduler(rapport: Rapport, poll_seconds: float = POLL_SECONDS) -> AsyncIOScheduler:
    """The bare scheduler (kept for callers that manage stopping themselves)."""
    return Worker(rapport, poll_seconds).scheduler
