"""`export` of a large relationship: one valid JSON file, and other requests keep being
answered while it is built."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

from bot.core.models import ANSWERED, CheckIn
from bot.store import keys
from tests.service_helpers import DM, TENANT, actor, make_service

COUNT = 3_000


async def _seed(rapport, count: int) -> None:
    me = actor()
    await rapport.command(me, "add Sam", DM)
    store = rapport.ctx.store
    rel = await store.find(TENANT, "u1", "sam")
    start = rapport.clock.now() - timedelta(days=count)
    async with store.redis.pipeline(transaction=False) as pipe:
        for n in range(1, count + 1):
            # stored newest first by number, to show the file is in session order
            at = start + timedelta(days=count - n)
            entry = CheckIn(rel.id, n, "session", n, at, at, ("c1",), status=ANSWERED)
            entry = replace(entry, texts={"takeaway": f"note {n} <&> ✓"})
            pipe.set(keys.checkin(TENANT, rel.id, n), store.encode_checkin(entry))
        await pipe.execute()
    await store.update(TENANT, rel.id, lambda r: replace(r, entries=count))


async def test_a_large_export_is_one_file_and_the_loop_keeps_serving(redis, clock):
    rapport, _ = await make_service(redis, clock)
    await _seed(rapport, COUNT)
    turns = 0
    done = asyncio.Event()

    async def other_requests() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_requests())
    await asyncio.sleep(0)
    before = turns
    reply = await rapport.command(actor(), "export", DM)
    done.set()
    await other
    # thousands of check-ins are decoded and opened in slices, handing the loop back
    assert turns - before > 10

    data = json.loads(reply.attachment.content)
    (sam,) = data["relationships"]
    checkins = sam["checkins"]
    assert len(checkins) == COUNT and sam["alias"] == "Sam"
    assert [c["number"] for c in checkins[:3]] == [COUNT, COUNT - 1, COUNT - 2]  # by session
    assert checkins[-1]["texts"]["takeaway"] == "note 1 <&> ✓"  # opened for its owner
    assert data["user"] == "u1" and data["tenant"] == TENANT
