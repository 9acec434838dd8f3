"""A fake Bot Connector service on 127.0.0.1: what Teams does with the bot's outbound calls.

It records every activity the bot posts, replies with or updates, and creates
conversations (the 1:1 chat the bot opens to answer privately). Activities it is sent are
stored as the JSON the bot sent, so tests read exactly what Teams would render.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class Posted:
    conversation: str
    id: str
    body: dict[str, Any]
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> dict[str, Any]:
        """What the user sees now: the latest update, or the original."""
        return self.updates[-1] if self.updates else self.body

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.current.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                return attachment["content"]
        return None

    @property
    def text(self) -> str:
        return self.current.get("text") or ""


class FakeConnector:
    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.created: list[dict[str, Any]] = []
        self.unknown_updates: list[tuple[str, str]] = []
        self.throttle = 0  # answer the next n posts with 429 Too Many Requests
        self.forbid = False  # answer posts with 403, as when a user has blocked the bot
        self.throttled = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server ----------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._put)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _create(self, request: web.Request) -> web.Response:
        params = await request.json()
        self.created.append(params)
        members = params.get("members") or [{}]
        conversation = f"a:personal-{members[0].get('id', 'unknown')}"
        return web.json_response({"id": conversation, "activityId": None})

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.forbid:
            return web.json_response({"error": {"code": "BotDisabledByAdmin"}}, status=403)
        if self.throttle > 0:
            self.throttle -= 1
            self.throttled += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests"}}, status=429, headers={"Retry-After": "2"}
            )
        activity_id = f"act-{next(self._ids)}"
        self.posted.append(Posted(request.match_info["cid"], activity_id, body))
        return web.json_response({"id": activity_id})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        conversation, activity_id = request.match_info["cid"], request.match_info["aid"]
        for posted in self.posted:
            if posted.id == activity_id and posted.conversation == conversation:
                posted.updates.append(body)
                break
        else:
            self.unknown_updates.append((conversation, activity_id))
            return web.json_response({"error": "no such activity"}, status=404)
        return web.json_response({"id": activity_id})

    # --- reading what was sent -----------------------------------------------------
    def in_conversation(self, conversation: str) -> list[Posted]:
        return [p for p in self.posted if p.conversation == conversation]

    def last(self, conversation: str) -> Posted:
        found = self.in_conversation(conversation)
        assert found, f"nothing was posted to {conversation}"
        return found[-1]

    def clear(self) -> None:
        self.posted.clear()
        self.created.clear()


# --- reading cards -------------------------------------------------------------------
def unescape(text: str) -> str:
    """Markdown as a reader sees it: backslash escapes resolved, emphasis markers kept."""
    out, chars = [], iter(text)
    for ch in chars:
        out.append(next(chars, "") if ch == "\\" else ch)
    return "".join(out)


def _walk(element: Any) -> Any:
    if isinstance(element, dict):
        yield element
        for key in ("body", "items", "columns", "actions"):
            for child in element.get(key) or []:
                yield from _walk(child)
    elif isinstance(element, list):
        for child in element:
            yield from _walk(child)


def card_text(card: dict[str, Any]) -> str:
    """Every text a user reads on the card, one line each, markdown escapes resolved."""
    lines = []
    for element in _walk(card):
        kind = element.get("type")
        if kind == "TextBlock":
            lines.append(unescape(element["text"]))
        elif kind == "FactSet":
            lines += [f"{unescape(f['title'])}: {unescape(f['value'])}" for f in element["facts"]]
        elif kind and kind.startswith("Input."):
            lines.append(element.get("label", ""))
    return "\n".join(lines)


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in _walk(card) if str(e.get("type", "")).startswith("Input.")]


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in _walk(card) if str(e.get("type", "")).startswith("Action.")]
