"""`/checkin <words>`: acknowledged at once, answered from a lazy listener via response_url."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.notifier import SlackNotifier
from bot.channels.slack.people import People
from bot.channels.slack.render import alt_of, blocks, fallback
from bot.core.messages import Message, text
from bot.service.api import Place

log = logging.getLogger(__name__)

COMMAND = "/checkin"
OOPS = "Something went wrong on my side. Please try again in a moment."


def place_of(body: Mapping[str, Any]) -> Place:
    channel = body.get("channel_id")
    direct = body.get("channel_name") == "directmessage" or str(channel or "").startswith("D")
    return Place(channel=channel, direct=direct)


async def reply_with(respond: AsyncRespond, reply: Message, replace: bool = False) -> None:
    """Show a reply where the user acted: to them only, unless it is meant for the channel."""
    await respond(
        text=fallback(reply),
        blocks=blocks(reply),
        response_type="ephemeral" if reply.private else "in_channel",
        replace_original=replace,
    )


async def follow_with_chart(
    rapport: Any, notifier: SlackNotifier, respond: AsyncRespond, body: Mapping[str, Any], reply
) -> None:
    """The reply's chart, after its text: an image block where Slack can fetch it, else the
    PNG as a file (a private reply's to the user's DM, a channel reply's to the channel)."""
    try:
        picture = await rapport.picture(reply.chart)
        if picture is None:
            return
        if picture.attachment is None:
            await reply_with(respond, replace(picture, private=reply.private))
            return
        user = (body.get("user_id") or "").strip()
        where = await notifier.dm_channel(user) if reply.private else body.get("channel_id")
        await notifier.upload(
            where, picture.attachment, comment=picture.summary, alt=alt_of(picture)
        )
    except Exception:  # the text is already there: a chart that fails is only logged
        log.exception("/checkin chart failed")


def register(app: AsyncApp, rapport: Any, people: People, notifier: SlackNotifier) -> None:
    async def ack_command(ack: AsyncAck) -> None:
        # Slack wants an answer within 3 seconds; the real answer follows via response_url.
        await ack()

    async def run_command(
        body: dict[str, Any], context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        try:
            actor = await people.actor(context, client)
            reply = await rapport.command(actor, body.get("text") or "", place_of(body))
            if reply.attachment is not None:
                # The file goes to the user's DM: it is their data, never the channel's.
                channel = await notifier.dm_channel(actor.user, actor.tenant)
                await notifier.upload(
                    channel, reply.attachment, comment=reply.summary, tenant=actor.tenant
                )
        except Exception:
            log.exception("/checkin failed")
            reply = text(OOPS, kind="error")
        await reply_with(respond, reply)
        if reply.chart is not None:
            await follow_with_chart(rapport, notifier, respond, body, reply)

    app.command(COMMAND)(ack=ack_command, lazy=[run_command])
