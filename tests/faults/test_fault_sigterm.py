"""SIGTERM: the worker and the web server finish what they hold, then stop cleanly (exit 0)."""

from __future__ import annotations

import signal

import pytest

from bot.store import keys
from bot.store.server import free_port
from tests.faults.procs import (
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

CHECKINS = 8


async def test_sigterm_lets_the_worker_send_the_batch_it_claimed(
    redis, redis_server, slack, procs, tmp_path
):
    people = users(CHECKINS)
    await log_sessions(await planner(redis), people)
    gate = slack.hold("chat.postMessage")
    worker = BotProcess("worker", bot_env(redis_server.url, slack, tmp_path), tmp_path / "w.log")
    procs.append(worker.start())
    await until(lambda: slack.held == 1, 20, "the worker to be mid-send")
    assert await redis.zcard(keys.QUEUE_LEASES) == CHECKINS

    worker.signal(signal.SIGTERM)
    await worker.wait_log("stopping: finishing what is in hand")
    gate.set()
    code = await worker.wait_exit()
    counts = slack.checkin_counts(people)
    print(f"\nSIGTERM worker: exit {code}, {sum(counts.values())} of {CHECKINS} check-ins sent")
    assert code == 0 and "stopped cleanly" in worker.log()
    assert all(n == 1 for n in counts.values()), counts
    assert not await send_jobs_left(redis) and await redis.zcard(keys.QUEUE_LEASES) == 0


async def test_sigterm_lets_the_web_server_answer_the_command_in_hand(
    redis, redis_server, slack, procs, http, tmp_path
):
    env = bot_env(redis_server.url, slack, tmp_path)
    web = BotProcess("serve", env, tmp_path / "web.log", port=free_port())
    procs.append(web.start())
    await wait_ready(web, http)
    gate = slack.hold("users.info")  # the command is acked; its answer is being worked out
    alice = SlackUser(slack, f"{web.url}/slack/events", "UALICE", http)
    assert (await alice.command("add Sam")).status == 200
    await until(lambda: slack.held == 1, 10, "the command to be in hand")

    web.signal(signal.SIGTERM)
    await web.wait_log("stopping: finishing what is in hand")
    gate.set()
    code = await web.wait_exit()
    print(f"\nSIGTERM web: exit {code}, replies {len(slack.responses)}")
    assert code == 0 and "stopped cleanly" in web.log()
    assert len(slack.responses) == 1 and "Added Sam" in slack.responses[0]["text"]
