"""Every Adaptive Card the bot sends is valid by Microsoft's published schema for the
version it declares (Teams' own `msteams` property set aside, as the schema has no room
for it). The schemas are Microsoft's files, unchanged, in tests/schemas/."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema

from bot.channels.teams import cards
from bot.core.messages import Form, Message, TextQuestion
from tests.service_helpers import CHANNEL, DM, actor, advance, answers, make_service

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def validator(version: str) -> jsonschema.Draft6Validator:
    schema = json.loads((SCHEMAS / f"adaptive-card-{version}.0.json").read_text())
    return jsonschema.Draft6Validator(schema)


def problems(card: dict) -> list[str]:
    card = {k: v for k, v in card.items() if k != "msteams"}
    return [
        f"{list(e.path)}: {e.message[:200]}" for e in validator(card["version"]).iter_errors(card)
    ]


async def _messages(redis, clock) -> list[Message]:
    """A few weeks of one practitioner's life, and every kind of reply along the way."""
    rapport, outbox = await make_service(redis, clock)
    me = actor()
    said: list[Message] = []
    for words in (
        "help",
        "add Sam sessions=8 every=weekly start=2026-01-06 10:00 length=60",
        "add Kim sessions=open",
        "log Kim",
        "hours",
        "add",  # an error, with the right form
    ):
        said.append(await rapport.command(me, words, DM))
    await advance(rapport, clock, timedelta(days=3))
    for _to, message in list(outbox.sent):
        if message.form is not None:
            done = await rapport.submit(
                me, message.form.ref, answers(message.form, 2, takeaway="A <b>plan</b>")
            )
            said.append(done.update)
            said.extend(done.followups)
    await advance(rapport, clock, timedelta(days=21))
    for words in ("list", "history Sam", "review Kim", "forget Kim", "export"):
        said.append(await rapport.command(me, words, DM))
    said.append(await rapport.command(me, "digest now", CHANNEL))
    said.extend(m for _to, m in outbox.sent)
    said.append(await rapport.home(me))
    review = next(m.form for m in said if m.form is not None and "eview" in m.form.title)
    long = {q.id: "word " * 600 for q in review.questions if isinstance(q, TextQuestion)}
    assert (await rapport.submit(me, review.ref, answers(review, 3, **long))).ok
    edit = await rapport.open_form(me, review.ref)
    assert isinstance(edit, Form)
    said.append(Message(summary=edit.title, kind="checkin", form=edit))
    return [m for m in said if m is not None]


async def test_every_card_is_valid_by_the_adaptive_card_schema(redis, clock) -> None:
    messages = await _messages(redis, clock)
    kinds = {m.kind for m in messages}
    assert {"checkin", "review", "confirm", "error"} <= kinds, kinds
    checked = 0
    for message in messages:
        card = cards.card(message)
        assert card["version"] == cards.CARD_VERSION
        assert problems(card) == [], (message.kind, message.summary)
        checked += 1
    shortened = cards.card(messages[-1])
    assert cards.KEEP in json.dumps(shortened)  # the shortened edit form is checked too
    assert checked >= 15


def test_the_schema_refuses_what_teams_would_refuse() -> None:
    card = cards.card(Message(summary="Hello"))
    assert problems(card) == []
    bad = json.loads(json.dumps(card))
    bad["body"].append(
        {"type": "ActionSet", "actions": [{"type": "Action.Submit", "style": "danger"}]}
    )
    assert problems(bad)


def test_the_teams_manifest_is_valid_by_the_teams_schema() -> None:
    schema = json.loads((SCHEMAS / "teams-manifest-1.17.json").read_text())
    raw = (Path(__file__).resolve().parents[2] / "teams" / "manifest.json").read_text()
    # the package step fills in the app id; the schema wants a GUID there
    manifest = json.loads(raw.replace("${{TEAMS_APP_ID}}", "00000000-0000-0000-0000-000000000000"))
    assert manifest["manifestVersion"] == "1.17"
    errors = [
        f"{list(e.path)}: {e.message}"
        for e in jsonschema.Draft4Validator(schema).iter_errors(manifest)
    ]
    assert errors == []
