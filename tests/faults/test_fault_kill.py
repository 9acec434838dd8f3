"""A worker killed with SIGKILL while it holds claimed check-ins loses none and doubles none."""

from __future__ import annotations

import signal
import time

import pytest

from bot.store import keys
from tests.faults.procs import (
    BotProcess,
    bot_env,
    log_sessions,
    planner,
    send_jobs_left,
    until,
    users,
)

pytestmark = pytest.mark.slow

CHECKINS = 40
LEASE = 5.0


async def test_a_killed_workers_checkins_are_sent_once_by_another_after_the_lease(
    redis, redis_server, slack, procs, tmp_path
):
    people = users(CHECKINS)
    rapport = await planner(redis)
    await log_sessions(rapport, people)  # 40 check-ins, due now
    env = bot_env(redis_server.url, slack, tmp_path, RAPPORT_LEASE_SECONDS=str(LEASE))

    # Worker A claims the whole batch and is stopped mid-send: Slack has taken its first
    # message but A never hears back.
    gate = slack.hold("chat.postMessage")
    a = BotProcess("worker", env, tmp_path / "a.log").start()
    procs.append(a)
    await until(lambda: slack.held == 1, 20, "worker A to be mid-send")
    assert await redis.zcard(keys.QUEUE_LEASES) == CHECKINS  # A holds every check-in
    lease_ends = max(s for _id, s in await redis.zrange(keys.QUEUE_LEASES, 0, -1, withscores=True))
    b = BotProcess("worker", env, tmp_path / "b.log").start()
    c = BotProcess("worker", env, tmp_path / "c.log").start()
    procs.extend([b, c])
    await b.wait_log("polling the due-queue")
    await c.wait_log("polling the due-queue")
    a.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    assert await a.wait_exit() == -signal.SIGKILL
    gate.set()  # Slack answers now; nobody is listening for A's message

    await until(lambda: sum(slack.checkin_counts(people).values()) >= CHECKINS, 30, "all DMs")
    recovered = time.monotonic() - killed_at
    assert time.time() >= lease_ends - 0.5  # taken back when A's lease ran out, not before

    async def drained() -> bool:
        return not await send_jobs_left(redis) and await redis.zcard(keys.QUEUE_LEASES) == 0

    await until(drained, 15, "the due-queue to have no check-in left to send")
    counts = slack.checkin_counts(people)
    sent = sum(counts.values())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    print(
        f"\nSIGKILL: {sent} check-ins sent for {CHECKINS}, {duplicates} duplicates, "
        f"recovered {recovered:.1f}s after the kill (lease {LEASE}s)"
    )
    assert all(n == 1 for n in counts.values()), counts
    assert b.alive() and c.alive()
