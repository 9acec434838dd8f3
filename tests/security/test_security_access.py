"""Tenants are sealed and only a relationship's owner sees or changes it; digests aggregate."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.service.api import Actor, Place
from tests.security.security_helpers import CONFIRM, answered, button_value, everything
from tests.service_helpers import DM, make_service

SAME_USER = "U0SAME"  # the same user id in every workspace and tenant
TENANTS = ("slack:T0AAA", "slack:T0BBB", "teams:tenant-c")
TEAM_CHANNEL = Place(channel="C-team", direct=False)


async def _service(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    for platform in ("slack", "teams"):
        rapport.register(platform, outbox)
    return rapport, outbox


def _shows(message) -> str:
    return message.summary + str(message.blocks)


async def test_workspaces_with_the_same_user_ids_never_see_each_others_data(redis, clock):
    rapport, outbox = await _service(redis, clock)
    people = [Actor(t, SAME_USER, "Europe/Berlin") for t in TENANTS]
    refs = {}
    for me in people:
        refs[me.tenant] = await answered(rapport, outbox, me, "Sam", f"secret of {me.tenant}")
    t1, t2, t3 = people

    for me in people:
        exported = json.loads((await rapport.command(me, "export", DM)).attachment.content)
        texts = json.dumps(exported)
        assert exported["tenant"] == me.tenant and len(exported["relationships"]) == 1
        assert f"secret of {me.tenant}" in texts
        assert not any(f"secret of {t}" in texts for t in TENANTS if t != me.tenant)

    # Another tenant's check-in ref, forget token or relationship is not reachable.
    before = await everything(redis)
    assert (await rapport.open_form(t2, refs[t1.tenant])).kind == "error"
    tried = await rapport.submit(t2, refs[t1.tenant], {"x": "1"})
    assert not tried.ok
    confirm = await rapport.command(t1, "forget Sam", DM)
    token = button_value(confirm, CONFIRM)
    wrong = await rapport.button(t3, CONFIRM, token)
    assert "Deleted" not in _shows(wrong)
    after = await everything(redis)
    assert after == before | {k: v for k, v in after.items() if k.endswith(":forget")}

    # Forgetting in one workspace leaves the others whole.
    await rapport.button(t1, CONFIRM, token)
    assert (await rapport.command(t1, "history Sam", DM)).kind == "error"
    for me in (t2, t3):
        assert "1 of 8" in _shows(await rapport.command(me, "history Sam", DM))


async def test_only_the_owner_sees_or_changes_a_relationship(redis, clock):
    rapport, outbox = await _service(redis, clock)
    tenant = TENANTS[0]
    alice, bob = Actor(tenant, "UALICE", "UTC"), Actor(tenant, "UBOB", "UTC")
    ref = await answered(rapport, outbox, alice, "Sam", "alice's private note")
    before = await everything(redis)

    for words in ("history Sam", "pause Sam", "close Sam", "log Sam", "review Sam"):
        reply = await rapport.command(bob, words, DM)
        assert reply.kind == "error" and "private note" not in _shows(reply), words
    shown = await rapport.open_form(bob, ref)
    assert shown.kind == "error" and "someone else" in shown.summary
    assert not (await rapport.submit(bob, ref, {"x": "5"})).ok
    token = button_value(await rapport.command(alice, "forget Sam", DM), CONFIRM)
    assert "Deleted" not in _shows(await rapport.button(bob, CONFIRM, token))
    bob_export = json.loads((await rapport.command(bob, "export", DM)).attachment.content)
    assert bob_export["relationships"] == []
    after = await everything(redis)
    changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
    # Only alice's own pending confirmation and bob's first-seen profile were written.
    assert all(k.endswith(":forget") or ":user:UBOB" in k for k in changed), changed


async def test_a_digest_shows_only_aggregates_from_at_least_three_practitioners(redis, clock):
    rapport, outbox = await _service(redis, clock)
    tenant = TENANTS[0]
    team = [Actor(tenant, f"UP{i}", "UTC") for i in range(3)]
    for i, me in enumerate(team[:2]):
        await answered(rapport, outbox, me, f"Client{i}", f"free text {i}")
    clock.advance(timedelta(days=7))  # a digest covers the week that just ended
    too_little = await rapport.command(team[0], "digest now", TEAM_CHANNEL)
    assert "Too little data" in _shows(too_little)
    clock.advance(timedelta(days=-7))
    await answered(rapport, outbox, team[2], "Client2", "free text 2")
    clock.advance(timedelta(days=7))
    digest = _shows(await rapport.command(team[0], "digest now", TEAM_CHANNEL))
    assert "Too little data" not in digest and "%" in digest
    assert not any(f"Client{i}" in digest or f"free text {i}" in digest for i in range(3))
    assert not any(me.user in digest for me in team)
