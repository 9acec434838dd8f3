"""A poisoned queue entry and corrupt stored records: logged, set aside, the rest goes on."""

from __future__ import annotations

import json

import pytest

from bot.service.api import Actor
from bot.store import keys
from tests.faults.procs import (
    DM,
    TENANT,
    BotProcess,
    bot_env,
    log_sessions,
    planner,
    until,
    users,
)

pytestmark = pytest.mark.slow

GOOD = 6
POISON = {
    "bad:not-json": "{not json",
    "bad:not-a-job": json.dumps({"v": 1, "id": "bad:not-a-job"}),
    "bad:old-version": json.dumps({"v": 0, "id": "x", "kind": "send", "tenant": "t"}),
    "bad:binary": "\udcff\x00\x01",
}


async def test_poison_and_corrupt_records_are_set_aside_and_the_rest_is_sent(
    redis, redis_server, slack, procs, tmp_path
):
    rapport = await planner(redis)
    good = users(GOOD)
    await log_sessions(rapport, good)
    await log_sessions(rapport, ["UCORRUPT"], alias="Kim")
    await log_sessions(rapport, ["UCHECKIN"], alias="Lee")
    kim = await rapport.ctx.store.find(TENANT, "UCORRUPT", "kim")
    lee = await rapport.ctx.store.find(TENANT, "UCHECKIN", "lee")
    await redis.set(keys.relationship(TENANT, kim.id), '{"v": 1, "data": ')  # truncated
    await redis.set(keys.checkin(TENANT, lee.id, 1), "\x00garbage")
    now = rapport.clock.now().timestamp()
    for job_id, raw in POISON.items():
        await redis.hset(keys.QUEUE_JOBS, job_id, raw.encode("utf-8", "surrogateescape"))
        await redis.zadd(keys.QUEUE_DUE, {job_id: now - 1})  # first in line

    worker = BotProcess("worker", bot_env(redis_server.url, slack, tmp_path), tmp_path / "w.log")
    procs.append(worker.start())
    await until(lambda: sum(slack.checkin_counts(good).values()) >= GOOD, 20, "the good DMs")
    await until(lambda: worker.log().count("moved to poison") >= len(POISON), 10, "poison logs")
    await slack.settle()

    poisoned = await redis.hkeys(keys.QUEUE_POISON)
    log = worker.log()
    counts = slack.checkin_counts(good)
    print(
        f"\npoison: {len(poisoned)} queue entries set aside, 2 corrupt records skipped; "
        f"{sum(counts.values())} of {GOOD} good check-ins sent, "
        f"{sum(n - 1 for n in counts.values() if n > 1)} duplicates"
    )
    assert sorted(poisoned) == sorted(POISON)
    assert all(n == 1 for n in counts.values()), counts
    assert slack.dm("UCORRUPT") == [] and slack.dm("UCHECKIN") == []
    assert keys.relationship(TENANT, kim.id) in log and keys.checkin(TENANT, lee.id, 1) in log
    assert worker.alive()

    # The practitioners with a corrupt record can still use everything else.
    me = Actor(TENANT, "UCORRUPT", "Europe/Berlin")
    await rapport.command(me, "add Max", DM)
    listing = await rapport.command(me, "list", DM)
    assert "Max" in listing.summary + str(listing.blocks) and listing.kind != "error"
    assert (await rapport.command(me, "history Kim", DM)).kind == "error"
    assert (await rapport.command(me, "export", DM)).attachment is not None
    other = Actor(TENANT, "UCHECKIN", "Europe/Berlin")
    history = await rapport.command(other, "history Lee", DM)
    assert history.kind != "error" and "Lee" in history.summary + str(history.blocks)
    exported = await rapport.command(other, "export", DM)
    assert json.loads(exported.attachment.content)["relationships"][0]["checkins"] == []
