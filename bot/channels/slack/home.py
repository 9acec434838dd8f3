"""The App Home tab: the practitioner's overview, published when they open it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.people import People
from bot.channels.slack.render import home_view
from bot.service.api import Actor

log = logging.getLogger(__name__)


async def publish_home(rapport: Any, actor: Actor, client: AsyncWebClient) -> None:
    overview = await rapport.home(actor)
    await client.views_publish(user_id=actor.user, view=home_view(overview))


def register(app: AsyncApp, rapport: Any, people: People) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], context: Any, client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to draw
        await publish_home(rapport, await people.actor(context, client), client)
