"""What is stored, and what is not: forget, retention, encryption at rest, secrets, no key."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from bot.__main__ import _check
from bot.config import Settings, from_env
from bot.core.messages import TextQuestion
from bot.service.api import Actor
from bot.service.app import build
from bot.store.crypto import TextCipher
from tests.security.security_helpers import CONFIRM, answered, button_value, everything
from tests.service_helpers import DM, KEY, Outbox, actor, drain, make_service

NOTE = "Client spoke about her divorce"


async def test_forget_removes_every_key_of_the_relationship(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    await answered(rapport, outbox, me, "Sam", NOTE)
    await answered(rapport, outbox, me, "Kim", "kept")
    for _ in range(3):  # more sessions, a review, reminders and missed marks queued
        await rapport.command(me, "log Sam", DM)
        await drain(rapport)
    sam = await rapport.ctx.store.find(me.tenant, me.user, "sam")
    naming = [k for k, v in (await everything(redis)).items() if sam.id in k + v]
    assert len(naming) > 5

    ask = await rapport.command(me, "forget Sam", DM)
    assert "Sam" in ask.summary and (await rapport.command(me, "history Sam", DM)).kind != "error"
    done = await rapport.button(me, CONFIRM, button_value(ask, CONFIRM))
    assert "Sam" in done.summary

    left = {k: v for k, v in (await everything(redis)).items() if sam.id in k + v}
    text_left = [k for k, v in (await everything(redis)).items() if NOTE in v]
    print(f"\nforget: {len(naming)} keys named Sam's relationship before, {len(left)} after")
    assert left == {} and text_left == []
    assert "Kim" in str((await rapport.command(me, "list", DM)).blocks)


async def test_export_is_the_callers_own_data_as_a_json_file(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    me, other = actor("UME"), actor("UOTHER")
    await answered(rapport, outbox, me, "Sam", NOTE)
    await answered(rapport, outbox, other, "Sam", "not mine")
    reply = await rapport.command(me, "export", DM)
    assert reply.attachment.filename.endswith(".json")
    data = json.loads(reply.attachment.content)
    assert data["user"] == "UME" and [r["alias"] for r in data["relationships"]] == ["Sam"]
    checkin = data["relationships"][0]["checkins"][0]
    assert (
        checkin["texts"]["takeaway"] == NOTE and "not mine" not in reply.attachment.content.decode()
    )


async def test_retention_removes_checkins_older_than_the_setting(redis, clock):
    rapport, outbox = await make_service(redis, clock, retention_days=30)
    me = actor()
    await answered(rapport, outbox, me, "Sam", "old answer")
    clock.advance(timedelta(days=25))
    await answered(rapport, outbox, me, "Kim", "recent answer")
    clock.advance(timedelta(days=10))  # Sam's check-in is 35 days old, Kim's 10
    removed = await rapport.apply_retention()
    values = str(await everything(redis))
    assert removed == 1
    exported = json.loads((await rapport.command(me, "export", DM)).attachment.content)
    kept = {r["alias"]: len(r["checkins"]) for r in exported["relationships"]}
    assert kept == {"Sam": 0, "Kim": 1}
    assert "old answer" not in values
    assert from_env({"RAPPORT_RETENTION_DAYS": "30"}).retention_days == 30


async def test_free_text_is_encrypted_at_rest(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await answered(rapport, outbox, actor(), "Sam", NOTE)
    stored = await everything(redis)
    assert not any(NOTE in v for v in stored.values())
    assert any("fernet:" in v for v in stored.values())
    # A rotated key list (new key first) still reads what the old key wrote.
    rotated = TextCipher(f"{'A' * 43}=,{KEY}")
    sealed = next(v for v in stored.values() if "fernet:" in v)
    token = json.loads(sealed)["data"]["texts"]["takeaway"]
    assert rotated.open(token) == NOTE


def test_secrets_are_never_shown_in_a_repr_or_the_start_up_log(caplog):
    secrets_ = {
        "SLACK_BOT_TOKEN": "xoxb-very-secret",
        "SLACK_SIGNING_SECRET": "signing-very-secret",
        "SLACK_APP_TOKEN": "xapp-very-secret",
        "TEAMS_APP_PASSWORD": "teams-very-secret",
        "RAPPORT_ENCRYPTION_KEY": KEY,
    }
    settings = from_env({**secrets_, "TEAMS_APP_ID": "app"})
    shown = repr(settings) + str(settings) + repr(TextCipher(KEY))
    with caplog.at_level(logging.DEBUG):
        _check(settings)
    assert not any(s in shown + caplog.text for s in secrets_.values())


async def test_without_a_key_free_text_is_refused_unless_plaintext_is_allowed(redis, clock, caplog):
    with caplog.at_level(logging.WARNING):
        _check(Settings())
    assert "RAPPORT_ENCRYPTION_KEY is not set" in caplog.text
    rapport = await build(Settings(), clock, redis)  # `make run` without a key
    outbox = Outbox(clock)
    rapport.register("console", outbox)
    me = Actor("console:t1", "u1", "UTC")
    await rapport.command(me, "add Sam", DM)
    await rapport.command(me, "log Sam", DM)
    await drain(rapport)
    form = outbox.sent[-1][1].form
    assert not any(isinstance(q, TextQuestion) for q in form.questions)  # not even asked
    values = {q.id: "4" for q in form.questions} | {"takeaway": NOTE}
    result = await rapport.submit(me, form.ref, values)
    assert result.ok and NOTE not in str(await everything(redis))

    await redis.flushall()  # RAPPORT_ALLOW_PLAINTEXT=1: stored, and marked as plain
    rapport = await build(Settings(allow_plaintext=True), clock, redis)
    rapport.register("console", outbox)
    await answered(rapport, outbox, me, "Sam", NOTE)
    assert f"plain:{NOTE}" in str(await everything(redis))
