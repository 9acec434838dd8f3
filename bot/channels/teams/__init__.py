"""Microsoft Teams (Bot Framework): `POST /api/messages` and the outbound notifier.

Kept thin and self-contained: a move to the Microsoft 365 Agents SDK replaces this
package only. `cards` renders core messages, `bot` handles turns, `notifier` posts
outside a turn.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from jwt import PyJWTError

from bot.channels.teams.bot import RapportTeamsBot
from bot.channels.teams.download import Downloads
from bot.channels.teams.guard import ServiceUrls, is_loopback_host
from bot.channels.teams.notifier import TeamsNotifier
from bot.config import ConfigError, Settings, teams_problem
from bot.core.messages import text
from bot.core.signed import Signer

log = logging.getLogger(__name__)

LOCAL_ONLY = {"error": "local mode: only loopback clients and loopback serviceUrls"}
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


@dataclass(frozen=True)
class BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None


def bot_config(settings: Settings) -> BotConfig:
    """Empty id and password: local/emulator mode, no auth either way (only with
    TEAMS_LOCAL_MODE=1, see `bot.config.teams_problem`)."""
    single = bool(settings.teams_tenant_id)
    return BotConfig(
        APP_ID=settings.teams_app_id,
        APP_PASSWORD=settings.teams_app_password,
        APP_TYPE="SingleTenant" if single else "MultiTenant",
        APP_TENANTID=settings.teams_tenant_id or None,
    )


def create_adapter(settings: Settings, **auth: str) -> CloudAdapter:
    """The Bot Framework adapter. `auth`: further settings botbuilder reads (for a private
    cloud: TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, TO_BOT_FROM_CHANNEL_TOKEN_ISSUER...)."""
    config = SimpleNamespace(**asdict(bot_config(settings)), **auth)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    async def on_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("teams: turn failed", exc_info=error)
        from bot.channels.teams import cards  # noqa: PLC0415

        try:
            await turn_context.send_activity(cards.to_activity(text(SORRY)))
        except Exception:  # noqa: BLE001 - the connector itself may be what failed
            log.exception("teams: could not report the failure")

    adapter.on_turn_error = on_error
    return adapter


def mount(
    app: web.Application, rapport: Any, settings: Settings, adapter: CloudAdapter | None = None
) -> None:
    """Add `POST /api/messages` and register the Teams notifier with the service."""
    if problem := teams_problem(settings):
        raise ConfigError(problem)
    local = settings.teams_local_mode
    urls = ServiceUrls(local_mode=local)
    adapter = adapter or create_adapter(settings)
    downloads = None
    if settings.link_secret:
        downloads = Downloads(Signer(settings.link_secret), settings.public_url, rapport.clock)
        app.router.add_routes([downloads.route(rapport)])
    bot = RapportTeamsBot(rapport, app_id=settings.teams_app_id, downloads=downloads)
    rapport.register(
        "teams", TeamsNotifier(adapter, app_id=settings.teams_app_id, service_urls=urls)
    )

    async def messages(request: web.Request) -> web.StreamResponse:
        # botbuilder answers a body that is not an activity with a 500; say 400 instead
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return web.json_response({"error": "body is not an activity"}, status=400)
        if local and not (is_loopback_host(request.remote) and urls.allows(body.get("serviceUrl"))):
            # unauthenticated: only this machine may talk, and only about this machine
            log.warning("teams local mode: refused an activity from or for another host")
            return web.json_response(LOCAL_ONLY, status=403)
        try:
            response = await adapter.process(request, bot)
        except (PyJWTError, IndexError):
            # a token botbuilder could not verify (bad signature, unknown key): not a 500
            log.warning("teams: refused an activity whose token could not be verified")
            return web.json_response({"error": "unauthorized"}, status=401)
        return response or web.Response(status=201)

    app.router.add_post("/api/messages", messages)
