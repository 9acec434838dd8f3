"""APScheduler drives the polling; what is due lives in Redis (the due-queue).

In-memory job stores only (never shared between processes), explicit UTC zones and
explicit misfire settings: a poll that runs late is still worth running, once.
"""

from __future__ import annotations

import logging
import os
import socket

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis.exceptions import RedisError

from bot.core.schedule import zone
from bot.service.app import Rapport

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
REAP_SECONDS = 15.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _guarded(name: str, job):
    async def run() -> None:
        try:
            await job()
        except (RedisError, OSError):
            log.warning("%s: storage unavailable; will try again at the next tick", name)

    return run


def build_scheduler(rapport: Rapport, poll_seconds: float = POLL_SECONDS) -> AsyncIOScheduler:
    utc = zone("UTC")
    me = worker_name()
    scheduler = AsyncIOScheduler(
        timezone=utc,
        jobstores={"default": MemoryJobStore()},
        executors={"default": AsyncIOExecutor()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )

    async def poll() -> None:
        while await rapport.run_due(limit=100, worker=me) >= 100:
            pass  # a full batch: more may be waiting

    scheduler.add_job(
        _guarded("due-queue", poll),
        IntervalTrigger(seconds=poll_seconds, timezone=utc),
        id="due-queue",
    )
    scheduler.add_job(
        _guarded("reaper", rapport.reap),
        IntervalTrigger(seconds=REAP_SECONDS, timezone=utc),
        id="reaper",
    )
    scheduler.add_job(
        _guarded("retention", rapport.apply_retention),
        CronTrigger(hour=3, minute=17, timezone=utc),
        id="retention",
    )
    return scheduler
