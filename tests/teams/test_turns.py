"""Conversation logic with botbuilder's TestAdapter (no network) and the real service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Entity

from bot.channels.teams.bot import MALFORMED, RapportTeamsBot, command_text, tenant_of
from bot.config import Settings
from bot.service.app import build

from .connector import unescape

BOT = ChannelAccount(id="28:bot", name="Rapport")
ALICE = ChannelAccount(id="29:alice", name="Alice", aad_object_id="aad-alice")


def _template(conversation_type: str = "personal") -> Activity:
    return Activity(
        channel_id="msteams",
        service_url="https://smba.example/",
        from_property=ALICE,
        recipient=BOT,
        conversation=ConversationAccount(
            id=f"conv-{conversation_type}", conversation_type=conversation_type, tenant_id="T1"
        ),
    )


@pytest.fixture
async def rapport(redis, clock) -> AsyncIterator[object]:
    yield await build(Settings(allow_plaintext=True), clock, redis)


def _adapter(rapport, conversation_type: str = "personal") -> TestAdapter:
    bot = RapportTeamsBot(rapport)
    return TestAdapter(bot.on_turn, template_or_conversation=_template(conversation_type))


def _texts(adapter: TestAdapter) -> list[str]:
    out = []
    while (activity := adapter.get_next_activity()) is not None:
        out.append(unescape(activity.text or "") or activity.attachments[0].content_type)
    return out


async def test_a_leading_checkin_word_is_ignored(rapport) -> None:
    adapter = _adapter(rapport)
    await adapter.receive_activity(Activity(type="message", text="/checkin add Sam"))
    await adapter.receive_activity(Activity(type="message", text="list"))
    added, listed = _texts(adapter)
    assert added.startswith("Added Sam.") and "Sam" in listed


async def test_the_bot_mention_is_removed_in_a_channel(rapport) -> None:
    adapter = _adapter(rapport, "channel")
    mention = Entity(type="mention").deserialize(
        {
            "type": "mention",
            "text": "<at>Rapport</at>",
            "mentioned": {"id": BOT.id, "name": "Rapport"},
        }
    )
    await adapter.receive_activity(
        Activity(type="message", text="<at>Rapport</at> digest here", entities=[mention])
    )
    (reply,) = _texts(adapter)
    assert "team digest every Monday" in reply


async def test_tenant_and_time_zone_come_from_the_activity() -> None:
    activity = _template()
    assert tenant_of(activity) == "teams:T1"
    activity.conversation.tenant_id = None
    activity.channel_data = {"tenant": {"id": "T2"}}
    assert tenant_of(activity) == "teams:T2"
    activity.channel_data = None
    assert tenant_of(activity) == "teams:default"
    activity.text = "\u00a0/checkin   help "
    assert command_text(activity) == "help"


async def test_an_empty_card_value_is_refused(rapport) -> None:
    adapter = _adapter(rapport)
    await adapter.receive_activity(Activity(type="message", text="", value={"rapport": "nope"}))
    assert _texts(adapter) == [MALFORMED]


async def test_welcome_only_when_the_bot_itself_joins_a_personal_chat(rapport) -> None:
    adapter = _adapter(rapport)
    others = Activity(type="conversationUpdate", members_added=[ChannelAccount(id="29:bob")])
    await adapter.receive_activity(others)
    assert _texts(adapter) == []
    await adapter.receive_activity(Activity(type="conversationUpdate", members_added=[BOT]))
    (welcome,) = _texts(adapter)
    assert "log <alias>" in welcome

    team = _adapter(rapport, "channel")
    await team.receive_activity(Activity(type="conversationUpdate", members_added=[BOT]))
    assert _texts(team) == []


async def test_submit_updates_the_card_it_came_from(rapport) -> None:
    adapter = _adapter(rapport)
    await adapter.receive_activity(Activity(type="message", text="add Sam"))
    await adapter.receive_activity(Activity(type="message", text="review Sam"))
    _added, review = (adapter.get_next_activity(), adapter.get_next_activity())
    card = review.attachments[0].content
    values = {i["id"]: "3" for i in card["body"] if i["type"] == "Input.ChoiceSet"}
    submit = next(a["data"] for b in card["body"] if b["type"] == "ActionSet" for a in b["actions"])
    await adapter.receive_activity(
        Activity(type="message", value={**values, **submit}, reply_to_id="card-7")
    )
    (updated,) = adapter.updated_activities
    assert updated.id == "card-7" and "saved" in updated.summary.lower()
