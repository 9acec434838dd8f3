"""Who is asking: the Actor for a Slack request, with the time zone from `users.info`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock
from bot.core.tenants import slack_tenant
from bot.service.api import Actor

log = logging.getLogger(__name__)

TZ_TTL = timedelta(hours=6)  # people travel; a day-old zone is still good enough for prompts


def tenant_of(context: Mapping[str, Any], org_wide: bool = False) -> str:
    """The request's tenant. With `org_wide` (multi-workspace mode), an org-wide install is
    one tenant for the whole org, like its installation."""
    enterprise = context.get("enterprise_id")
    org = org_wide and bool(context.get("is_enterprise_install"))
    return slack_tenant(enterprise, context.get("team_id"), org)


class People:
    """A small in-process cache of users' time zones, so not every click calls Slack."""

    def __init__(
        self, rapport: Any, clock: Clock, ttl: timedelta = TZ_TTL, org_wide: bool = False
    ) -> None:
        self._org_wide = org_wide
        self._rapport = rapport
        self._clock = clock
        self._ttl = ttl
        self._tz: dict[tuple[str, str], tuple[str | None, datetime]] = {}

    def cached(self, context: Mapping[str, Any]) -> Actor:
        """The actor with whatever zone we already know (no Slack call: for trigger_ids)."""
        tenant, user = tenant_of(context, self._org_wide), context.get("user_id") or ""
        hit = self._tz.get((tenant, user))
        return Actor(tenant=tenant, user=user, tz=hit[0] if hit else None)

    async def actor(self, context: Mapping[str, Any], client: AsyncWebClient) -> Actor:
        tenant, user = tenant_of(context, self._org_wide), context.get("user_id") or ""
        now = self._clock.now()
        hit = self._tz.get((tenant, user))
        if hit and hit[1] > now:
            return Actor(tenant=tenant, user=user, tz=hit[0])
        tz = await self._lookup(client, user)
        if len(self._tz) > 10_000:  # bound the cache: drop what has expired
            self._tz = {k: v for k, v in self._tz.items() if v[1] > now}
        self._tz[(tenant, user)] = (tz, now + self._ttl)
        actor = Actor(tenant=tenant, user=user, tz=tz)
        if tz is not None:
            try:
                await self._rapport.remember(actor)
            except Exception:  # noqa: BLE001 - the zone is a nicety; the request goes on
                log.warning("could not remember the time zone of %s", user, exc_info=True)
        return actor

    async def _lookup(self, client: AsyncWebClient, user: str) -> str | None:
        if not user:
            return None
        try:
            resp = await client.users_info(user=user)
        except SlackApiError as e:
            log.warning("users.info failed for %s: %s", user, e.response.get("error"))
            return None
        return (resp.get("user") or {}).get("tz") or None
