"""Multi-workspace mode: bolt's own OAuth flow, its authorization and token revocation
listeners, over Rapport's Redis installation store.

`GET /slack/install` redirects to Slack's consent page with a single-use `state` (ten
minutes); `GET /slack/oauth_redirect` completes `oauth.v2.access` (against SLACK_API_URL,
like every other call) and stores the installation. Each request is then authorized with
its own workspace's token, refreshed before it expires when token rotation is on; due jobs
get theirs from `Tokens`. Uninstalling deletes the tokens at once and tells the service,
which stops sending and plans the purge.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.core.tenants import slack_tenant

if TYPE_CHECKING:  # built by the service (`Rapport.slack_stores`) and handed in
    from bot.store.installations import RedisInstallationStore

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes asked for at install; slack/manifest.yaml lists the same (a test checks).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "files:write",
)
ROTATE_MINUTES = 120  # refresh a rotating token this long before it expires (bolt's default)


class NotInstalled(RuntimeError):
    """No token for this tenant: the due job is retried later (or dropped once purged)."""


class Tokens:
    """The Web API client of each tenant's own bot, for messages sent outside a request."""

    def __init__(
        self, store: RedisInstallationStore, base: AsyncWebClient, settings: Settings
    ) -> None:
        self._store = store
        self._base = base
        self._rotator = AsyncTokenRotator(
            client_id=settings.slack_client_id or "",
            client_secret=settings.slack_client_secret or "",
            client=base,  # token refresh goes to SLACK_API_URL too
        )
        self._clients: dict[str, AsyncWebClient] = {}

    def __repr__(self) -> str:
        return "Tokens(<per workspace>)"

    async def client(self, tenant: str) -> AsyncWebClient:
        bot = await self._store.bot_of(tenant)
        if bot is None:
            raise NotInstalled(f"no Slack installation for {tenant}")
        if bot.bot_refresh_token:
            rotated = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_MINUTES
            )
            if rotated is not None:
                await self._store.async_save_bot(rotated)
                bot = rotated
        return self._client_with(bot.bot_token or "")

    def _client_with(self, token: str) -> AsyncWebClient:
        found = self._clients.get(token)
        if found is None:
            if len(self._clients) > 1000:  # rotated tokens pile up: start afresh
                self._clients.clear()
            found = AsyncWebClient(
                token=token,
                base_url=self._base.base_url,
                retry_handlers=list(self._base.retry_handlers),
            )
            self._clients[token] = found
        return found


def _page(status: int, title: str, body: str) -> BoltResponse:
    from bot.web import PAGE_HEADERS  # noqa: PLC0415 - the web module mounts this channel

    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><main><h1>{html.escape(title)}</h1>"
        f"<p>{body}</p></main></html>"
    )
    headers = {**PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    return BoltResponse(status=status, body=page, headers=headers)


def _callbacks(rapport: Any) -> AsyncCallbackOptions:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        i = args.installation
        tenant = slack_tenant(i.enterprise_id, i.team_id, i.is_enterprise_install)
        back = False
        try:
            back = await rapport.workspace_installed(tenant)
        except Exception:  # the install itself is stored; planning again can be redone
            log.exception("planning again after the reinstall of %s failed", tenant)
        where = i.team_name or i.enterprise_name or "your workspace"
        kept = " Everything from before the uninstall is still there." if back else ""
        log.info("Slack installed in %s%s", tenant, " (again)" if back else "")
        return _page(
            200,
            "Rapport is installed",
            f"Rapport is now part of {html.escape(where)}.{kept} In Slack, type "
            "<code>/checkin help</code> in any channel, or open Rapport's Home tab.",
        )

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        log.info("a Slack install did not complete: %s", args.reason)
        if args.reason in ("invalid_state", "invalid_browser"):
            text = "This install link has expired or was already used."
        elif args.reason == "access_denied":
            text = "The install was cancelled in Slack."
        else:
            text = "Slack did not confirm the install."
        again = f'<a href="{INSTALL_PATH}">Start the install again</a>.'
        return _page(args.suggested_status_code, "Rapport is not installed", f"{text} {again}")

    return AsyncCallbackOptions(success=success, failure=failure)


def oauth_flow(
    rapport: Any, settings: Settings, client: AsyncWebClient, store: Any, states: Any
) -> AsyncOAuthFlow:
    bolt_log = logging.getLogger("bot.channels.slack.bolt")
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=f"{settings.public_url}{REDIRECT_PATH}",
        install_path=INSTALL_PATH,
        # A redirect, not bolt's page: that page loads Slack's button image from elsewhere.
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=_callbacks(rapport),
        installation_store=store,
        state_store=states,
        state_expiration_seconds=states.expiration_seconds,  # the state store's own
        token_rotation_expiration_minutes=ROTATE_MINUTES,
        logger=bolt_log,
    )
    return AsyncOAuthFlow(client=client, settings=oauth, logger=bolt_log)


def _as_installed(context: AsyncBoltContext) -> AsyncBoltContext:
    """The context the revocation listeners need: an org-wide install has no team of its own."""
    if not context.is_enterprise_install:
        return context
    scoped = AsyncBoltContext(context)
    scoped["team_id"] = None
    return scoped


def register_revocation(app: AsyncApp, rapport: Any, store: RedisInstallationStore) -> None:
    """app_uninstalled and tokens_revoked (in either order): bolt's listeners delete the
    tokens at once; then the service stops sending to the tenant and plans the purge."""
    revocation = AsyncTokenRevocationListeners(store)

    def tenant(context: AsyncBoltContext) -> str:
        return slack_tenant(context.enterprise_id, context.team_id, context.is_enterprise_install)

    @app.event("app_uninstalled")
    async def app_uninstalled(context: AsyncBoltContext) -> None:
        await revocation.handle_app_uninstalled_events(_as_installed(context))
        await rapport.workspace_uninstalled(tenant(context))

    @app.event("tokens_revoked")
    async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        await revocation.handle_tokens_revoked_events(event, _as_installed(context))
        if (event.get("tokens") or {}).get("bot"):  # no bot token: nothing can be sent
            await rapport.workspace_uninstalled(tenant(context))


def register_uninstall_notice(app: AsyncApp) -> None:
    """Single-workspace mode: the manifest subscribes to the uninstall events too. They are
    acknowledged (unhandled, bolt would answer 404 and Slack would retry) and logged: the
    configured token no longer works, and the data stays until deleted by hand."""

    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    async def uninstalled(event: dict[str, Any], context: AsyncBoltContext) -> None:
        log.warning(
            "Slack says %s for workspace %s: SLACK_BOT_TOKEN no longer works there",
            event.get("type"),
            context.team_id,
        )
