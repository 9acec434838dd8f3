"""Every card and message stays under Teams' 28 KB cap, counted in UTF-8 and in UTF-16.

The hardest case: an annual review reopened for editing, every text answer at its 3,000
characters (with accents and emoji, which weigh more in one encoding or the other).
"""

from __future__ import annotations

import json

from bot.channels.teams import cards
from bot.core.messages import Message, TextQuestion
from tests.service_helpers import DM, actor, answers, make_service

LONG = ("Naïve café talk 🙂 about what changed for us this year, and why. " * 60)[:3000]


def _inputs(card: dict) -> dict[str, dict]:
    return {b["id"]: b for b in card["body"] if b.get("type", "").startswith("Input.")}


def _submit_data(card: dict) -> dict[str, str]:
    [save] = [b for b in card["body"] if b.get("type") == "ActionSet"][-1]["actions"]
    return save["data"]


def _weights(payload: object) -> tuple[int, int]:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return len(raw.encode("utf-8")), len(raw.encode("utf-16-le"))


async def _answered_annual_review(redis, clock):
    rapport, _outbox = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam sessions=open every=weekly start=2024-12-02 10:00", DM)
    form = (await rapport.command(me, "review Sam", DM)).form
    if form is not None and "Midway" in form.title:  # due first: done, the annual is next
        assert (await rapport.submit(me, form.ref, answers(form, 4))).ok
        form = (await rapport.command(me, "review Sam", DM)).form
    assert form is not None and "Annual" in form.title
    texts = {q.id: LONG for q in form.questions if isinstance(q, TextQuestion)}
    assert len(texts) >= 5
    done = await rapport.submit(me, form.ref, answers(form, 4, **texts))
    assert done.ok, done.errors
    return rapport, me, form.ref, texts


async def test_an_annual_review_reopened_with_long_answers_fits_and_keeps_them(redis, clock):
    rapport, me, ref, texts = await _answered_annual_review(redis, clock)
    edit = await rapport.open_form(me, ref)
    whole = cards._card(Message(summary=edit.title, kind="checkin", form=edit))
    assert max(_weights(whole)) > cards.MESSAGE_BUDGET  # it would not fit as it is

    card = cards.form_card(edit)
    utf8, utf16 = _weights(card)
    print(f"\nannual review edit card: as built {_weights(whole)}, sent {(utf8, utf16)} bytes")
    assert utf8 <= cards.MESSAGE_BUDGET and utf16 <= cards.MESSAGE_BUDGET
    activity = cards.form_activity(edit).serialize()
    assert max(_weights(activity)) <= cards.MESSAGE_BUDGET  # the whole activity, too
    said = json.dumps(card, ensure_ascii=False)
    assert "too long for one Teams message" in said  # a clear word about what changed
    kept = _submit_data(card)[cards.KEEP].split(",")
    assert kept and set(kept) <= set(texts)

    # Save pressed without typing: Teams sends the inputs (the kept ones empty) + the data.
    values = {k: v.get("value", "") for k, v in _inputs(card).items()}
    data = {k: v for k, v in _submit_data(card).items() if k not in ("rapport", "ref")}
    again = await rapport.submit(me, ref, {**values, **data})
    assert again.ok, again.errors
    reopened = await rapport.open_form(me, ref)
    stored = {q.id: q.initial for q in reopened.questions if isinstance(q, TextQuestion)}
    assert stored == texts  # nothing lost, nothing cut

    # A new answer typed into a shortened box replaces the old one.
    values[kept[0]] = "A short new answer."
    assert (await rapport.submit(me, ref, {**values, **data})).ok
    reopened = await rapport.open_form(me, ref)
    stored = {q.id: q.initial for q in reopened.questions if isinstance(q, TextQuestion)}
    assert stored[kept[0]] == "A short new answer."


def test_a_long_plain_message_is_cut_between_lines_with_a_clear_word():
    from bot.core.messages import Bullets, Span

    rows = tuple((Span(f"Relationship {n}: " + "é" * 200),) for n in range(400))
    activity = cards.to_activity(Message(summary="list", blocks=(Bullets(rows),)))
    assert max(_weights(activity.serialize())) <= cards.MESSAGE_BUDGET
    assert activity.text.endswith(f"_{cards.SHORTENED_MESSAGE}_")
    assert "Relationship 0:" in activity.text


def test_a_long_card_keeps_its_buttons_and_says_it_was_shortened():
    from bot.core.messages import Action, Actions, Button, Fields

    pairs = tuple((f"Session {n}", "ü" * 120) for n in range(300))
    buttons = Actions((Button("Open", Action.OPEN_FORM, "r:1"),))
    card = cards.card(Message(summary="history", blocks=(Fields(pairs), buttons)))
    assert max(_weights(card)) <= cards.MESSAGE_BUDGET
    said = json.dumps(card, ensure_ascii=False)
    assert cards.SHORTENED_MESSAGE in said
    assert card["body"][-1]["type"] == "ActionSet"  # what the user acts on is still there
    facts = card["body"][0]["facts"]
    assert 50 < len(facts) < 300 and facts[0]["title"] == "Session 0"  # the first ones kept
