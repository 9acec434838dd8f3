"""`Store.team`: a whole team's relationships and aggregates in a constant number of reads."""

from __future__ import annotations

from bot.store import keys
from tests.service_helpers import CHANNEL, DM, actor, answers, drain, make_service


async def _commands(redis) -> dict[str, int]:
    info = await redis.info("commandstats")
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}


async def test_team_reads_what_each_practitioner_reads_in_a_few_round_trips(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    store = rapport.ctx.store
    people = [f"u{i:02d}" for i in range(25)]
    for n, user in enumerate(people):
        for alias in ("Sam", "Kim")[: 1 + n % 2]:
            await rapport.command(actor(user), f"add {alias}", DM)
            await rapport.command(actor(user), f"log {alias}", DM)
    await drain(rapport)
    for user in people[2:7]:
        form = outbox.to(user, "checkin")[0].form
        assert (await rapport.submit(actor(user), form.ref, answers(form, 4))).ok
    tenant = actor().tenant
    broken = await store.find(tenant, "u01", "kim")
    await redis.set(keys.relationship(tenant, broken.id), '{"v":1,"data":{"id":1}}')

    await redis.config_resetstat()
    team = await store.team(tenant)
    calls = await _commands(redis)
    calls.pop("config|resetstat", None)
    calls.pop("config", None)
    assert calls == {"smembers": 1, "hvals": 25, "mget": 1}  # 3 round trips

    expected = []
    for user in await store.practitioners(tenant):
        rels = await store.relationships_of(tenant, user)
        expected.append((user, rels, await store.aggregates(tenant, [r.id for r in rels])))
    assert team == expected
    assert [len(rels) for user, rels, _ in team if user == "u01"] == [1]  # Kim set aside
    assert sum(a.answered for _, _, aggs in team for a in aggs) == 5

    digest = await rapport.command(actor(), "digest now", CHANNEL)
    assert digest.kind == "digest"
