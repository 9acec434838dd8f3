"""Stored records that are valid JSON but not valid records: logged, set aside, the rest goes on.

Each kind of record (relationship, check-in, aggregate, practitioner, digest schedule) is
planted with missing fields and with wrongly typed ones; `list`, `history`, `export`, the due
jobs and the digest must all still work for everything else.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.store import keys
from tests.service_helpers import CHANNEL, DM, actor, advance, answers, drain, make_service

CORRUPT = {
    "missing fields": {
        "relationship": {"id": "x", "owner": "u1"},
        "checkin": {"relationship": "x", "number": 1},
        "checkin_v2": {"a": ["x"]},
        "aggregate": {"recent": [{"number": 1}]},
        "practitioner": {"tz": "UTC"},
        "digest": {"channel": "C-team"},
    },
    "wrong types": {
        "relationship": "entries",  # replaced below: the real record with entries as text
        "checkin": "asked",
        "checkin_v2": {"t": "soon", "a": ["x"]},
        "aggregate": {"sent": "3", "weeks": {"2026-W12": {"sent": "1"}}},
        "practitioner": {"tenant": "console:t1", "user": "u1", "tz": 5, "address": []},
        "digest": {"tenant": "console:t1", "channel": "C-team", "weekday": "mon", "at": 9},
    },
}


def _envelope(data: object, version: int = 1) -> str:
    return json.dumps({"v": version, "data": data})


async def _retyped(redis, key: str, field: str) -> str:
    """The record stored at `key` with `field` turned into text."""
    record = json.loads(await redis.get(key))
    record["data"][field] = str(record["data"][field])
    return json.dumps(record)


@pytest.mark.parametrize("kind", sorted(CORRUPT))
async def test_corrupt_records_are_set_aside_and_everything_else_works(redis, clock, caplog, kind):
    bad = CORRUPT[kind]
    rapport, outbox = await make_service(redis, clock)
    me, t = actor("u1"), actor("u1").tenant
    for alias in ("Sam", "Kim", "Lee", "Ann", "Max"):
        await rapport.command(me, f"add {alias}", DM)
        await rapport.command(me, f"log {alias}", DM)
    await drain(rapport)
    for who in ("u2", "u3"):  # enough practitioners for the digest to show figures
        await rapport.command(actor(who), "add Zed", DM)
        await rapport.command(actor(who), "log Zed", DM)
    await rapport.command(me, "digest here", CHANNEL)
    await drain(rapport)
    aliases = ("Sam", "Kim", "Lee", "Ann", "Max")
    rid = {a: (await rapport.ctx.store.find(t, "u1", a.lower())).id for a in aliases}
    sent = [m.form for m in outbox.to("u1", "checkin")]
    forms = {a: next(f for f in sent if f.ref.startswith(rid[a] + ":")) for a in aliases}

    planted = {
        keys.relationship(t, rid["Sam"]): _envelope(bad["relationship"]),
        keys.checkin(t, rid["Lee"], 1): _envelope(bad["checkin"]),
        keys.checkin(t, rid["Ann"], 1): _envelope(bad["checkin_v2"], version=2),
        keys.aggregate(t, rid["Kim"]): _envelope(bad["aggregate"]),
        keys.practitioner(t, "u1"): _envelope(bad["practitioner"]),
        keys.digest(t, "C-team"): _envelope(bad["digest"]),
    }
    if kind == "wrong types":
        key = keys.relationship(t, rid["Sam"])
        planted[key] = await _retyped(redis, key, "entries")
        lee = await rapport.ctx.store.checkin(t, rid["Lee"], 1)  # as a version-1 record
        planted[keys.checkin(t, rid["Lee"], 1)] = _envelope({**lee.to_dict(), "asked": 5})
    for key, raw in planted.items():
        await redis.set(key, raw)

    with caplog.at_level(logging.WARNING):
        listing = await rapport.command(me, "list", DM)
        text = listing.summary + str(listing.blocks)
        assert listing.kind != "error" and all(a in text for a in ("Kim", "Lee", "Ann", "Max"))
        assert "Sam" not in text  # its record is set aside, not shown half-read
        for alias in ("Kim", "Lee", "Ann", "Max"):
            assert (await rapport.command(me, f"history {alias}", DM)).kind != "error"
        assert (await rapport.command(me, "history Sam", DM)).kind == "error"

        # Kim's aggregate is unreadable: an answer starts it afresh instead of failing.
        assert (await rapport.submit(me, forms["Kim"].ref, answers(forms["Kim"], 4))).ok
        assert not (await rapport.submit(me, forms["Lee"].ref, answers(forms["Lee"], 4))).ok

        # The reminders and "missed" jobs of the unreadable records run once and are done.
        await advance(rapport, clock, timedelta(days=4), step=timedelta(hours=6))
        assert await rapport.ctx.queue.poisoned() == {}
        due = await redis.zrangebyscore(keys.QUEUE_DUE, "-inf", clock.now().timestamp())
        assert due == []  # nothing is being retried
        assert len(outbox.to("u1", "reminder")) == 1  # Max's: Sam, Lee, Ann are unreadable
        history = str((await rapport.command(me, "history Max", DM)).blocks)
        assert "(1 missed)" in history

        exported = json.loads((await rapport.command(me, "export", DM)).attachment.content)
        by_alias = {r["alias"]: len(r["checkins"]) for r in exported["relationships"]}
        assert by_alias == {"Kim": 1, "Lee": 0, "Ann": 0, "Max": 1}

        digest = await rapport.command(me, "digest now", CHANNEL)
        assert digest.kind == "digest", digest.summary

    logged = caplog.text
    assert all(key in logged for key in planted), [k for k in planted if k not in logged]
