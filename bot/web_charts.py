"""GET /charts/<signed token>.png: a chart's PNG, for Slack, Teams and browsers.

Altered, forged or unknown paths answer 404, expired ones 410; the token names the tenant
and the chart, and is checked before anything is read, so no path reaches another tenant's
chart. The headers are the pages' own: no caching, no framing, nothing from elsewhere.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.core.signed import BadToken, ExpiredToken
from bot.service.charts import ROUTE, ChartGone
from bot.store.errors import StorageUnavailable
from bot.web import RAPPORT_KEY, with_page_headers

log = logging.getLogger(__name__)


async def chart(request: web.Request) -> web.StreamResponse:
    rapport = request.app[RAPPORT_KEY]
    try:
        png = await rapport.chart_png(request.match_info["token"])
    except ExpiredToken:
        return with_page_headers(web.Response(status=410, text="This chart link has expired."))
    except (BadToken, ChartGone):
        return with_page_headers(web.Response(status=404, text="Not found."))
    except StorageUnavailable:
        return with_page_headers(web.Response(status=503, text="Try again in a moment."))
    return with_page_headers(web.Response(body=png, content_type="image/png"))


def mount(app: web.Application) -> None:
    app.router.add_get(ROUTE, chart)
