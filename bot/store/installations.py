"""Slack installations and OAuth states in Redis, for multi-workspace mode.

slack_sdk ships installation stores for files, SQL and S3, none for Redis: these implement
its `AsyncInstallationStore` and `AsyncOAuthStateStore`, which bolt's OAuth flow, its
authorization and its token revocation listeners call.

Each installation lives under its tenant's hash tag: `slack:<team id>` for a workspace,
`slack:<enterprise id>` for an org-wide (Enterprise Grid) install, so purging a tenant takes
its installation with it. Every token (bot, user, refresh) and the incoming-webhook URL is
sealed with the same cipher as free-text answers (RAPPORT_ENCRYPTION_KEY).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.core.clock import Clock
from bot.core.tenants import slack_tenant
from bot.store import keys
from bot.store.repository import Sealer

log = logging.getLogger(__name__)

SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
STATE_SECONDS = 600  # an install link works for ten minutes, once
_STATE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _plain(name: str, value: Any) -> Any:
    """JSON-safe: the instants slack_sdk hands over as datetimes, in epoch seconds."""
    if not isinstance(value, datetime):
        return value
    return int(value.timestamp()) if name.endswith("expires_at") else value.timestamp()


class RedisInstallationStore(AsyncInstallationStore):
    def __init__(self, redis: aioredis.Redis, sealer: Sealer) -> None:
        self.redis = redis
        self._sealer = sealer
        self._logger = log

    def __repr__(self) -> str:
        return "RedisInstallationStore(<tokens sealed>)"

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    # --- encoding ----------------------------------------------------------------------
    def _encode(self, data: dict[str, Any]) -> str:
        out = {k: _plain(k, v) for k, v in data.items()}
        for name in SECRETS:
            if out.get(name):
                out[name] = self._sealer.seal(out[name])
        return json.dumps(out, separators=(",", ":"))

    def _decode(self, raw: str | None) -> dict[str, Any] | None:
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("an unreadable Slack installation record was set aside")
            return None
        for name in SECRETS:
            if data.get(name):
                data[name] = self._sealer.open(data[name])
        data.pop("bot_token_expires_in", None)
        data.pop("user_token_expires_in", None)
        return data

    # --- save --------------------------------------------------------------------------
    async def async_save(self, installation: Installation) -> None:
        t = slack_tenant(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        raw = self._encode(installation.to_dict_for_copying())
        bot = installation.to_bot() if installation.bot_token else None
        # One round trip, no MULTI (the store relies on no cluster transaction support):
        # each write is whole, and a save is simply done again by the next install.
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(keys.slack_installation(t), raw)
            if installation.user_id:
                pipe.set(keys.slack_installer(t, installation.user_id), raw)
                pipe.sadd(keys.slack_installers(t), installation.user_id)
            if bot is not None:
                pipe.set(keys.slack_bot(t), self._encode(bot.to_dict_for_copying()))
            await pipe.execute()

    async def async_save_bot(self, bot: Bot) -> None:
        t = slack_tenant(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        await self.redis.set(keys.slack_bot(t), self._encode(bot.to_dict_for_copying()))

    # --- find --------------------------------------------------------------------------
    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await self.bot_of(slack_tenant(enterprise_id, team_id, is_enterprise_install))

    async def bot_of(self, tenant: str) -> Bot | None:
        """The bot of a tenant ("slack:T…" or "slack:E…"), for messages sent by due jobs."""
        data = self._decode(await self.redis.get(keys.slack_bot(tenant)))
        return Bot(**data) if data and data.get("bot_token") else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        t = slack_tenant(enterprise_id, team_id, is_enterprise_install)
        key = keys.slack_installer(t, user_id) if user_id else keys.slack_installation(t)
        data = self._decode(await self.redis.get(key))
        if data is None:
            return None
        installation = Installation(**data)
        # The bot record holds the latest bot token: refreshed by a due job, perhaps, after
        # this record was written.
        bot = await self.bot_of(t)
        if bot is not None:
            installation.bot_token = bot.bot_token
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    # --- delete (uninstall, revoked tokens) --------------------------------------------
    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        t = slack_tenant(enterprise_id, team_id, False)
        # The installation records hold the bot token too: it goes from them as well.
        await self._strip(t, ("bot_token", "bot_refresh_token", "bot_token_expires_at"))
        await self.redis.delete(keys.slack_bot(t))

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        t = slack_tenant(enterprise_id, team_id, False)
        if user_id is None:
            await self.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
            return
        await self.redis.delete(keys.slack_installer(t, user_id))
        await self.redis.srem(keys.slack_installers(t), user_id)
        latest = self._decode(await self.redis.get(keys.slack_installation(t)))
        if latest and latest.get("user_id") == user_id:
            await self._strip(t, ("user_token", "user_refresh_token", "user_token_expires_at"))

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        t = slack_tenant(enterprise_id, team_id, False)
        users = await self.redis.smembers(keys.slack_installers(t))
        names = [keys.slack_installer(t, u) for u in users]
        await self.redis.delete(
            keys.slack_installation(t), keys.slack_bot(t), keys.slack_installers(t), *names
        )

    async def _strip(self, tenant: str, fields: tuple[str, ...]) -> None:
        """Remove `fields` from every installation record of the tenant."""
        users = await self.redis.smembers(keys.slack_installers(tenant))
        names = [keys.slack_installer(tenant, u) for u in users]
        for key in [keys.slack_installation(tenant), *names]:
            raw = await self.redis.get(key)
            if raw is None:
                continue
            data = json.loads(raw)
            for name in fields:
                data.pop(name, None)
            await self.redis.set(key, json.dumps(data, separators=(",", ":")))


class RedisStateStore(AsyncOAuthStateStore):
    """OAuth `state` values: single use, valid for ten minutes by the injected clock."""

    def __init__(
        self, redis: aioredis.Redis, clock: Clock, expiration_seconds: int = STATE_SECONDS
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        issued = self.clock.now().timestamp()
        # The TTL only tidies up; whether a state is still valid is decided by the clock.
        await self.redis.set(keys.oauth_state(state), str(issued), ex=self.expiration_seconds * 2)
        return state

    async def async_consume(self, state: str) -> bool:
        if not state or not _STATE.match(state):
            return False
        issued = await self.redis.getdel(keys.oauth_state(state))  # one use only
        if issued is None:
            return False
        age = self.clock.now().timestamp() - float(issued)
        return 0 <= age <= self.expiration_seconds
