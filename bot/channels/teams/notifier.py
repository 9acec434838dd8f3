"""Outbound Teams messages: check-ins, reminders, nudges and digests sent outside a turn.

The service hands back the conversation reference this channel asked it to remember
(a user's personal chat, or the channel where `digest here` was typed); the message is
posted there with `continue_conversation`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import ConversationReference
from msrest.exceptions import HttpOperationError

from bot.channels.teams import cards
from bot.channels.teams.bot import send_message
from bot.channels.teams.guard import ServiceUrls
from bot.core.messages import Message
from bot.service.api import Recipient

log = logging.getLogger(__name__)

VERIFIED_ONLY = ServiceUrls(local_mode=False)
RETRIES = 3  # Teams throttles per bot and thread with 429s: wait and try again
MAX_WAIT_SECONDS = 30.0


def _throttled_for(error: HttpOperationError) -> float | None:
    """Seconds Teams asks us to wait, when the error is a 429; None otherwise."""
    response = getattr(error, "response", None)
    if getattr(response, "status_code", None) != 429:
        return None
    raw = (getattr(response, "headers", None) or {}).get("Retry-After", "")
    try:
        return min(max(float(raw), 0.0), MAX_WAIT_SECONDS)
    except ValueError:
        return 1.0


def _reference(address: Mapping[str, Any]) -> ConversationReference:
    reference = ConversationReference().deserialize(dict(address))
    reference.activity_id = None  # a new message, not a reply to an old one
    return reference


class TeamsNotifier:
    """The `Notifier` the Teams channel registers with the service."""

    def __init__(
        self,
        adapter: BotAdapter,
        app_id: str = "",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        service_urls: ServiceUrls = VERIFIED_ONLY,
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.service_urls = service_urls
        self.sleep = sleep  # injected so tests need not wait

    async def _once(self, address: Mapping[str, Any], logic: Callable) -> None:
        """One attempt. The adapter would hand a failure to its on_turn_error (which
        apologises in the chat); a proactive send's failure belongs to the caller instead,
        so the due-queue can retry it."""
        failures: list[Exception] = []

        async def guarded(turn_context: TurnContext) -> None:
            try:
                await logic(turn_context)
            except Exception as error:  # noqa: BLE001 - re-raised below, outside the turn
                failures.append(error)

        await self.adapter.continue_conversation(
            _reference(address), guarded, bot_app_id=self.app_id
        )
        if failures:
            raise failures[0]

    async def _continue(self, address: Mapping[str, Any], logic: Callable) -> None:
        for attempt in range(RETRIES + 1):
            try:
                await self._once(address, logic)
                return
            except HttpOperationError as error:
                wait = _throttled_for(error)
                if wait is None or attempt == RETRIES:
                    raise
                log.info("teams: throttled, retrying in %.1fs", wait)
                await self.sleep(wait)

    def _allowed(self, to: Recipient) -> bool:
        """A stored reference names a service URL; post only where that URL may be reached."""
        if not to.address:
            return False
        if self.service_urls.allows(to.address.get("serviceUrl")):
            return True
        log.warning("teams: refused to post to a service URL outside the allowed ones")
        return False

    async def send(self, to: Recipient, message: Message) -> str | None:
        if not to.address:
            # the user never talked to the bot in a personal chat: nowhere to post
            log.warning("teams: no conversation reference for %s", to.user or to.channel)
            return None
        if not self._allowed(to):
            return None
        sent: list[str | None] = []

        async def deliver(turn_context: TurnContext) -> None:
            sent.append(await send_message(turn_context, message))

        await self._continue(to.address, deliver)
        return sent[-1] if sent else None

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        if not self._allowed(to):
            return

        async def replace(turn_context: TurnContext) -> None:
            activity = cards.to_activity(message)
            activity.id = ref
            await turn_context.update_activity(activity)

        await self._continue(to.address, replace)
