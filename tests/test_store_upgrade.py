"""Records written by the version before the timeline are read without loss."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.core import timeline
from bot.core.schedule import plan_of
from bot.store import keys
from bot.store.queue import Job
from tests.service_helpers import DM, actor, advance, make_service

NOW = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # Monday; Sam's sessions are Mondays 10:00

# A relationship as the previous version stored it: counters beside the schedule.
OLD = {
    "id": "0ld0ld0ld0ld",
    "tenant": "console:t1",
    "owner": "u1",
    "alias": "Sam",
    "tz": "Europe/London",
    "created": "2026-02-01T09:00:00+00:00",
    "started": "2026-02-09T10:00:00+00:00",
    "planned_sessions": 8,
    "cadence_days": 7,
    "cadence_monthly": False,
    "first_session": "2026-02-09T10:00:00",
    "length_minutes": 60,
    "status": "active",
    "sessions_held": 5,
    "entries": 5,
    "next_session": 6,
    "reviews_done": ["midway:4"],
    "open_review": None,
    "reviews_offered": ["midway:4"],
}
OLD_AGG = {"sent": 5, "answered": 4, "missed": 1, "recent": [], "drift": None,
           "drifting": False, "drift_group": None, "drift_before": None, "drift_last": None,
           "weeks": {}}  # fmt: skip


async def test_an_old_relationship_keeps_its_counts_numbers_and_schedule(redis, clock):
    clock.set(NOW)
    rapport, outbox = await make_service(redis, clock)
    t, rid = OLD["tenant"], OLD["id"]
    await redis.set(keys.relationship(t, rid), json.dumps({"v": 1, "data": OLD}))
    await redis.set(keys.aggregate(t, rid), json.dumps({"v": 1, "data": OLD_AGG}))
    await redis.hset(keys.owner_aliases(t, "u1"), "sam", rid)
    await redis.sadd(keys.practitioners(t), "u1")
    # the old version's job for session 6 (today 10:00 + 10 minutes), as it queued it
    due = datetime(2026, 3, 16, 11, 10, tzinfo=UTC).timestamp()
    job = Job(f"session:{t}:{rid}:6", "session", t, due, {"rid": rid, "n": 6, "owner": "u1"})
    await rapport.ctx.queue.put(job)

    history = str((await rapport.command(actor(), "history Sam", DM)).blocks)
    assert "5 of 8" in history and "Mon 16 Mar 2026, 10:00" in history
    assert "4 of 5 (1 missed)" in history and "midway" in history
    await advance(rapport, clock, timedelta(hours=4))
    (prompt,) = outbox.to("u1", "checkin")
    assert "Session 6 with Sam just ended" in prompt.summary
    rel = await rapport.ctx.store.relationship(t, rid)
    assert rel.sessions_held == 6 and rel.timeline.earlier == 5
    assert [(o.slot, o.checkin) for o in rel.timeline.done] == [(6, 6)]
    nxt = timeline.next_planned(rel.timeline, plan_of(rel))
    assert nxt.number == 7 and nxt.slot == 7
    # written back in the new form; nothing of the old one is left to misread
    stored = json.loads(await redis.get(keys.relationship(t, rid)))["data"]
    assert "sessions_held" not in stored and stored["timeline"]["earlier"] == 5


async def test_an_old_paused_relationship_resumes(redis, clock):
    clock.set(NOW)
    rapport, outbox = await make_service(redis, clock)
    t, rid = OLD["tenant"], OLD["id"]
    paused = {**OLD, "status": "paused"}
    await redis.set(keys.relationship(t, rid), json.dumps({"v": 1, "data": paused}))
    await redis.hset(keys.owner_aliases(t, "u1"), "sam", rid)
    reply = await rapport.command(actor(), "resume Sam", DM)
    assert "Sam is active again" in reply.summary and "Mon 16 Mar 2026, 10:00" in reply.summary
