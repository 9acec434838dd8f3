"""Two web processes and three workers on one Redis, under a burst: no duplicate, no loss."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.service.api import Actor
from bot.store import keys
from bot.store.server import free_port
from tests.faults.procs import (
    DM,
    TENANT,
    BotProcess,
    bot_env,
    log_sessions,
    planner,
    send_jobs_left,
    until,
    users,
    wait_ready,
)
from tests.slack.fake_slack import SlackUser

pytestmark = pytest.mark.slow

SCHEDULED = 60  # check-ins made due by the service directly
COMMANDED = 60  # `log` typed in Slack, spread over both web processes
LISTS = 40  # `list` typed in Slack meanwhile


async def test_a_burst_over_two_web_processes_and_three_workers(
    redis, redis_server, slack, procs, http, tmp_path
):
    env = bot_env(redis_server.url, slack, tmp_path)
    webs = [
        BotProcess("serve", env, tmp_path / f"web{i}.log", port=free_port()).start()
        for i in range(2)
    ]
    workers = [BotProcess("worker", env, tmp_path / f"worker{i}.log").start() for i in range(3)]
    procs.extend(webs + workers)
    for proc in webs:
        await wait_ready(proc, http)
    for proc in workers:
        await proc.wait_log("polling the due-queue")

    rapport = await planner(redis)
    typed = users(COMMANDED, "UC")
    for user in typed:  # registered beforehand; the burst logs their sessions
        await rapport.command(_actor(user), "add Sam", DM)

    async def command(i: int, user: str, words: str) -> None:
        web = webs[i % 2]
        reply = await SlackUser(slack, f"{web.url}/slack/events", user, http).command(words)
        assert reply.status == 200

    typing = [command(i, u, "log Sam") for i, u in enumerate(typed)]
    typing += [command(i, u, "list") for i, u in enumerate(typed[:LISTS])]
    scheduled = users(SCHEDULED, "US")
    await asyncio.gather(log_sessions(rapport, scheduled), *typing)

    everyone = scheduled + typed
    await until(
        lambda: sum(slack.checkin_counts(everyone).values()) >= len(everyone), 60, "every DM"
    )
    await until(lambda: len(slack.responses) >= COMMANDED + LISTS, 30, "every command reply")

    async def drained() -> bool:
        return not await send_jobs_left(redis) and await redis.zcard(keys.QUEUE_LEASES) == 0

    await until(drained, 20, "nothing left to send")
    await slack.settle()
    counts = slack.checkin_counts(everyone)
    replies = Counter(c.path for c in slack.called("response_url"))
    sent = sum(counts.values())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    senders = [w.log().count("already begun elsewhere") for w in workers]
    print(
        f"\nburst: {sent} check-ins sent for {len(everyone)} due, {duplicates} duplicates; "
        f"{sum(replies.values())} replies to {COMMANDED + LISTS} commands; "
        f"copies skipped at the gate per worker: {senders}"
    )
    assert all(n == 1 for n in counts.values()), counts
    assert len(replies) == COMMANDED + LISTS and set(replies.values()) == {1}
    assert not any(" ERROR " in p.log() for p in webs + workers)


def _actor(user: str) -> Actor:
    return Actor(TENANT, user, "Europe/Berlin")
