"""The Slack channel: slack-bolt on Rapport's one aiohttp server (or Socket Mode).

A translator only: Slack requests become `Rapport` calls, core messages become Block Kit
(in `render`, the one place that builds it). Nothing here talks to Redis.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import checkin, commands, home, oauth
from bot.channels.slack.dedupe import retry_guard
from bot.channels.slack.notifier import PACE_SECONDS, Pacer, SlackNotifier
from bot.channels.slack.people import People
from bot.config import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
BOLT_KEY = web.AppKey("slack_bolt", AsyncApp)


def web_client(settings: Settings) -> AsyncWebClient:
    """Every Web API call (auth.test included) goes to SLACK_API_URL.

    Transient failures are retried in place: a 429 after its Retry-After, a 500/503 after a
    short backoff (0.5s, 1s, 2s, with jitter), a dropped connection likewise. They share one
    count per call; when it runs out, the error reaches the due-queue, which retries the job
    later with its own, longer backoff.
    """
    base_url = settings.slack_api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=3),
        ],
    )


# What bolt would read from the environment by itself, behind the settings' back: with
# SLACK_BOT_TOKEN set it warns that `client` and `token` were both given, and with
# SLACK_CLIENT_ID/SECRET set it would switch on an OAuth flow of its own, on files.
BOLT_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_REDIRECT_URI",
    "SLACK_INSTALL_PATH",
    "SLACK_REDIRECT_URI_PATH",
    "SLACK_VERIFICATION_TOKEN",
)


@contextmanager
def _settings_only() -> Iterator[None]:
    """Build bolt from Rapport's settings alone (config.py read the environment once)."""
    hidden = {name: os.environ.pop(name) for name in BOLT_ENV if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def build(
    rapport: Any, settings: Settings, *, pace: float = PACE_SECONDS
) -> tuple[AsyncApp, SlackNotifier]:
    """The bolt app with every listener, and the notifier that sends through it."""
    client = web_client(settings)
    bolt_log = logging.getLogger("bot.channels.slack.bolt")
    tokens = None
    with _settings_only():
        if settings.slack_multi_workspace:
            store, states = rapport.slack_stores()
            flow = oauth.oauth_flow(rapport, settings, client, store, states)
            # The store given to the app too: bolt then authorizes (and refreshes rotating
            # tokens) with `client`, so with SLACK_API_URL, not a client of its own.
            app = AsyncApp(
                client=client,
                signing_secret=settings.slack_signing_secret or "",
                installation_store=store,
                oauth_flow=flow,
                oauth_settings=flow.settings,
                logger=bolt_log,
            )
            oauth.register_revocation(app, rapport, store)
            tokens = oauth.Tokens(store, client, settings)
        else:
            app = AsyncApp(
                client=client,
                # Request verification stays on: an HTTP request needs Slack's signature.
                # Socket Mode requests come over Slack's own authenticated socket instead.
                signing_secret=settings.slack_signing_secret or "",
                logger=bolt_log,
            )
            oauth.register_uninstall_notice(app)
    notifier = SlackNotifier(client, Pacer(interval=pace), tokens=tokens)
    people = People(rapport, rapport.clock, org_wide=settings.slack_multi_workspace)
    app.middleware(retry_guard(rapport, org_wide=settings.slack_multi_workspace))
    commands.register(app, rapport, people, notifier)
    checkin.register(app, rapport, people, notifier)
    home.register(app, rapport, people)
    return app, notifier


def mount(
    app: web.Application, rapport: Any, settings: Settings, *, pace: float = PACE_SECONDS
) -> None:
    """Serve Slack on `app`: POST /slack/events, or a Socket Mode connection."""
    bolt, notifier = build(rapport, settings, pace=pace)
    app[BOLT_KEY] = bolt
    rapport.register("slack", notifier)
    if settings.socket_mode:
        _connect_socket_mode(app, bolt, settings.slack_app_token or "")
        return

    async def slack_events(request: web.Request) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, AttributeError, KeyError):
            bolt_request = None
        if bolt_request is None or not isinstance(bolt_request.body, dict):
            # bolt parses the body before it checks the signature, and a body that is not
            # what Slack sends (`payload=0`, `payload=[]`) makes it raise: refuse it, quietly.
            log.info("refused a Slack request whose body is not a Slack payload")
            return web.json_response({"error": "malformed request"}, status=400)
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    app.router.add_post(EVENTS_PATH, slack_events)
    if settings.slack_multi_workspace and bolt.oauth_flow is not None:
        flow = bolt.oauth_flow

        async def install(request: web.Request) -> web.Response:
            answer = await flow.handle_installation(await to_bolt_request(request))
            return await to_aiohttp_response(answer)

        async def redirect(request: web.Request) -> web.Response:
            answer = await flow.handle_callback(await to_bolt_request(request))
            return await to_aiohttp_response(answer)

        app.router.add_get(oauth.INSTALL_PATH, install)
        app.router.add_get(oauth.REDIRECT_PATH, redirect)


def _connect_socket_mode(app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    # Imported here: the websocket client is only needed in Socket Mode.
    from slack_bolt.adapter.socket_mode.async_handler import (  # noqa: PLC0415
        AsyncSocketModeHandler,
    )

    handler = AsyncSocketModeHandler(bolt, app_token)

    async def connect(_app: web.Application) -> None:
        # connect_async, not start_async: the latter blocks forever on a shared loop.
        await handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def disconnect(_app: web.Application) -> None:
        await handler.close_async()

    app.on_startup.append(connect)
    app.on_cleanup.append(disconnect)


__all__ = ["mount", "build", "web_client", "EVENTS_PATH"]
