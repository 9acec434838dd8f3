"""The aiohttp app: one server for Slack, Teams, health and metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.config import Settings
from bot.service.app import Rapport

RAPPORT_KEY = web.AppKey("rapport", Rapport)

# Pages and images the bot serves to browsers (client page, charts): nothing from elsewhere,
# no framing, no caching, and the signed path never leaks in a Referer.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def with_page_headers(response: web.StreamResponse) -> web.StreamResponse:
    """Give a browser-facing response the strict headers above."""
    response.headers.update(PAGE_HEADERS)
    return response


async def healthz(request: web.Request) -> web.Response:
    rapport = request.app[RAPPORT_KEY]
    if await rapport.healthy():
        return web.json_response({"status": "ok", "redis": "ok"})
    return web.json_response({"status": "unavailable", "redis": "down"}, status=503)


async def metrics(_request: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(rapport: Rapport, settings: Settings) -> web.Application:
    """Routes for every enabled channel. Channels mount themselves; this file knows no platform."""
    app = web.Application(client_max_size=1024 * 1024)
    app[RAPPORT_KEY] = rapport
    from bot.channels import clientpage  # noqa: PLC0415 - it imports this module's headers

    clientpage.mount(app, rapport, settings)  # the client's page (client ratings)
    app.router.add_get("/healthz", healthz)
    if settings.metrics_port is None:  # else on a port of its own: `create_metrics_app`
        app.router.add_get("/metrics", metrics)
    from bot import web_charts  # noqa: PLC0415 - it imports this module's helpers

    web_charts.mount(app)
    if settings.slack_enabled:
        from bot.channels import slack  # noqa: PLC0415 - optional channel

        slack.mount(app, rapport, settings)
    if settings.teams_enabled:
        from bot.channels import teams  # noqa: PLC0415 - optional channel

        teams.mount(app, rapport, settings)
    return app


def create_metrics_app() -> web.Application:
    """`/metrics` alone, for METRICS_PORT: off the public port, and served by workers too."""
    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app
