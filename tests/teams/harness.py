"""Talking to the running bot as Teams does, and reading what it posted back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.core.clock import ManualClock

from .activities import BOT, activity, channel_conversation, personal_conversation, user
from .connector import FakeConnector, Posted, card_text, unescape


@dataclass
class TeamsBot:
    url: str
    http: aiohttp.ClientSession
    rapport: Any
    connector: FakeConnector
    clock: ManualClock

    async def post(self, body: Any, **kwargs: Any) -> int:
        async with self.http.post(self.url, json=body, **kwargs) as resp:
            return resp.status

    async def send(self, body: dict[str, Any]) -> list[Posted]:
        """Post one activity; return what the bot posted while answering it."""
        before = len(self.connector.posted)
        status = await self.post(body)
        assert status in (200, 201), status
        return self.connector.posted[before:]

    async def say(self, n: int, text: str) -> list[Posted]:
        """User n types `text` in their private chat with the bot."""
        conversation = personal_conversation(n)
        return await self.send(
            activity(self.connector.url, sender=user(n), conversation=conversation, text=text)
        )

    async def say_in_channel(self, n: int, text: str, channel: str = "general") -> list[Posted]:
        """User n @mentions the bot in a team channel."""
        mention = f"<at>{BOT['name']}</at>"
        entity = {"type": "mention", "text": mention, "mentioned": BOT}
        return await self.send(
            activity(
                self.connector.url,
                sender=user(n),
                conversation=channel_conversation(channel),
                text=f"{mention} {text}",
                entities=[entity],
            )
        )

    async def press(self, n: int, card: Posted, value: Any) -> list[Posted]:
        """User n presses a button on a card: Teams posts the inputs merged with its data."""
        conversation = {**personal_conversation(n), "id": card.conversation}
        return await self.send(
            activity(
                self.connector.url,
                sender=user(n),
                conversation=conversation,
                value=value,
                reply_to_id=card.id,
            )
        )

    async def install(self, n: int) -> list[Posted]:
        """User n adds the app: Teams sends a conversationUpdate with the bot as a member."""
        return await self.send(
            activity(
                self.connector.url,
                sender=user(n),
                conversation=personal_conversation(n),
                kind="conversationUpdate",
                membersAdded=[BOT],
            )
        )


def shown(posted: Posted) -> str:
    """What the user reads: a text message, or a card's texts."""
    if posted.card is not None:
        return card_text(posted.card)
    return unescape(posted.text)


def one(posts: list[Posted]) -> str:
    assert len(posts) == 1, [shown(p) for p in posts]
    return shown(posts[0])
