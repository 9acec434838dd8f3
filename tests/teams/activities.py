"""Activities as the Teams channel posts them to the bot."""

from __future__ import annotations

import itertools
from typing import Any

TENANT = "tenant-1"
BOT = {"id": "28:rapport-bot", "name": "Rapport"}
_ids = itertools.count(1)


def user(n: int) -> dict[str, Any]:
    return {"id": f"29:user-{n}", "name": f"User {n}", "aadObjectId": f"aad-{n}"}


def personal_conversation(n: int) -> dict[str, Any]:
    return {"id": f"a:chat-{n}", "conversationType": "personal", "tenantId": TENANT}


def channel_conversation(name: str = "general") -> dict[str, Any]:
    return {
        "id": f"19:{name}@thread.tacv2;messageid=1700000000000",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": TENANT,
    }


def activity(
    service_url: str,
    *,
    sender: dict[str, Any],
    conversation: dict[str, Any],
    text: str | None = None,
    value: Any = None,
    reply_to_id: str | None = None,
    kind: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """An activity as the Teams channel posts it to the bot."""
    body: dict[str, Any] = {
        "type": kind,
        "id": f"in-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": BOT,
        "conversation": conversation,
        "channelData": {"tenant": {"id": TENANT}},
        "localTimezone": "Europe/Berlin",
        **extra,
    }
    if text is not None:
        body["text"] = text
    if value is not None:
        body["value"] = value
    if reply_to_id is not None:
        body["replyToId"] = reply_to_id
    return body
