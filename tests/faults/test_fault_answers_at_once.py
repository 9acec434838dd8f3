"""Two web processes (each its own connection pool) submitting at the same moment: no answer,
count or drift step is lost or applied twice."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.clock import ManualClock
from tests.faults.placed import DM, START, me, own_redis, services
from tests.faults.procs import TENANT
from tests.service_helpers import answers

pytestmark = pytest.mark.slow


async def _forms(web, worker, slack, n: int):
    for _ in range(n):
        await web.command(me(), "log Sam", DM)
    assert await worker.run_due() == n
    refs = [m.blocks[-1]["elements"][0]["value"] for m in slack.checkins_to("UALICE")]
    return [await web.open_form(me(), ref) for ref in refs]


async def test_two_checkins_answered_at_once_on_two_processes_are_both_counted(slack, tmp_path):
    clock = ManualClock(START)
    async with (
        own_redis(tmp_path) as (server, _faults),
        services(server.url, slack, clock, tmp_path, 2) as ((one, _), (two, _)),
    ):
        await one.command(me(), "add Sam", DM)
        rid = (await one.ctx.store.find(TENANT, "UALICE", "sam")).id
        first, second = await _forms(one, two, slack, 2)

        results = await asyncio.gather(
            one.submit(me(), first.ref, answers(first, 4)),
            two.submit(me(), second.ref, answers(second, 2)),
        )
        assert all(r.ok for r in results)

        stored = await one.ctx.store.checkins(TENANT, rid)
        assert [c.status for c in stored] == ["answered", "answered"]
        agg = await one.ctx.store.aggregate(TENANT, rid)
        assert agg.answered == 2
        assert sorted(s.number for s in agg.recent) == [1, 2]
        assert sum(row.get("answered", 0) for row in agg.weeks.values()) == 2
        assert agg.sent == 2


async def test_one_form_submitted_twice_at_once_steps_drift_once(slack, tmp_path):
    clock = ManualClock(START)
    async with (
        own_redis(tmp_path) as (server, _faults),
        services(server.url, slack, clock, tmp_path, 2) as ((one, _), (two, _)),
    ):
        await one.command(me(), "add Sam", DM)
        rid = (await one.ctx.store.find(TENANT, "UALICE", "sam")).id
        for _ in range(4):  # steady at the top
            (form,) = (await _forms(one, two, slack, 1))[-1:]
            assert not (await one.submit(me(), form.ref, answers(form, 5))).followups
        (form,) = (await _forms(one, two, slack, 1))[-1:]

        # A sudden drop, sent twice at once (a double click reaching two processes).
        results = await asyncio.gather(
            one.submit(me(), form.ref, answers(form, 1)),
            two.submit(me(), form.ref, answers(form, 1)),
        )
        assert all(r.ok for r in results)

        nudges = [m for r in results for m in r.followups if m.kind == "drift"]
        assert len(nudges) == 1  # drift stepped once: one nudge
        agg = await one.ctx.store.aggregate(TENANT, rid)
        assert agg.answered == 5
        stored = await one.ctx.store.checkin(TENANT, rid, 5)
        assert stored.edited_at is not None  # the later one is an edit of the earlier
