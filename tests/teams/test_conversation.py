"""Teams end to end: activities posted to the bot's real /api/messages, replies received by
the fake Bot Connector, state in the real Redis, time moved by the ManualClock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.service.api import Actor, Place

from .activities import activity, personal_conversation, user
from .connector import actions, inputs
from .harness import TeamsBot, one, shown


async def _checkin_card(teams: TeamsBot, n: int = 1, alias: str = "Sam"):
    """Log a session and let the worker send its check-in card."""
    await teams.say(n, f"log {alias}")
    before = len(teams.connector.posted)
    assert await teams.rapport.run_due() >= 1
    (card,) = teams.connector.posted[before:]
    return card


def _answers(card, rating: str = "4") -> dict[str, str]:
    values = {}
    for element in inputs(card.card):
        values[element["id"]] = rating if element["type"] == "Input.ChoiceSet" else "fine"
    return values


def _actions(body: dict) -> list[dict]:
    (attachment,) = body["attachments"]
    return [
        a for b in attachment["content"]["body"] if b["type"] == "ActionSet" for a in b["actions"]
    ]


def _submit(card) -> dict[str, str]:
    (action,) = [a for a in actions(card.card) if a["data"].get("rapport") == "submit"]
    return action["data"]


# --- commands ---------------------------------------------------------------------------
async def test_install_greets_with_help_and_remembers_the_chat(teams: TeamsBot) -> None:
    posts = await teams.install(1)
    assert "log <alias>" in one(posts)  # the usage, shortest form first
    assert posts[0].conversation == "a:chat-1"
    # the chat was remembered: a check-in can reach this user without them typing anything
    await teams.rapport.command(Actor("teams:tenant-1", "aad-1"), "add Sam", Place())
    card = await _checkin_card(teams)
    assert card.conversation == "a:chat-1" and card.card is not None


async def test_commands_answer_like_everywhere_else(teams: TeamsBot) -> None:
    assert one(await teams.say(1, "add Sam sessions=8")).startswith("Added Sam.")
    assert "already have a relationship called Sam" in one(await teams.say(1, "add sam"))
    assert "/checkin" not in one(await teams.say(1, "/checkin list"))
    listed = one(await teams.say(1, "checkin list"))
    assert "Sam" in listed and "sessions 0 of 8" in listed
    assert "can't find Alex" in one(await teams.say(1, "history Alex"))
    assert "Sam" in one(await teams.say(1, "history Sam"))
    unknown = one(await teams.say(1, "frobnicate"))
    assert "help" in unknown.lower()
    assert "pause" in one(await teams.say(1, "pause Sam")).lower()


async def test_what_a_user_types_is_never_markup(teams: TeamsBot) -> None:
    posts = await teams.say(1, "add **Boss** <at>all</at>")
    raw = posts[0].text
    assert "**Boss**" not in raw and "<at>" not in raw
    assert "**Boss** <at>all</at>" in shown(posts[0])


async def test_redelivered_message_is_answered_once(teams: TeamsBot) -> None:
    body = activity(
        teams.connector.url, sender=user(1), conversation=personal_conversation(1), text="help"
    )
    assert len(await teams.send(body)) == 1
    assert await teams.send(body) == []


async def test_export_is_json_the_user_can_copy(teams: TeamsBot) -> None:
    await teams.say(1, "add Sam")
    posts = await teams.say(1, "export")
    code = "".join(p.text.split("```\n", 1)[1].rsplit("\n```", 1)[0] for p in posts[1:])
    data = json.loads(code)
    assert [r["alias"] for r in data["relationships"]] == ["Sam"]


async def test_forget_asks_first_and_the_button_deletes(teams: TeamsBot) -> None:
    await teams.say(1, "add Sam")
    (confirm,) = await teams.say(1, "forget Sam")
    forget = next(a for a in actions(confirm.card) if a["data"]["action"] == "confirm_forget")
    assert await teams.press(1, confirm, forget["data"]) == []  # the card is replaced
    assert "Deleted Sam" in shown(confirm)
    assert "Sam" not in one(await teams.say(1, "list"))


# --- the check-in card round trip -------------------------------------------------------
async def test_scheduled_checkin_card_round_trip(teams: TeamsBot) -> None:
    await teams.install(1)  # Europe/Berlin, from the activity's localTimezone
    start = (teams.clock.now() + timedelta(days=1)).strftime("%Y-%m-%d") + " 10:00"
    await teams.say(1, f"add Sam sessions=8 every=weekly start={start} length=60")
    assert await teams.rapport.run_due() == 0  # nothing is due yet

    # the session ends at 11:00 Berlin (10:00 UTC); the check-in follows 10 minutes later
    teams.clock.set(datetime(2026, 1, 6, 10, 11, tzinfo=UTC))
    before = len(teams.connector.posted)
    await teams.rapport.run_due()
    (card,) = teams.connector.posted[before:]
    assert card.conversation == "a:chat-1" and "Sam" in shown(card)
    choice_sets = [i for i in inputs(card.card) if i["type"] == "Input.ChoiceSet"]
    assert len(choice_sets) >= 3
    assert all([c["value"] for c in s["choices"]] == list("12345") for s in choice_sets)

    values = {**_answers(card, "4"), **_submit(card)}
    assert await teams.press(1, card, values) == []  # no new message: the card is updated
    assert card.updates, "the check-in card was not updated"
    assert "Save" not in json.dumps(card.current)  # no inputs or submit button left
    history = one(await teams.say(1, "history Sam"))
    assert "Sessions held: 1 of 8" in history and "Check-ins answered: 1 of 1" in history

    # "Edit answers" turns the same card back into the form, with the saved answers filled
    edit = next(a for a in actions(card.card) if a["data"].get("rapport") == "open")
    assert await teams.press(1, card, edit["data"]) == []
    assert {i["value"] for i in inputs(card.card) if i["type"] == "Input.ChoiceSet"} == {"4"}
    await teams.press(1, card, {**_answers(card, "5"), **_submit(card)})
    assert "100%" in shown(card)
    assert "Check-ins answered: 1 of 1" in one(await teams.say(1, "history Sam"))


async def test_missing_answers_are_named_and_nothing_is_stored(teams: TeamsBot) -> None:
    await teams.say(1, "add Sam")
    card = await _checkin_card(teams)
    answers = _answers(card)
    first_rating = next(i for i in inputs(card.card) if i["type"] == "Input.ChoiceSet")
    del answers[first_rating["id"]]
    reply = one(await teams.press(1, card, {**answers, **_submit(card)}))
    assert first_rating["label"] in reply and "nothing was saved" in reply
    assert not card.updates
    assert "no check-ins yet" in one(await teams.say(1, "list"))


async def test_malformed_card_values_get_a_clear_reply_and_store_nothing(
    teams: TeamsBot,
) -> None:
    await teams.say(1, "add Sam")
    card = await _checkin_card(teams)
    ref = _submit(card)["ref"]
    for junk in (
        "not a dict",
        ["a", "list"],
        {"rapport": "submit"},  # no ref
        {"rapport": "submit", "ref": ref, "x": {"nested": 1}},
        {"rapport": "submit", "ref": ref, **{k: 4 for k in _answers(card)}},  # not strings
        {"something": "else"},
    ):
        assert "nothing was saved" in one(await teams.press(1, card, junk)), junk
    assert not card.updates
    assert "no check-ins yet" in one(await teams.say(1, "list"))


async def test_a_body_that_is_not_an_activity_is_refused(teams: TeamsBot) -> None:
    assert await teams.post({"no": "type"}) == 400
    async with teams.http.post(
        teams.url, data=b"{oops", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
    assert teams.connector.posted == []


# --- privacy ----------------------------------------------------------------------------
async def test_another_user_cannot_see_or_answer_a_relationship(teams: TeamsBot) -> None:
    await teams.say(1, "add Sam")
    card = await _checkin_card(teams)
    assert "can't find Sam" in one(await teams.say(2, "history Sam"))
    assert "Sam" not in one(await teams.say(2, "list"))
    stolen = {**_answers(card), **_submit(card)}
    reply = one(await teams.press(2, card, stolen))
    assert "someone else" in reply
    assert not card.updates
    assert "no check-ins yet" in one(await teams.say(1, "list"))


async def test_private_answers_typed_in_a_channel_go_to_the_private_chat(
    teams: TeamsBot,
) -> None:
    await teams.say(1, "add Sam")
    posts = await teams.say_in_channel(1, "list")
    in_channel = [p for p in posts if p.conversation.startswith("19:")]
    private = [p for p in posts if not p.conversation.startswith("19:")]
    assert [shown(p) for p in in_channel] == ["I sent you the answer in our private chat."]
    assert "Sam" in shown(private[0])
    assert teams.connector.created[0]["members"][0]["id"] == "29:user-1"


# --- digests ----------------------------------------------------------------------------
async def test_digest_here_and_now_in_a_channel(teams: TeamsBot) -> None:
    for n in (1, 2, 3):
        await teams.say(n, "add Client")
        card = await _checkin_card(teams, n, "Client")
        await teams.press(n, card, {**_answers(card, str(n + 2)), **_submit(card)})

    here = await teams.say_in_channel(1, "digest here weekly mon 09:00")
    assert "every Monday at 09:00" in one(here)
    assert here[0].conversation == "19:general@thread.tacv2;messageid=1700000000000"

    now = await teams.say_in_channel(2, "digest now")
    digest = "\n".join(shown(p) for p in now)
    assert now and all(p.conversation.startswith("19:general") for p in now)
    assert "Client" not in digest and "fine" not in digest  # no pseudonym, no free text

    # next Monday 09:00 Berlin: the weekly digest is a new post in the channel
    teams.clock.set(datetime(2026, 1, 12, 8, 1, tzinfo=UTC))
    before = len(teams.connector.posted)
    await teams.rapport.run_due()
    weekly = [p for p in teams.connector.posted[before:] if p.conversation.startswith("19:")]
    assert [p.conversation for p in weekly] == ["19:general@thread.tacv2"]
    assert "Client" not in shown(weekly[0])


async def test_digest_in_a_private_chat_says_where_to_ask(teams: TeamsBot) -> None:
    assert "team channel" in one(await teams.say(1, "digest here"))
