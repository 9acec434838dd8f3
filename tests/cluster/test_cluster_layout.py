"""What makes the cluster run work: one slot per tenant, tenants and queue on different nodes."""

from __future__ import annotations

from redis.crc import key_slot

from bot.store import keys
from tests.service_helpers import DM, actor, answers, drain, make_service


async def test_a_tenants_keys_share_one_slot_and_the_queue_has_its_own(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    for tenant in ("console:t1", "console:t3"):
        me = actor("u1", tenant=tenant)
        await rapport.command(me, "add Sam sessions=4 every=weekly start=2026-01-05 10:00", DM)
        await rapport.command(me, "log Sam", DM)
        await drain(rapport)
        form = outbox.to("u1", "checkin")[-1].form
        assert (await rapport.submit(me, form.ref, answers(form, 4))).ok
    slots: dict[str, set[int]] = {}
    for key in await redis.keys("*"):
        slots.setdefault(keys.tenant_of(key), set()).add(key_slot(key.encode()))
    assert set(slots) == {"console:t1", "console:t3", "queue"}
    assert all(len(s) == 1 for s in slots.values()), slots
    nodes = {redis.get_node_from_key(f"{{{t}}}").name for t in ("console:t1", "queue")}
    assert len(nodes) == 2  # the scenario crossed nodes: tenant data and the queue apart
