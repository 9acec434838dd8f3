"""`forget` is final: after "Deleted ... for good" nothing about that relationship is sent,
written or queued, whatever a worker was doing at that moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import ManualClock
from bot.core.messages import Action, Actions
from bot.service import due
from bot.store import keys
from bot.store.queue import Job
from bot.store.repository import Tx
from tests.faults.placed import DM, START, me, naming, own_redis, services
from tests.faults.procs import TENANT, until
from tests.service_helpers import actor, make_service

pytestmark = pytest.mark.slow


async def _forget(rapport, alias: str = "Sam") -> str:
    ask = await rapport.command(me(), f"forget {alias}", DM)
    token = next(b for b in ask.blocks if isinstance(b, Actions)).buttons[0].value
    return (await rapport.button(me(), Action.CONFIRM_FORGET, token)).summary


async def test_forget_pressed_while_its_checkin_is_being_sent_leaves_nothing(slack, tmp_path):
    clock = ManualClock(START)
    async with (
        own_redis(tmp_path) as (server, _faults),
        services(server.url, slack, clock, tmp_path, 2) as ((worker, _), (web, client)),
    ):
        await web.command(me(), "add Sam every=weekly start=2026-03-24 08:00", DM)
        await web.command(me(), "add Kim", DM)
        rid = (await web.ctx.store.find(TENANT, "UALICE", "sam")).id
        await web.command(me(), "log Sam", DM)

        gate = slack.hold("chat.postMessage")
        run = asyncio.create_task(worker.run_due())
        await until(lambda: slack.held == 1, 10, "the check-in DM to be posted and held")
        assert "Deleted Sam" in await _forget(web)
        gate.set()
        await run
        for _ in range(3):  # whatever the worker queued would be due by now
            clock.advance(timedelta(days=8))
            await worker.run_due()

        assert len(slack.checkins_to("UALICE")) == 1  # the one Slack had taken already
        assert await naming(client, rid) == []
        assert "Kim" in (await web.command(me(), "list", DM)).summary


async def test_forget_between_a_workers_prefetch_and_its_hold_is_not_an_error(slack, tmp_path):
    clock = ManualClock(START)
    async with (
        own_redis(tmp_path) as (server, _faults),
        services(server.url, slack, clock, tmp_path, 2) as ((worker, _), (web, client)),
    ):
        await web.command(me(), "add Sam every=weekly start=2026-03-24 12:00", DM)
        rid = (await web.ctx.store.find(TENANT, "UALICE", "sam")).id
        job_id = next(j for j in await client.hkeys(keys.QUEUE_JOBS) if j.startswith("session:"))
        job = Job.from_json(await client.hget(keys.QUEUE_JOBS, job_id))

        ctx = worker.ctx
        with ctx.store.scope():  # the worker has read the relationship (due.handle) ...
            await ctx.store.prefetch(TENANT, rid, None, "UALICE")
            rel = await ctx.store.relationship(TENANT, rid)
            assert "Deleted Sam" in await _forget(web)  # ... when another process forgets it
            with ctx.queue.deferring() as follow_ups:
                await due.HANDLERS["session"](ctx, rel, job)
        await ctx.queue.put_all(follow_ups)

        assert slack.checkins_to("UALICE") == []
        assert await naming(client, rid) == []
        assert datetime.now(UTC)  # the handler returned: no ValueError


async def test_a_forget_interrupted_after_its_first_write_is_finished_at_night(redis, clock):
    rapport, _outbox = await make_service(redis, clock)
    who = actor()
    await rapport.command(who, "add Sam", DM)
    for _ in range(3):
        await rapport.command(who, "log Sam", DM)
    await rapport.run_due()
    rel = await rapport.ctx.store.find(who.tenant, who.user, "sam")
    # What a web process stopped right after forget's first write leaves behind: the record
    # and alias gone, the relationship noted as being forgotten, its check-ins still there.
    first = Tx().do("DEL", keys.relationship(rel.tenant, rel.id))
    first.do("HDEL", keys.owner_aliases(rel.tenant, rel.owner), "sam")
    await rapport.ctx.store.commit(first.do("HSET", keys.forgetting(rel.tenant), rel.id, "3"))
    assert await naming(redis, rel.id) != []

    await rapport.apply_retention()  # the nightly housekeeping

    assert await naming(redis, rel.id) == []
