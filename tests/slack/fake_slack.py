"""A fake Slack: the Web API the bot calls, and a driver that sends what Slack would send.

`FakeSlack` is a real HTTP server on 127.0.0.1 (aiohttp). It records every call, keeps
the messages it was asked to post per channel, serves the response_url of slash commands
and the upload URL of files_upload_v2, and answers 429 with Retry-After when told to.

`SlackUser` sends signed requests to the bot the way Slack does: slash commands
(form-encoded), interactivity (`payload=` JSON) and events (JSON).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.store.server import free_port

TEAM = "T0RAPPORT"
BOT_USER = "U0BOT"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"


@dataclass
class Call:
    method: str  # a Web API method ("chat.postMessage"), "response_url" or "upload"
    args: dict[str, Any]
    path: str = ""
    token: str = ""  # the bearer token the call came with


@dataclass
class Workspace:
    """A workspace (or, org-wide, an Enterprise Grid org) the app can be installed in."""

    team: str | None
    name: str
    enterprise: str | None = None
    org_wide: bool = False
    rotating: bool = False  # token rotation on: tokens expire and come with a refresh token

    @property
    def tenant(self) -> str:
        return f"slack:{self.enterprise if self.org_wide else self.team}"


CLIENT_ID = "111.222"
CLIENT_SECRET = "client-secret-for-tests"


@dataclass(frozen=True)
class HttpReply:
    """What the bot answered to Slack's HTTP request (the ack)."""

    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions


