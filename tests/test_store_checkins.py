"""Check-in records: the compact version 2, and version-1 data written before it still works."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.messages import Action, Actions
from bot.core.models import ANSWERED, MISSED, PENDING, CheckIn
from bot.store import keys
from bot.store.crypto import TextCipher
from bot.store.records import dump
from bot.store.repository import Store
from tests.service_helpers import DM, KEY, actor, answers, drain, make_service

CONTRASTS = ("feeling_seen", "trust_as_partner", "shared_solutions", "roles")
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
gaps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))


@st.composite
def checkins(draw) -> CheckIn:
    asked = tuple(draw(st.lists(st.sampled_from(CONTRASTS), unique=True, max_size=4)))
    at = draw(instants)
    rated = draw(st.lists(st.sampled_from(asked), unique=True)) if asked else []
    groups = draw(st.dictionaries(st.sampled_from(("power", "roles")), st.floats(0, 1)))
    return CheckIn(
        relationship="r1",
        number=draw(st.integers(1, 10_000)),
        kind=draw(st.sampled_from(("session", "midway", "annual", "early"))),
        session=draw(st.integers(0, 10_000)),
        session_at=at,
        created=at + draw(gaps),
        asked=asked,
        status=draw(st.sampled_from((PENDING, ANSWERED, MISSED))),
        reminders=draw(st.integers(0, 3)),
        answered_at=draw(st.none() | gaps.map(lambda g: at + g)),
        edited_at=draw(st.none() | gaps.map(lambda g: at + g)),
        ratings={cid: draw(st.integers(1, 5)) for cid in rated},
        process=draw(st.dictionaries(st.just("helpful"), st.integers(1, 5))),
        texts=draw(st.dictionaries(st.sampled_from(("takeaway", "benefit")), st.text())),
        scores=draw(st.none() | st.just({"groups": groups, "overall": 0.5})),
        message_ref=draw(st.none() | st.text(max_size=20)),
    )


@given(checkins())
def test_a_compact_record_reads_back_as_the_same_checkin(checkin):
    back = CheckIn.from_compact(checkin.to_compact(), checkin.relationship, checkin.number)
    assert back == checkin


async def _answered(rapport, outbox, me, alias: str, note: str) -> CheckIn:
    await rapport.command(me, f"add {alias}", DM)
    await rapport.command(me, f"log {alias}", DM)
    await drain(rapport)
    form = outbox.to(me.user, "checkin")[-1].form
    assert (await rapport.submit(me, form.ref, answers(form, 4, takeaway=note))).ok
    rid, number = form.ref.split(":")
    return await rapport.ctx.store.checkin(me.tenant, rid, int(number))


async def test_new_checkins_are_compact_and_half_the_size_of_version_1(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    checkin = await _answered(rapport, outbox, me, "Sam", "a note")
    raw = await redis.get(keys.checkin(me.tenant, checkin.relationship, checkin.number))
    record = json.loads(raw)
    assert record["v"] == 2 and "fernet:" in record["data"]["texts"]["takeaway"]
    version_1 = dump(rapport.ctx.store._seal(checkin))
    print(f"\ncheck-in record: version 1 {len(version_1)} bytes, version 2 {len(raw)} bytes")
    assert len(raw) < len(version_1) * 0.6
    assert not await redis.exists(keys.checkin_index(me.tenant, checkin.relationship))


async def test_version_1_checkins_still_work_everywhere(redis, clock):
    """Data written before version 2: its records and its `checkins` index are read,
    answered, exported, kept or pruned by retention, and deleted by forget."""
    rapport, outbox = await make_service(redis, clock, retention_days=30)
    me, t = actor(), actor().tenant
    store: Store = rapport.ctx.store
    old = await _answered(rapport, outbox, me, "Sam", "old words")
    rid = old.relationship
    # Rewrite it as the old code did: a version-1 record plus its index entry, and add a
    # second, still pending version-1 check-in.
    pending = CheckIn(rid, 2, "session", 2, clock.now(), clock.now(), old.asked)
    for checkin in (old, pending):
        await redis.set(keys.checkin(t, rid, checkin.number), dump(store._seal(checkin)))
        score = checkin.session_at.timestamp()
        await redis.zadd(keys.checkin_index(t, rid), {str(checkin.number): score})
    await store.update(t, rid, lambda r: replace(r, entries=2))

    assert await store.checkin(t, rid, 1) == old
    form = await rapport.open_form(me, f"{rid}:2")
    assert (await rapport.submit(me, form.ref, answers(form, 5, takeaway="new words"))).ok
    answered = json.loads(await redis.get(keys.checkin(t, rid, 2)))
    assert answered["v"] == 2  # rewritten compact on its next change
    exported = json.loads((await rapport.command(me, "export", DM)).attachment.content)
    texts = [c["texts"]["takeaway"] for c in exported["relationships"][0]["checkins"]]
    assert texts == ["old words", "new words"]

    clock.advance(timedelta(days=31))
    await store.save_checkin(t, CheckIn(rid, 3, "session", 3, clock.now(), clock.now(), ()))
    await store.update(t, rid, lambda r: replace(r, entries=3))
    assert await rapport.apply_retention() == 2  # one version 1, one version 2
    assert [c.number for c in await store.checkins(t, rid)] == [3]
    assert await redis.zcard(keys.checkin_index(t, rid)) == 0

    await redis.set(keys.checkin(t, rid, 1), dump(store._seal(old)))  # an old one, again
    await redis.zadd(keys.checkin_index(t, rid), {"1": old.session_at.timestamp()})
    ask = await rapport.command(me, "forget Sam", DM)
    token = next(b for b in ask.blocks if isinstance(b, Actions)).buttons[0].value
    await rapport.button(me, Action.CONFIRM_FORGET, token)
    assert [k for k in await redis.keys("*") if rid in k] == []


def test_the_compact_record_keeps_free_text_sealed():
    sealer = TextCipher(KEY)
    store = Store.__new__(Store)
    store.sealer = sealer
    at = datetime(2026, 3, 16, 10, tzinfo=UTC)
    checkin = CheckIn("r1", 1, "session", 1, at, at, ("roles",), texts={"takeaway": "secret"})
    raw = store.encode_checkin(checkin)
    assert "secret" not in raw and json.loads(raw)["data"]["texts"]["takeaway"].startswith(
        "fernet:"
    )
