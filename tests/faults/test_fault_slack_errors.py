"""The Slack API answering 500s and 429s for a while: check-ins are retried and sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.slack import build as build_slack
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.service.app import build
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
from tests.service_helpers import KEY
from tests.slack.fake_slack import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.slow

CHECKINS = 10


def _failures(slack) -> int:
    return sum(1 for c in slack.calls if c.method.endswith(("(500)", "(503)", "(429)")))


async def test_a_worker_rides_out_slack_500s_and_429s(redis, redis_server, slack, procs, tmp_path):
    people = users(CHECKINS)
    await log_sessions(await planner(redis), people)
    slack.fail("conversations.open", 503, times=2)
    for _ in range(2):  # each burst fits in the client's three retries of one call
        slack.fail("chat.postMessage", 500, times=2)
        slack.fail("chat.postMessage", 429, times=1, retry_after=1)
        slack.fail("chat.postMessage", None, times=2)
    worker = BotProcess("worker", bot_env(redis_server.url, slack, tmp_path), tmp_path / "w.log")
    procs.append(worker.start())

    await until(
        lambda: sum(slack.checkin_counts(people).values()) >= CHECKINS, 60, "every check-in"
    )

    async def drained() -> bool:
        return not await send_jobs_left(redis) and await redis.zcard(keys.QUEUE_LEASES) == 0

    await until(drained, 10, "nothing left to send")
    await slack.settle()
    counts = slack.checkin_counts(people)
    print(
        f"\nSlack 5xx/429 (worker process): {_failures(slack)} error answers; "
        f"{sum(counts.values())} check-ins sent for {CHECKINS}, "
        f"{sum(n - 1 for n in counts.values() if n > 1)} duplicates"
    )
    assert _failures(slack) == 8
    assert all(n == 1 for n in counts.values()), counts


async def test_a_longer_slack_outage_is_retried_by_the_due_queue_with_backoff(
    redis, slack, tmp_path
):
    """More errors than the client retries in place: the job itself comes back later
    (30 s, then 2 min) and its check-in is sent once. The queue's clock is a ManualClock."""
    clock = ManualClock(datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    settings = Settings(
        data_dir=tmp_path,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        encryption_key=KEY,
    )
    rapport = await build(settings, clock, redis)
    _bolt, notifier = build_slack(rapport, settings, pace=0)
    rapport.register("slack", notifier)
    await log_sessions(rapport, ["UALICE"])
    slack.fail("chat.postMessage", 429, times=8, retry_after=0)  # two attempts' worth

    tries = []
    for wait in (0, 29, 1, 119, 1):  # the retry is due 30 s, then 2 min, after each failure
        clock.advance(timedelta(seconds=wait))
        before = _failures(slack)
        await rapport.run_due()
        tries.append((wait, _failures(slack) - before, len(slack.checkins_to("UALICE"))))
    print(f"\nSlack 429s beyond the client's retries (wait, errors, sent): {tries}")
    assert tries == [(0, 4, 0), (29, 0, 0), (1, 4, 0), (119, 0, 0), (1, 0, 1)]
    await rapport.run_due()
    assert len(slack.checkins_to("UALICE")) == 1