def sign(secret: str, body: str, timestamp: int) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def dm_of(user: str) -> str:
    return "D" + user


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.posted: dict[str, list[Posted]] = defaultdict(list)
        self.responses: list[dict[str, Any]] = []  # bodies POSTed to response_urls
        self.views: list[dict[str, Any]] = []  # views.open
        self.home: dict[str, dict[str, Any]] = {}  # user -> published home view
        self.uploads: dict[str, bytes] = {}
        self.files: list[dict[str, Any]] = []  # completed uploads with their channel
        self.tz: dict[str, str] = {}
        self._limits: dict[str, list[int]] = defaultdict(list)  # method -> Retry-After values
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._changed = asyncio.Condition()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        # OAuth: the codes Slack's consent page would hand out, the tokens it issued
        self.codes: dict[str, Workspace] = {}
        self.tokens: dict[str, Workspace] = {}  # valid bot tokens -> their workspace
        self.refresh_tokens: dict[str, Workspace] = {}
        self.revoked: list[str] = []  # tokens replaced by a refresh (no longer valid)
        self.missing_response_urls: set[str] = set()  # response_url keys answering 404
        self._minted = itertools.count(1)

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # --- test controls -----------------------------------------------------------------
    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls of `method` get 429 with this Retry-After."""
        self._limits[method].extend([retry_after] * times)

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def consent(self, workspace: Workspace) -> str:
        """A user clicks "Allow" on Slack's consent page: the code it redirects with."""
        code = f"code-{next(self._minted)}"
        self.codes[code] = workspace
        return code

    def _mint(self, workspace: Workspace) -> dict[str, Any]:
        n = next(self._minted)
        who = workspace.enterprise if workspace.org_wide else workspace.team
        token = f"xoxb-{who}-{n}"
        self.tokens[token] = workspace
        grant: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if workspace.rotating:
            refresh = f"xoxe-1-{who}-{n}"
            self.refresh_tokens[refresh] = workspace
            # Under bolt's two hours: the first use refreshes it.
            grant.update(refresh_token=refresh, expires_in=60)
        return grant

    def token_of(self, workspace: Workspace) -> str:
        """The workspace's current bot token."""
        return [t for t, w in self.tokens.items() if w is workspace][-1]

    def dm(self, user: str) -> list[Posted]:
        return self.posted[dm_of(user)]

    async def wait_for(
        self, ready: Callable[[], Any], timeout: float = 10.0, what: str = "a Slack call"
    ) -> Any:
        """Until `ready()` is truthy: the bot answers from background tasks (lazy listeners)."""

        async def until() -> Any:
            async with self._changed:
                while not (result := ready()):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; calls: {self.summary()}") from None

    async def settle(self, rounds: int = 20) -> None:
        """Let the bot's background tasks run until it stops calling us."""
        for _ in range(rounds):
            seen = len(self.calls)
            for _ in range(5):
                await asyncio.sleep(0)
            await asyncio.sleep(0.02)
            if len(self.calls) == seen:
                return

    def summary(self) -> list[str]:
        return [c.method for c in self.calls]

    # --- the server --------------------------------------------------------------------
    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        if self._limits.get(method):
            retry_after = self._limits[method].pop(0)
            await self._record(Call(method + " (429)", args))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if method == "oauth.v2.access":  # the app's own credentials, no bearer token
            answer = self._oauth_v2_access(args, request.headers.get("Authorization", ""))
            await self._record(Call(method, args))
            return web.json_response(answer)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if "token" in args and not bearer:
            bearer = str(args["token"])
        token = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if bearer != token and bearer not in self.tokens:
            await self._record(Call(method, args, token=bearer))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            await self._record(Call(method, args, token=bearer))
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer = handler(args) if method != "auth.test" else self._auth_test(bearer)
        await self._record(Call(method, args, token=bearer))
        return web.json_response(answer)

    def _auth_test(self, token: str) -> dict[str, Any]:
        workspace = self.tokens.get(token)
        if workspace is None:
            return {
                "ok": True,
                "url": "https://rapport-test.slack.com/",
                "team": "Rapport Test",
                "user": "rapport",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0BOT",
            }
        return {
            "ok": True,
            "url": f"https://{workspace.name.lower()}.slack.com/",
            "team": workspace.name,
            "user": "rapport",
            "team_id": workspace.team,
            "enterprise_id": workspace.enterprise,
            "is_enterprise_install": workspace.org_wide,
            "user_id": f"U0BOT{workspace.team or workspace.enterprise}",
            "bot_id": f"B0BOT{workspace.team or workspace.enterprise}",
        }

    def _oauth_v2_access(self, args: Mapping[str, Any], basic: str) -> dict[str, Any]:
        import base64  # noqa: PLC0415

        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("grant_type") == "refresh_token":
            workspace = self.refresh_tokens.pop(str(args.get("refresh_token")), None)
            if workspace is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            for old in [t for t, w in self.tokens.items() if w is workspace]:
                del self.tokens[old]  # a refreshed token replaces the old one
                self.revoked.append(old)
            grant = self._mint(workspace)
            grant["expires_in"] = 43_200
            return {"ok": True, **grant}
        workspace = self.codes.pop(str(args.get("code")), None)
        if workspace is None:
            return {"ok": False, "error": "invalid_code"}
        return {
            "ok": True,
            "app_id": "A0RAPPORT",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write,chat:write.public,im:write,users:read,files:write",
            "bot_user_id": f"U0BOT{workspace.team or workspace.enterprise}",
            "team": None if workspace.org_wide else {"id": workspace.team, "name": workspace.name},
            "enterprise": (
                {"id": workspace.enterprise, "name": f"{workspace.name} Org"}
                if workspace.enterprise
                else None
            ),
            "is_enterprise_install": workspace.org_wide,
            **self._mint(workspace),
        }

    def uninstall(self, workspace: Workspace) -> None:
        """Slack's side of an uninstall: the workspace's tokens stop working."""
        for token in [t for t, w in self.tokens.items() if w is workspace]:
            del self.tokens[token]
            self.revoked.append(token)

    def _apps_connections_open(self, _args: Mapping[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    def _users_info(self, args: Mapping[str, Any]) -> dict[str, Any]:
        user = args["user"]
        return {"ok": True, "user": {"id": user, "tz": self.tz.get(user, "Europe/Berlin")}}

    def _conversations_open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": dm_of(args["users"])}}

    def _chat_postMessage(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = args["channel"]
        ts = f"{1700000000 + next(self._ts)}.000100"
        self.posted[channel].append(
            Posted(channel, ts, args.get("text", ""), list(args.get("blocks") or []))
        )
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_update(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel, ts = args["channel"], args["ts"]
        for message in self.posted[channel]:
            if message.ts == ts:
                message.history.append({"text": message.text, "blocks": message.blocks})
                message.text = args.get("text", "")
                message.blocks = list(args.get("blocks") or [])
                return {"ok": True, "channel": channel, "ts": ts}
        return {"ok": False, "error": "message_not_found"}

    def _views_open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        view = dict(args["view"])
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view["id"] = f"V{len(self.views) + 1}"
        self.views.append(view)
        return {"ok": True, "view": view}

    def _views_publish(self, args: Mapping[str, Any]) -> dict[str, Any]:
        self.home[args["user_id"]] = args["view"]
        return {"ok": True, "view": args["view"]}

    def _files_getUploadURLExternal(self, args: Mapping[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._files)}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: Mapping[str, Any]) -> dict[str, Any]:
        files = [{"id": f["id"], "title": f.get("title")} for f in args["files"]]
        for f in files:
            self.files.append({**f, "channel": args.get("channel_id"), "args": dict(args)})
        return {"ok": True, "files": files}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        await self._record(Call("upload", {"file_id": file_id}, request.path))
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    # --- Socket Mode ------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async with self._changed:
            self._sockets.append(ws)
            self._changed.notify_all()
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                ack = json.loads(msg.data)
                self.socket_acks.append(ack)
                await self._record(Call("socket_ack", ack))
        return ws

    async def socket_send(self, envelope: Mapping[str, Any]) -> None:
        """Send an envelope to the connected bot, as Slack does in Socket Mode."""
        await self.wait_for(lambda: self._sockets, what="the Socket Mode connection")
        await self._sockets[-1].send_json(dict(envelope))

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.match_info["key"] in self.missing_response_urls:  # expired (30 minutes)
            await self._record(Call("response_url (404)", body, request.path))
            return web.Response(status=404, text="no_active_hooks")
        self.responses.append(body)
        await self._record(Call("response_url", body, request.path))
        return web.Response(text="ok")


class SlackUser:
    """One person in the workspace, sending what Slack sends for them, signed."""

    _triggers = itertools.count(1)
    _events = itertools.count(1)

    def __init__(
        self,
        slack: FakeSlack,
        bot_url: str,
        user: str,
        session: aiohttp.ClientSession,
        secret: str = SIGNING_SECRET,
        workspace: Workspace | None = None,
    ) -> None:
        self.slack = slack
        self.bot_url = bot_url
        self.user = user
        self.session = session
        self.secret = secret
        self.workspace = workspace
        self.team = (workspace.team or workspace.enterprise) if workspace else TEAM

    def _grid(self) -> dict[str, Any]:
        """The Enterprise Grid fields of a request, when the user's workspace has them."""
        w = self.workspace
        if w is None or not w.enterprise:
            return {}
        return {"enterprise_id": w.enterprise, "is_enterprise_install": w.org_wide}

    async def post(
        self,
        body: str,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        timestamp: int | None = None,
    ) -> HttpReply:
        # Bolt checks the timestamp against the real clock, so sign with the real time.
        ts = int(time.time()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type, **sign(self.secret, body, ts)}
        all_headers.update(headers or {})
        started = time.perf_counter()
        async with self.session.post(self.bot_url, data=body, headers=all_headers) as resp:
            answer = await resp.text()
            return HttpReply(resp.status, answer, time.perf_counter() - started)

    def _payload_grid(self) -> dict[str, Any]:
        w = self.workspace
        if w is None or not w.enterprise:
            return {}
        return {"enterprise": {"id": w.enterprise}, "is_enterprise_install": w.org_wide}

    def trigger(self) -> str:
        return f"{next(self._triggers)}.42.abcdef"

    def command_body(self, text: str, channel: str | None = None) -> str:
        channel = channel or dm_of(self.user)
        key = f"{self.user}-{next(self._triggers)}"
        grid = {k: str(v).lower() if isinstance(v, bool) else v for k, v in self._grid().items()}
        return urlencode(
            {
                **grid,
                "token": "legacy",
                "team_id": self.team,
                "team_domain": "rapport-test",
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "team",
                "user_id": self.user,
                "user_name": self.user.lower(),
                "command": "/checkin",
                "text": text,
                "api_app_id": "A0RAPPORT",
                "response_url": f"{self.slack.url}/response/{key}",
                "trigger_id": self.trigger(),
            }
        )

    async def command(self, text: str, channel: str | None = None, **kw: Any) -> HttpReply:
        body = self.command_body(text, channel)
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def ask(self, text: str, channel: str | None = None) -> dict[str, Any]:
        """A command and the reply the bot sends to its response_url."""
        before = len(self.slack.responses)
        resp = await self.command(text, channel)
        assert resp.status == 200, resp.status
        await self.slack.wait_for(
            lambda: len(self.slack.responses) > before, what=f"the reply to {text!r}"
        )
        return self.slack.responses[before]

    async def interact(self, payload: Mapping[str, Any]) -> HttpReply:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    def _who(self) -> dict[str, Any]:
        return {"id": self.user, "username": self.user.lower(), "team_id": self.team}

    async def click(self, message: Posted, action: str | None = None, index: int = 0) -> HttpReply:
        """Click a button of a message the bot posted (the first, or the one with `action`)."""
        buttons = [
            e
            for b in message.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if action is None or e["action_id"].split(":")[0] == action
        ]
        button = buttons[index]
        payload = {
            "type": "block_actions",
            "user": self._who(),
            "api_app_id": "A0RAPPORT",
            "token": "legacy",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.trigger(),
            "team": {"id": self.team, "domain": "rapport-test"},
            **self._payload_grid(),
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {"ts": message.ts, "text": message.text, "blocks": message.blocks},
            "response_url": f"{self.slack.url}/response/click-{message.ts}",
            "actions": [
                {
                    "type": "button",
                    "block_id": "b",
                    "action_id": button["action_id"],
                    "value": button["value"],
                    "text": button["text"],
                    "action_ts": "1700000000.1",
                }
            ],
        }
        return await self.interact(payload)

    async def click_reply(
        self, reply: Mapping[str, Any], action: str, key: str = "eph"
    ) -> HttpReply:
        """Click a button in an ephemeral reply (e.g. a `forget` confirmation)."""
        button = next(
            e
            for b in reply.get("blocks", [])
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"].split(":")[0] == action
        )
        payload = {
            "type": "block_actions",
            "user": self._who(),
            "api_app_id": "A0RAPPORT",
            "container": {"type": "message", "message_ts": "1.1", "is_ephemeral": True},
            "trigger_id": self.trigger(),
            "team": {"id": self.team},
            **self._payload_grid(),
            "channel": {"id": dm_of(self.user)},
            "response_url": f"{self.slack.url}/response/{key}",
            "actions": [
                {"type": "button", "action_id": button["action_id"], "value": button["value"]}
            ],
        }
        return await self.interact(payload)

    async def submit(self, view: Mapping[str, Any], values: Mapping[str, str]) -> HttpReply:
        """Submit a modal the bot opened, with question id -> "1".."5" or text."""
        state: dict[str, Any] = {}
        for b in view["blocks"]:
            if b["type"] != "input":
                continue
            element = b["element"]
            value = values.get(b["block_id"])
            if element["type"] in ("radio_buttons", "static_select"):
                chosen = next((o for o in element["options"] if o["value"] == value), None)
                if chosen is None and value is not None:
                    chosen = {"text": {"type": "plain_text", "text": value}, "value": value}
                state[b["block_id"]] = {
                    element["action_id"]: {"type": element["type"], "selected_option": chosen}
                }
            else:
                state[b["block_id"]] = {
                    element["action_id"]: {"type": element["type"], "value": value}
                }
        payload = {
            "type": "view_submission",
            "team": {"id": self.team, "domain": "rapport-test"},
            **self._payload_grid(),
            "user": self._who(),
            "api_app_id": "A0RAPPORT",
            "trigger_id": self.trigger(),
            "view": {**view, "state": {"values": state}},
        }
        return await self.interact(payload)

    async def event(
        self, event: Mapping[str, Any], event_id: str | None = None, **kw: Any
    ) -> HttpReply:
        body = json.dumps(
            {
                **self._grid(),
                "token": "legacy",
                "team_id": self.team,
                "api_app_id": "A0RAPPORT",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._events):08d}",
                "event_time": int(time.time()),
                "event": dict(event),
            }
        )
        return await self.post(body, "application/json", **kw)

    async def open_home(self, **kw: Any) -> HttpReply:
        return await self.event(
            {
                "type": "app_home_opened",
                "user": self.user,
                "channel": dm_of(self.user),
                "tab": "home",
            },
            **kw,
        )
