"""The client's page: served by the bot's own aiohttp app under RAPPORT_PUBLIC_URL.

`GET /client/<token>` shows the four questions (and the answer so far), `POST` stores the
answer and shows a thank-you page. Plain HTML and CSS from the app (no script, no
third-party asset), strict headers (bot/web.py `PAGE_HEADERS`: CSP, no referrer, no
framing, no-store). The form carries a CSRF token signed for this link and bound to a
cookie nonce (SameSite=Strict). A forged, altered or unknown token gets a friendly 404,
a closed one a 410; requests are limited per token and per address (429). This module only
translates: every decision is bot/service/client.py's.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from bot.channels.clientpage import html
from bot.config import Settings
from bot.core.client import ClientWords
from bot.service import client as client_side
from bot.service.app import Rapport
from bot.web import with_page_headers

COOKIE = "rapport_form"
CSS = (Path(__file__).parent / "client.css").read_bytes()


class ClientPages:
    def __init__(
        self,
        rapport: Rapport,
        secure: bool,
        per_token: int = client_side.PER_TOKEN,
        per_address: int = client_side.PER_ADDRESS,
    ) -> None:
        self.ctx = rapport.ctx
        self.secure = secure
        self.per_token = per_token
        self.per_address = per_address

    @property
    def words(self) -> ClientWords:
        return client_side.side(self.ctx).words

    def _page(self, body: str, status: int = 200) -> web.Response:
        response = web.Response(text=body, status=status, content_type="text/html")
        return with_page_headers(response)  # type: ignore[return-value]

    def _closed(self, status: int) -> web.Response:
        key = {404: "unknown", 410: "gone", 429: "slow", 503: "busy"}[status]
        page = self._page(
            html.message_page(self.words.on_page(f"{key}_title"), self.words.on_page(key)), status
        )
        if status in (429, 503):
            page.headers["Retry-After"] = str(client_side.RATE_WINDOW if status == 429 else 30)
        return page

    async def _allowed(self, request: web.Request, token: str) -> bool:
        address = request.remote or "unknown"
        return await client_side.allowed(self.ctx, token, address, self.per_token, self.per_address)

    def _form(
        self,
        request: web.Request,
        page: client_side.Page,
        status: int = 200,
        problem: str | None = None,
    ) -> web.Response:
        token = request.match_info["token"]
        nonce = request.cookies.get(COOKIE) or secrets.token_urlsafe(16)
        csrf = client_side.form_token(self.ctx, token, nonce)
        body = html.form_page(self.words, page, request.path, csrf, problem)
        response = self._page(body, status)
        response.set_cookie(
            COOKIE,
            nonce,
            max_age=client_side.FORM_HOURS * 3600,
            path=client_side.PATH,
            httponly=True,
            secure=self.secure,
            samesite="Strict",
        )
        return response

    async def show(self, request: web.Request) -> web.Response:
        try:
            return await self._show(request)
        except client_side.Unavailable:
            return self._closed(503)

    async def send(self, request: web.Request) -> web.Response:
        try:
            return await self._send(request)
        except client_side.Unavailable:
            return self._closed(503)

    async def _show(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not await self._allowed(request, token):
            return self._closed(429)
        page = await client_side.open_page(self.ctx, token)
        if isinstance(page, client_side.Closed):
            return self._closed(page.status)
        return self._form(request, page)

    async def _send(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not await self._allowed(request, token):
            return self._closed(429)
        form = await request.post()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        nonce = request.cookies.get(COOKIE, "")
        if not client_side.form_ok(self.ctx, token, nonce, values.get("csrf", "")):
            page = await client_side.open_page(self.ctx, token)
            if isinstance(page, client_side.Closed):
                return self._closed(page.status)
            kept = replace(page, values=html.values_of(values))
            return self._form(request, kept, 403, self.words.on_page("expired_form"))
        result = await client_side.submit(self.ctx, token, html.values_of(values))
        if isinstance(result, client_side.Closed):
            return self._closed(result.status)
        if isinstance(result, client_side.Page):
            return self._form(request, result, 400)
        return self._page(html.thanks_page(self.words, result.until))

    async def stylesheet(self, _request: web.Request) -> web.Response:
        response = web.Response(body=CSS, content_type="text/css")
        return with_page_headers(response)  # type: ignore[return-value]


def mount(app: web.Application, rapport: Rapport, settings: Settings, **limits: int) -> ClientPages:
    pages = ClientPages(rapport, settings.public_url.startswith("https://"), **limits)
    app.router.add_get(html.STYLESHEET, pages.stylesheet)
    app.router.add_get(client_side.PATH + "{token}", pages.show)
    app.router.add_post(client_side.PATH + "{token}", pages.send)
    return pages
