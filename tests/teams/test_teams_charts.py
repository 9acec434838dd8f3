"""Charts in Teams: `history` answers in text, then an Adaptive Card with an Image element
(its URL signed, its alt text the chart's facts) in the same conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests.teams.conftest import serve_teams

from .connector import FakeConnector, inputs
from .harness import TeamsBot, shown

PUBLIC = "https://rapport.example.org"


@pytest.fixture
async def teams(redis, clock, connector: FakeConnector) -> AsyncIterator[TeamsBot]:
    """The conftest's bot, with a public URL and a link secret: charts are linked."""
    settings = Settings(
        teams_enabled=True,
        teams_local_mode=True,
        allow_plaintext=True,
        public_url=PUBLIC,
        link_secret_raw="teams",
    )
    async with serve_teams(settings, redis, clock, connector) as bot:
        yield bot


async def _answer_one(teams: TeamsBot) -> None:
    await teams.say(1, "add Sam sessions=8")
    await teams.say(1, "log Sam")
    before = len(teams.connector.posted)
    await teams.rapport.run_due()
    (card,) = teams.connector.posted[before:]
    values = {i["id"]: "4" if i["type"] == "Input.ChoiceSet" else "fine" for i in inputs(card.card)}
    submit = next(
        a
        for b in card.card["body"]
        if b["type"] == "ActionSet"
        for a in b["actions"]
        if a["data"].get("rapport") == "submit"
    )
    await teams.press(1, card, {**values, **submit["data"]})


def _images(card: dict) -> list[dict]:
    return [b for b in card["body"] if b["type"] == "Image"]


async def test_history_is_followed_by_a_card_with_the_chart_and_its_alt_text(teams) -> None:
    await _answer_one(teams)
    text, chart = await teams.say(1, "history Sam")
    assert "Check-ins answered: 1 of 1" in shown(text)
    (image,) = _images(chart.card)
    assert image["url"].startswith(f"{PUBLIC}/charts/") and image["url"].endswith(".png")
    assert "Sam" in image["altText"] and "Overall by session: 1: 75%" in image["altText"]
    assert chart.conversation == text.conversation


async def test_a_history_asked_in_a_channel_sends_text_and_chart_privately(teams) -> None:
    await _answer_one(teams)
    posts = await teams.say_in_channel(1, "history Sam")
    notices = [p for p in posts if "private chat" in shown(p)]
    assert len(notices) == 1  # said once, for the text; the chart follows without a word
    private = [p for p in posts if p.card and _images(p.card)]
    assert len(private) == 1 and private[0].conversation != notices[0].conversation
