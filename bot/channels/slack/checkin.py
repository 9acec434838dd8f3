"""Check-ins and reviews: the DM button opens the modal; submitting stores the answers.

The modal is opened before anything slow (a `trigger_id` lives about 3 seconds). Its
`private_metadata` carries the form ref and where the prompt lives (the DM's channel and
ts, or the response_url of an ephemeral prompt, or the App Home), so the submit can
replace the prompt with the session's scores.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.channels.slack.commands import OOPS, reply_with
from bot.channels.slack.home import publish_home
from bot.channels.slack.notifier import SlackNotifier
from bot.channels.slack.people import People
from bot.channels.slack.render import FORM_CALLBACK, answers, blocks, clip, fallback, modal
from bot.core.messages import Action, Form, Message, text
from bot.service.api import Actor, Recipient

log = logging.getLogger(__name__)

ERROR_MAX = 150  # Slack truncates longer inline errors anyway


def action_pattern(*actions: str) -> re.Pattern[str]:
    """Matches the action ids `render` gives these actions (a ":n" suffix for repeats)."""
    names = "|".join(re.escape(a) for a in actions)
    return re.compile(rf"^(?:{names})(?::\d+)?$")


def base_action(action_id: str) -> str:
    return action_id.split(":", 1)[0]


def where_from(body: Mapping[str, Any]) -> dict[str, Any]:
    """Where the clicked prompt lives, so the submit can update it."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        view = body.get("view") or {}
        return {"home": 1} if view.get("type") == "home" else {}
    if container.get("is_ephemeral"):
        url = body.get("response_url")
        return {"url": url} if url else {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return {"ch": channel, "ts": ts} if channel and ts else {}


def field_errors(errors: Mapping[str, str], view: Mapping[str, Any]) -> dict[str, str]:
    """Errors keyed by input block; one Slack cannot place goes on the first input."""
    inputs = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"]
    out: dict[str, str] = {}
    for key, message in errors.items():
        target = key if key in inputs else (inputs[0] if inputs else key)
        out[target] = clip(f"{out[target]} {message}" if target in out else message, ERROR_MAX)
    return out


def register(app: AsyncApp, rapport: Any, people: People, notifier: SlackNotifier) -> None:
    other_actions = [v for k, v in vars(Action).items() if k.isupper() and isinstance(v, str)]
    other_actions.remove(Action.OPEN_FORM)

    @app.action(action_pattern(Action.OPEN_FORM))
    async def open_form(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        context: Any,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        actor = people.cached(context)  # no users.info here: the trigger_id is short-lived
        ref = action.get("value") or ""
        try:
            shown = await rapport.open_form(actor, ref)
        except Exception:
            log.exception("open_form failed")
            shown = text(OOPS, kind="error")
        if isinstance(shown, Form):
            meta = {"ref": ref, **where_from(body)}
            await client.views_open(trigger_id=body["trigger_id"], view=modal(shown, meta))
        elif body.get("response_url"):
            await reply_with(respond, shown)
        else:
            await notifier.send(Recipient(tenant=actor.tenant, user=actor.user), shown)

    @app.view(FORM_CALLBACK)
    async def submitted(
        ack: AsyncAck, view: dict[str, Any], context: Any, client: AsyncWebClient
    ) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        actor = people.cached(context)
        try:
            result = await rapport.submit(actor, meta.get("ref", ""), answers(view["state"]))
        except Exception:
            log.exception("submit failed")
            await ack(response_action="errors", errors=field_errors({"": OOPS}, view))
            return
        if result.errors:
            await ack(response_action="errors", errors=field_errors(result.errors, view))
            return
        await ack()  # closes the modal; the rest happens after Slack has its answer
        if result.update is not None:
            await show_update(actor, meta, result.update, client)
        for followup in result.followups:
            await notifier.send(Recipient(tenant=actor.tenant, user=actor.user), followup)

    async def show_update(
        actor: Actor, meta: Mapping[str, Any], update: Message, client: AsyncWebClient
    ) -> None:
        try:
            if meta.get("ch") and meta.get("ts"):
                await client.chat_update(
                    channel=meta["ch"], ts=meta["ts"], text=fallback(update), blocks=blocks(update)
                )
                return
            if meta.get("url"):
                # send() does not raise on an HTTP error: an expired response_url (they
                # last 30 minutes) answers 404, and the update would be lost unseen.
                sent = await AsyncWebhookClient(meta["url"]).send(
                    text=fallback(update), blocks=blocks(update), replace_original=True
                )
                if sent.status_code == 200:
                    return
                log.warning(
                    "the prompt's response_url answered %s (expired?): sending the update "
                    "as a new DM instead",
                    sent.status_code,
                )
                await notifier.send(Recipient(tenant=actor.tenant, user=actor.user), update)
                return
            if meta.get("home"):
                await publish_home(rapport, actor, client)
                return
        except SlackApiError as e:  # e.g. the prompt was deleted: say it in a new message
            log.warning("could not update the check-in prompt: %s", e.response.get("error"))
        await notifier.send(Recipient(tenant=actor.tenant, user=actor.user), update)

    @app.action(action_pattern(*other_actions))
    async def other_button(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        context: Any,
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        actor = await people.actor(context, client)
        try:
            reply = await rapport.button(actor, base_action(action["action_id"]), action["value"])
        except Exception:
            log.exception("button failed")
            reply = text(OOPS, kind="error")
        if body.get("response_url"):
            await reply_with(respond, reply, replace=True)
        else:
            await notifier.send(Recipient(tenant=actor.tenant, user=actor.user), reply)
