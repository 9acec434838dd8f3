"""The Teams bot: turns Bot Framework activities into `Rapport` calls and sends the replies.

Everything Teams-specific about a turn lives here; the service sees only Actor, Place and
plain strings, and the replies are rendered by `cards`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import ActivityHandler, BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.channels.teams import cards
from bot.core.messages import Form, Message
from bot.core.messages import text as plain
from bot.service.api import Actor, Place

log = logging.getLogger(__name__)

PERSONAL = "personal"
MAX_VALUE_FIELDS = 100  # a review has about twenty questions; more is not from our card
MALFORMED = (
    "That card answer did not come through in a form I understand, so nothing was saved. "
    "Please use the buttons on the latest check-in card."
)
FIX_INTRO = "A few answers need another look (nothing was saved yet):"
SENT_PRIVATELY = "I sent you the answer in our private chat."
PRIVATE_FAILED = (
    "That answer is private, and I could not open a chat with you. "
    "Say hi to me in a private chat first, then try again there."
)
# replies about the channel itself stay in the channel even when they are private
_IN_PLACE_COMMANDS = {"digest", "help", ""}

_CHECKIN_PREFIX = re.compile(r"^\s*/?checkin\b", re.IGNORECASE)


# --- reading an activity -------------------------------------------------------------
def tenant_of(activity: Activity) -> str:
    tenant = getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, Mapping):
        info = activity.channel_data.get("tenant")
        if isinstance(info, Mapping):
            tenant = info.get("id")
    return "teams:" + (str(tenant) if tenant else "default")


def _zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def actor_of(activity: Activity) -> Actor:
    sender = activity.from_property or ChannelAccount()
    user = sender.aad_object_id or sender.id or "unknown"
    return Actor(tenant=tenant_of(activity), user=user, tz=_zone(activity.local_timezone))


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return bool(conversation and conversation.conversation_type == PERSONAL)


def address_of(activity: Activity) -> dict[str, Any]:
    """The conversation reference as JSON, for posting there later.

    Without the activity id and the thread part of a channel's conversation id, so that a
    later post (a check-in, a weekly digest) starts its own message rather than replying
    in an old thread.
    """
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    if reference.conversation and reference.conversation.id:
        reference.conversation.id = reference.conversation.id.split(";messageid=")[0]
    return reference.serialize()


def place_of(activity: Activity) -> Place:
    address = address_of(activity)
    return Place(
        channel=address["conversation"]["id"],
        direct=is_personal(activity),
        address=address,
    )


def command_text(activity: Activity) -> str:
    """The words after the bot's @mention and an optional leading /checkin."""
    if activity.recipient is not None and activity.entities:
        TurnContext.remove_recipient_mention(activity)
    text = (activity.text or "").replace("\u00a0", " ")
    return _CHECKIN_PREFIX.sub("", text, count=1).strip()


def parse_card_value(value: Any) -> tuple[str, dict[str, str]] | None:
    """What a card's Action.Submit sent: (kind, fields), or None when it is malformed.

    kind is cards.SUBMIT (fields: ref and the answers), cards.BUTTON (action, value) or
    cards.OPEN (ref). Every field must be a string: that is all our cards ever send.
    """
    if not isinstance(value, Mapping) or len(value) > MAX_VALUE_FIELDS:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    fields = dict(value)
    kind = fields.pop("rapport", None)
    if kind in (cards.SUBMIT, cards.OPEN) and fields.get("ref"):
        return kind, fields
    if kind == cards.BUTTON and fields.get("action") and "value" in fields:
        return kind, fields
    return None


