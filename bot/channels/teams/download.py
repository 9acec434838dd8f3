"""A large `export` in Teams: one card with a private, expiring download link.

Teams gives bots no plain file attachment (only the OneDrive file-consent flow), and a
big export in code blocks would be hundreds of messages. So an export larger than a few
messages is offered as a link to `GET /teams/export/<token>`: the token is signed
(`bot.core.signed`, its own purpose), names the tenant and user, and expires after
`LINK_MINUTES`; the file is built when the link is opened, from what is stored then.
Without a link secret (RAPPORT_LINK_SECRET or an encryption key) the parts are sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.channels.teams.cards import CARD_CONTENT_TYPE, CARD_VERSION, SCHEMA
from bot.core.clock import Clock
from bot.core.signed import BadToken, ExpiredToken, Signer
from bot.service.api import Actor
from bot.web import with_page_headers

log = logging.getLogger(__name__)

PURPOSE = "teams-export"
LINK_MINUTES = 60
INLINE_MAX_BYTES = 40_000  # up to this, the file comes as code blocks (a few messages)
ROUTE = "/teams/export/{token}"


@dataclass(frozen=True)
class Downloads:
    signer: Signer
    base_url: str
    clock: Clock

    def wanted(self, content: bytes) -> bool:
        return len(content) > INLINE_MAX_BYTES

    def link(self, actor: Actor) -> str:
        expires = self.clock.now() + timedelta(minutes=LINK_MINUTES)
        token = self.signer.sign(PURPOSE, {"t": actor.tenant, "u": actor.user}, expires)
        return f"{self.base_url}/teams/export/{token}"

    def card(self, actor: Actor, filename: str, size: int) -> Activity:
        megabytes = f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size // 1000} KB"
        content: dict[str, Any] = {
            "type": "AdaptiveCard",
            "$schema": SCHEMA,
            "version": CARD_VERSION,
            "body": [
                {
                    "type": "TextBlock",
                    "wrap": True,
                    "text": f"Your data is {megabytes}, too long to show in chat. The link "
                    f"below downloads it as one file; it works for {LINK_MINUTES} minutes, "
                    "and anyone with it could open it, so keep it to yourself.",
                }
            ],
            "actions": [
                {"type": "Action.OpenUrl", "title": f"Download {filename}", "url": self.link(actor)}
            ],
        }
        return Activity(
            type=ActivityTypes.message,
            summary=f"Download {filename}",
            attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=content)],
        )

    def route(self, rapport: Any) -> web.RouteDef:
        async def download(request: web.Request) -> web.StreamResponse:
            try:
                claims = self.signer.verify(PURPOSE, request.match_info["token"], self.clock.now())
                actor = Actor(str(claims["t"]), str(claims["u"]))
            except ExpiredToken:
                return with_page_headers(web.Response(status=410, text="This link has expired."))
            except (BadToken, KeyError):
                return with_page_headers(web.Response(status=404, text="Not found."))
            attachment = await rapport.export_file(actor)
            if attachment is None:
                return with_page_headers(
                    web.Response(status=503, text="Please try again in a moment.")
                )
            response = web.Response(body=attachment.content, content_type="application/json")
            response.headers["Content-Disposition"] = (
                f'attachment; filename="{attachment.filename}"'
            )
            return with_page_headers(response)

        return web.get(ROUTE, download)
