"""The Slack Notifier: how the service reaches a practitioner's DM or a team channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.oauth import Tokens
from bot.channels.slack.render import alt_of, blocks, clip, escape, fallback
from bot.core.messages import Attachment, Message
from bot.service.api import Recipient

PACE_SECONDS = 1.0  # chat.postMessage allows about one message per second per channel


class Pacer:
    """Spaces sends to one channel `interval` seconds apart; other channels do not wait."""

    def __init__(
        self,
        interval: float = PACE_SECONDS,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._now = now
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            now = self._now()
            due = self._next.get(channel, now)
            if due > now:
                await self._sleep(due - now)
                now = due
            self._next[channel] = now + self._interval
        self._prune(now)

    def _prune(self, now: float) -> None:
        if len(self._next) < 1000:
            return
        for channel, due in list(self._next.items()):
            lock = self._locks.get(channel)
            if due <= now and not (lock and lock.locked()):
                self._next.pop(channel, None)
                self._locks.pop(channel, None)


class SlackNotifier:
    """`send` returns "<channel>:<ts>", which `update` takes back to edit the message."""

    def __init__(
        self, client: AsyncWebClient, pacer: Pacer | None = None, tokens: Tokens | None = None
    ) -> None:
        self._client = client
        self._pacer = pacer or Pacer()
        self._dms: dict[tuple[str | None, str], str] = {}
        self._tokens = tokens  # multi-workspace mode: each tenant's own bot token

    async def client_for(self, tenant: str | None) -> AsyncWebClient:
        """The client of the tenant's workspace (the one client in single-workspace mode)."""
        if self._tokens is None or tenant is None:
            return self._client
        return await self._tokens.client(tenant)

    async def dm_channel(self, user: str, tenant: str | None = None) -> str:
        """The id of the bot's DM with `user` (conversations.open is idempotent)."""
        channel = self._dms.get((tenant, user))
        if channel is None:
            client = await self.client_for(tenant)
            resp = await client.conversations_open(users=user)
            channel = resp["channel"]["id"]
            self._dms[(tenant, user)] = channel
        return channel

    async def _where(self, to: Recipient) -> str:
        if to.channel:
            return to.channel
        remembered = (to.address or {}).get("channel")
        if remembered:
            return str(remembered)
        if not to.user:
            raise ValueError("a recipient needs a user or a channel")
        return await self.dm_channel(to.user, to.tenant)

    async def post(self, channel: str, message: Message, tenant: str | None = None) -> str:
        client = await self.client_for(tenant)
        await self._pacer.wait(channel)
        resp = await client.chat_postMessage(
            channel=channel,
            text=fallback(message),
            blocks=blocks(message),
            unfurl_links=False,
            unfurl_media=False,
        )
        if message.attachment is not None:
            await self.upload(channel, message.attachment, tenant=tenant, alt=alt_of(message))
        return f"{resp['channel']}:{resp['ts']}"

    async def send(self, to: Recipient, message: Message) -> str | None:
        return await self.post(await self._where(to), message, to.tenant)

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        channel, _, ts = ref.partition(":")
        client = await self.client_for(to.tenant)
        await client.chat_update(
            channel=channel, ts=ts, text=fallback(message), blocks=blocks(message)
        )

    async def upload(
        self,
        channel: str,
        attachment: Attachment,
        comment: str = "",
        tenant: str | None = None,
        alt: str | None = None,
    ) -> None:
        """files_upload_v2: getUploadURLExternal, the upload itself, completeUploadExternal.
        `alt`: an image's alt text (a chart's facts in words)."""
        client = await self.client_for(tenant)
        await client.files_upload_v2(
            channel=channel,
            content=attachment.content,
            filename=attachment.filename,
            title=attachment.filename,
            initial_comment=clip(escape(comment), 3000) if comment else None,
            alt_txt=clip(alt, 1000) if alt else None,
        )