# --- the bot ---------------------------------------------------------------------------
class RapportTeamsBot(ActivityHandler):
    def __init__(self, rapport: Any, app_id: str = "", downloads: Any = None) -> None:
        self.rapport = rapport
        self.app_id = app_id
        self.downloads = downloads  # a Downloads (large exports as a link), or None

    def _file_card(self, actor: Actor, reply: Message) -> Activity | None:
        """A download card in place of a file too long for a few chat messages."""
        file = reply.attachment
        if file is None or self.downloads is None or not self.downloads.wanted(file.content):
            return None
        return self.downloads.card(actor, file.filename, len(file.content))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        actor = actor_of(activity)
        if activity.id and not await self.rapport.seen_event(actor.tenant, activity.id):
            return  # a redelivery of a message already answered
        if is_personal(activity):
            await self.rapport.remember(actor, address=address_of(activity))
        if activity.value is not None and not (activity.text or "").strip():
            await self._card_value(turn_context, actor, activity.value)
            return
        text = command_text(activity)
        reply = await self.rapport.command(actor, text, place_of(activity))
        await self._reply(turn_context, actor, text, reply)
        # The text first, then its chart where the text went: only as an image Teams can
        # fetch (a public URL); without one the text already holds every figure.
        if reply.chart is not None:
            picture = await self.rapport.picture(reply.chart)
            if picture is not None and cards.has_image(picture):
                picture = replace(picture, private=reply.private)
                await self._reply(turn_context, actor, text, picture, notice=False)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = [m.id for m in activity.members_added or []]
        if not is_personal(activity) or bot_id not in added:
            return
        # installed in a personal scope: remember how to reach this user, and say hello
        actor = actor_of(activity)
        await self.rapport.remember(actor, address=address_of(activity))
        welcome = await self.rapport.command(actor, "help", place_of(activity))
        await turn_context.send_activity(cards.to_activity(welcome))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if is_personal(activity):
            await self.rapport.remember(actor_of(activity), address=address_of(activity))

    # --- replies ---------------------------------------------------------------------
    async def _reply(
        self,
        turn_context: TurnContext,
        actor: Actor,
        text: str,
        reply: Message,
        notice: bool = True,
    ) -> None:
        activity = turn_context.activity
        word = text.split(maxsplit=1)[0].lower() if text else ""
        in_place = (
            is_personal(activity)
            or not reply.private
            or reply.kind == "error"
            or word in _IN_PLACE_COMMANDS
        )
        file_card = self._file_card(actor, reply)
        if in_place:
            await send_message(turn_context, reply, file_card)
            return
        # history, list, export... typed in a team channel: pseudonyms stay out of it
        sent = await self._send_privately(turn_context, actor, reply, file_card)
        if notice:  # said once, for the reply; its chart follows it without a word
            note = SENT_PRIVATELY if sent else PRIVATE_FAILED
            await turn_context.send_activity(cards.to_activity(plain(note)))

    async def _send_privately(
        self, turn_context: TurnContext, actor: Actor, reply: Message, file_card: Any = None
    ) -> bool:
        """Open (or reuse) the 1:1 chat with the sender and send the reply there."""
        activity = turn_context.activity
        adapter: BotAdapter = turn_context.adapter
        tenant = actor.tenant.split(":", 1)[1]
        params = ConversationParameters(
            is_group=False,
            bot=activity.recipient,
            members=[ChannelAccount(id=activity.from_property.id)],
            tenant_id=None if tenant == "default" else tenant,
            channel_data={"tenant": {"id": tenant}} if tenant != "default" else None,
        )
        rapport = self.rapport

        async def deliver(private_context: TurnContext) -> None:
            reference = TurnContext.get_conversation_reference(private_context.activity)
            reference.conversation.conversation_type = PERSONAL
            reference.user = activity.from_property
            reference.activity_id = None
            await rapport.remember(actor, address=reference.serialize())
            await send_message(private_context, reply, file_card)

        try:
            await adapter.create_conversation(
                self.app_id,
                deliver,
                conversation_parameters=params,
                channel_id=activity.channel_id,
                service_url=activity.service_url,
            )
        except Exception:  # noqa: BLE001 - the user still gets a clear answer
            log.exception("teams: could not open a private chat")
            return False
        return True

    async def _card_value(self, turn_context: TurnContext, actor: Actor, value: Any) -> None:
        parsed = parse_card_value(value)
        if parsed is None:
            await turn_context.send_activity(cards.to_activity(plain(MALFORMED)))
            return
        kind, fields = parsed
        if kind == cards.BUTTON:
            reply = await self.rapport.button(actor, fields["action"], fields["value"])
            await replace_or_send(turn_context, cards.to_activity(reply), reply)
            return
        ref = fields.pop("ref")
        if kind == cards.OPEN:
            shown = await self.rapport.open_form(actor, ref)
            if isinstance(shown, Form):
                await replace_or_send(turn_context, cards.form_activity(shown), None)
            else:
                await send_message(turn_context, shown)
            return
        outcome = await self.rapport.submit(actor, ref, fields)
        if not outcome.ok:
            await turn_context.send_activity(await self._errors(actor, ref, outcome.errors))
            return
        if outcome.update is not None:
            await replace_or_send(turn_context, cards.to_activity(outcome.update), None)
        for followup in outcome.followups:
            await send_message(turn_context, followup)

    async def _errors(self, actor: Actor, ref: str, errors: Mapping[str, str]) -> Activity:
        """The errors, each named by its question's prompt when the form can be found."""
        prompts: dict[str, str] = {}
        form = await self.rapport.open_form(actor, ref)
        if isinstance(form, Form):
            prompts = {q.id: q.prompt for q in form.questions}
        named = {
            qid: f"{prompts[qid]}: {msg}" if qid in prompts else msg for qid, msg in errors.items()
        }
        return cards.errors_activity(named, FIX_INTRO)


async def send_message(
    turn_context: TurnContext, message: Message, file_card: Activity | None = None
) -> str | None:
    """Send a message and its file, if any (as `file_card`, a download link, when given);
    returns the id of the main activity."""
    response = await turn_context.send_activity(cards.to_activity(message))
    if file_card is not None:
        await turn_context.send_activity(file_card)
    elif message.attachment is not None:
        await _send_file(turn_context, message.attachment)
    return response.id if response else None


async def _send_file(turn_context: TurnContext, attachment: Any) -> None:
    # re-encoding a long file is CPU work: off the event loop
    for activity in await asyncio.to_thread(cards.file_activities, attachment):
        await turn_context.send_activity(activity)


async def replace_or_send(
    turn_context: TurnContext, activity: Activity, message: Message | None
) -> None:
    """Update the card the user pressed a button on; send anew if there is none."""
    pressed = turn_context.activity.reply_to_id
    if pressed:
        activity.id = pressed
        await turn_context.update_activity(activity)
        if message is not None and message.attachment is not None:
            await _send_file(turn_context, message.attachment)
        return
    if message is not None:
        await send_message(turn_context, message)
    else:
        await turn_context.send_activity(activity)


def reference_from(address: Mapping[str, Any]) -> ConversationReference:
    return ConversationReference().deserialize(dict(address))
