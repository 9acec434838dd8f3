"""Outbound Teams messages: check-ins, reminders, nudges and digests sent outside a turn.

The service hands back the conversation reference this channel asked it to remember
(a user's personal chat, or the channel where `digest here` was typed); the message is
posted there with `continue_conversation`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import ConversationReference

from bot.channels.teams import cards
from bot.channels.teams.bot import send_message
from bot.core.messages import Message
from bot.service.api import Recipient

log = logging.getLogger(__name__)


def _reference(address: Mapping[str, Any]) -> ConversationReference:
    reference = ConversationReference().deserialize(dict(address))
    reference.activity_id = None  # a new message, not a reply to an old one
    return reference


class TeamsNotifier:
    """The `Notifier` the Teams channel registers with the service."""

    def __init__(self, adapter: BotAdapter, app_id: str = "") -> None:
        self.adapter = adapter
        self.app_id = app_id

    async def send(self, to: Recipient, message: Message) -> str | None:
        if not to.address:
            # the user never talked to the bot in a personal chat: nowhere to post
            log.warning("teams: no conversation reference for %s", to.user or to.channel)
            return None
        sent: list[str | None] = []

        async def deliver(turn_context: TurnContext) -> None:
            sent.append(await send_message(turn_context, message))

        await self.adapter.continue_conversation(
            _reference(to.address), deliver, bot_app_id=self.app_id
        )
        return sent[0] if sent else None

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        if not to.address:
            return

        async def replace(turn_context: TurnContext) -> None:
            activity = cards.to_activity(message)
            activity.id = ref
            await turn_context.update_activity(activity)

        await self.adapter.continue_conversation(
            _reference(to.address), replace, bot_app_id=self.app_id
        )
