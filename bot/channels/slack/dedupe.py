"""Slack retries what it thinks went unanswered; each request has one effect.

Slack resends an event at once, after one and after five minutes, with
`X-Slack-Retry-Num` (Socket Mode maps its retries to the same header). Bolt does not
de-duplicate. Every request is marked once in Redis (the service's `seen_event`, a
`SET NX EX`) under its `event_id`, or a hash of its body when it has none (commands and
interactions carry a unique `trigger_id`, so the body is unique per user action). A
request whose mark exists is acknowledged and dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.channels.slack.people import tenant_of

log = logging.getLogger(__name__)

Middleware = Callable[..., Awaitable[BoltResponse | None]]


def request_id(body: Mapping[str, Any], raw_body: str) -> str:
    """The id Slack keeps across retries of one request."""
    event_id = body.get("event_id") if isinstance(body, Mapping) else None
    if event_id:
        return f"ev:{event_id}"
    return "h:" + hashlib.sha256(raw_body.encode()).hexdigest()[:32]


def retry_guard(rapport: Any, org_wide: bool = False) -> Middleware:
    """A global bolt middleware (it runs after signature verification). `org_wide`: the
    marks of an org-wide install go under the org's tenant, as everything else of it."""

    async def drop_repeats(
        request: AsyncBoltRequest,
        context: Any,
        body: Mapping[str, Any],
        next_: Callable[[], Awaitable[Any]],
    ) -> BoltResponse | None:
        if request.lazy_only:  # a lazy listener re-dispatched by bolt itself
            return await next_()
        retry = (request.headers.get("x-slack-retry-num") or [None])[0]
        key = request_id(body, request.raw_body)
        try:
            first = await rapport.seen_event(tenant_of(context, org_wide), key)
        except Exception:  # noqa: BLE001 - fail open: a duplicate beats a lost request
            log.warning("could not check for a repeated Slack request", exc_info=True)
            first = True
        if first:
            return await next_()
        log.info("dropped a repeated Slack request (retry %s, %s)", retry, key)
        return BoltResponse(status=200, body="")

    return drop_repeats
