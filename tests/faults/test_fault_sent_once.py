"""Once Slack accepted a DM, no storage fault after it makes it go out again, and the
bookkeeping it was owed (message reference, counts, reminder and 'missed') is finished.

The fake Slack holds its answer to chat.postMessage (it has posted the message already), the
test places the fault, then lets the answer go: the bot's very next Redis command meets it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import ManualClock
from bot.store import keys
from tests.faults.placed import DM, START, me, own_redis, services
from tests.faults.procs import TENANT, until

pytestmark = pytest.mark.slow


async def _held_send(slack, faults_on, rapport):
    """Run the due jobs with chat.postMessage held; place the fault while it is held."""
    gate = slack.hold("chat.postMessage")
    run = asyncio.create_task(rapport.run_due())
    await until(lambda: slack.held == 1, 10, "the DM to be posted and held")
    await faults_on()
    gate.set()
    return run


async def _finish(run: asyncio.Task) -> None:
    with contextlib.suppress(Exception):  # a worker's poll that failed: its loop polls again
        await run


async def test_a_reminder_accepted_before_a_network_blip_is_sent_once(slack, tmp_path):
    clock = ManualClock(START)
    async with (
        own_redis(tmp_path) as (server, faults),
        services(server.url, slack, clock, tmp_path, 1) as ((rapport, client),),
    ):
        await rapport.command(me(), "add Sam", DM)
        await rapport.command(me(), "log Sam", DM)
        assert await rapport.run_due() == 1  # the check-in DM
        rid = (await rapport.ctx.store.find(TENANT, "UALICE", "sam")).id
        remind = f"remind:{TENANT}:{rid}:1"
        clock.set(_after(await client.zscore(keys.QUEUE_DUE, remind)))
        posted = len(slack.dm("UALICE"))

        # Slack has posted the reminder; the network drops before the bot hears back, for
        # longer than redis-py's own retries, and comes back.
        rejected = await faults.rejected()
        run = await _held_send(slack, faults.blip, rapport)
        await until(faults.rejected, 10, "a connection to be refused", every=0.005)
        await until(
            lambda: _more(faults.rejected, rejected + 3), 10, "the write to fail", every=0.005
        )
        await faults.unblip()
        await _finish(run)
        slack.release_all()
        for _ in range(8):  # every retry the queue would make, an hour apart at most
            clock.advance(timedelta(minutes=61))
            await _finish(asyncio.ensure_future(rapport.run_due()))

        reminders = slack.dm("UALICE")[posted:]
        assert len(reminders) == 1, [m.text for m in reminders]
        checkin = await rapport.ctx.store.checkin(TENANT, rid, 1)
        assert checkin.reminders == 1


def _after(due: float) -> datetime:
    return datetime.fromtimestamp(due + 1, UTC)


async def _more(stat, than: int) -> bool:
    return await stat() >= than


async def test_a_session_checkin_accepted_before_redis_fills_up_keeps_its_followups(
    slack, tmp_path
):
    clock = ManualClock(START)
    async with (
        own_redis(tmp_path) as (server, faults),
        services(server.url, slack, clock, tmp_path, 1) as ((rapport, client),),
    ):
        await rapport.command(me(), "add Sam every=weekly start=2026-03-24 10:30", DM)
        rid = (await rapport.ctx.store.find(TENANT, "UALICE", "sam")).id
        session = f"session:{TENANT}:{rid}:1"
        due = await client.zscore(keys.QUEUE_DUE, session)
        clock.set(_after(due))

        errors = await faults.errors()
        run = await _held_send(slack, faults.full, rapport)
        refused = "a write to be refused with OOM"
        await until(lambda: _more(faults.errors, errors + 1), 10, refused, every=0.005)
        await faults.unfull()
        await _finish(run)
        for _ in range(8):
            clock.advance(timedelta(seconds=90))
            await _finish(asyncio.ensure_future(rapport.run_due()))

        checkins = slack.checkins_to("UALICE")
        assert len(checkins) == 1
        stored = await rapport.ctx.store.checkin(TENANT, rid, 1)
        assert stored.message_ref == f"{checkins[0].channel}:{checkins[0].ts}"
        jobs = await client.hkeys(keys.QUEUE_JOBS)
        assert f"remind:{TENANT}:{rid}:1" in jobs and f"missed:{TENANT}:{rid}:1" in jobs
        assert (await rapport.ctx.store.aggregate(TENANT, rid)).sent == 1
