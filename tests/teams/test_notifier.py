"""The Teams notifier posting outside a turn, against the fake Bot Connector."""

from __future__ import annotations

import json

import pytest
from botbuilder.schema import Activity
from msrest.exceptions import HttpOperationError

from bot.channels.teams import create_adapter
from bot.channels.teams.bot import address_of
from bot.channels.teams.guard import ServiceUrls
from bot.channels.teams.notifier import TeamsNotifier
from bot.config import Settings
from bot.core.messages import Attachment, Fields, Message, text
from bot.service.api import Recipient

from .activities import TENANT, activity, channel_conversation, personal_conversation, user
from .connector import FakeConnector, card_text

LOCAL = Settings(teams_enabled=True, teams_local_mode=True)
LOOPBACK = ServiceUrls(local_mode=True)


def _address(connector: FakeConnector, conversation: dict) -> dict:
    incoming = Activity().deserialize(
        activity(connector.url, sender=user(1), conversation=conversation, text="hi")
    )
    return address_of(incoming)


async def test_send_posts_a_card_and_update_replaces_it(connector: FakeConnector) -> None:
    notifier = TeamsNotifier(create_adapter(LOCAL), service_urls=LOOPBACK)
    to = Recipient(
        f"teams:{TENANT}", user="aad-1", address=_address(connector, personal_conversation(1))
    )
    card = Message(summary="Check-in", blocks=(Fields((("Session", "3"),)),), kind="checkin")

    ref = await notifier.send(to, card)

    posted = connector.last("a:chat-1")
    assert ref == posted.id and "Session: 3" in card_text(posted.card)
    await notifier.update(to, ref, text("Done, thank you."))
    assert posted.text == "Done, thank you." and posted.card is None
    assert len(connector.posted) == 1  # replaced, not sent again


async def test_a_digest_goes_to_a_new_post_in_the_channel(connector: FakeConnector) -> None:
    notifier = TeamsNotifier(create_adapter(LOCAL), service_urls=LOOPBACK)
    address = _address(connector, channel_conversation("team"))
    to = Recipient(f"teams:{TENANT}", channel="19:team@thread.tacv2", address=address)

    await notifier.send(to, text("Weekly digest", kind="digest", private=False))

    # the thread part of the id is dropped: the digest starts its own post
    assert [p.conversation for p in connector.posted] == ["19:team@thread.tacv2"]


async def test_no_address_means_nothing_is_sent(connector: FakeConnector) -> None:
    notifier = TeamsNotifier(create_adapter(LOCAL), service_urls=LOOPBACK)
    assert await notifier.send(Recipient(f"teams:{TENANT}", user="aad-9"), text("hi")) is None
    assert connector.posted == []


async def test_a_file_follows_its_message(connector: FakeConnector) -> None:
    notifier = TeamsNotifier(create_adapter(LOCAL), service_urls=LOOPBACK)
    to = Recipient(
        f"teams:{TENANT}", user="aad-1", address=_address(connector, personal_conversation(1))
    )
    message = Message(summary="Your data", attachment=Attachment("export.json", b'{"a": 1}'))
    await notifier.send(to, message)
    assert len(connector.posted) == 2 and '"a": 1' in connector.posted[1].text


def test_the_address_is_json_and_round_trips() -> None:
    incoming = Activity().deserialize(
        activity("http://x/", sender=user(2), conversation=personal_conversation(2), text="hi")
    )
    address = address_of(incoming)
    assert json.loads(json.dumps(address)) == address
    assert address["conversation"]["id"] == "a:chat-2" and "activityId" not in address


async def test_a_throttled_send_waits_as_asked_and_is_sent_once(connector: FakeConnector) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    notifier = TeamsNotifier(create_adapter(LOCAL), sleep=sleep, service_urls=LOOPBACK)
    address = _address(connector, personal_conversation(1))
    connector.throttle = 2

    ref = await notifier.send(
        Recipient(f"teams:{TENANT}", user="aad-1", address=address), text("hi")
    )

    assert waits == [2.0, 2.0] and connector.throttled == 2
    assert [p.id for p in connector.posted] == [ref]


async def test_a_failed_send_is_raised_and_not_apologised_for(connector: FakeConnector) -> None:
    notifier = TeamsNotifier(create_adapter(LOCAL), service_urls=LOOPBACK)
    to = Recipient(
        f"teams:{TENANT}", user="aad-1", address=_address(connector, personal_conversation(1))
    )
    connector.forbid = True
    with pytest.raises(HttpOperationError):
        await notifier.send(to, text("hi"))
    assert connector.posted == []  # in particular no "sorry" message in the chat
