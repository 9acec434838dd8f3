"""Faults found by checking the Slack rendering from outside: option texts, button styles."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.slack import render
from bot.channels.teams import cards
from bot.config import Settings
from bot.core.checkins import build_form
from bot.core.models import CheckIn, Relationship
from bot.core.prompts import load_prompts
from bot.core.rubric import load_rubric
from bot.core.views.replies import forget_confirm

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _review_modal() -> dict:
    settings = Settings()
    rubric, prompts = load_rubric(settings.rubric_path), load_prompts(settings.prompts_dir)
    asked = tuple(c.id for c in rubric.contrasts)
    rel = Relationship("r1", "slack:T1", "U1", "Sam", "UTC", NOW, NOW)
    review = CheckIn("r1", 1, "annual", 4, NOW, NOW, asked)
    return render.modal(build_form(rubric, prompts, rel, review), {"ref": "r1:1"})


def test_no_option_text_is_cut_inside_a_word() -> None:
    modal = _review_modal()
    options = [
        (o["text"]["text"], b["hint"]["text"])
        for b in modal["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "radio_buttons"
        for o in b["element"]["options"]
    ]
    assert len(options) == 17 * 5  # sixteen contrasts and "Am I being helpful?"
    clipped = [(text, hint) for text, hint in options if text.endswith("…")]
    assert clipped, "the longest pole (investing_in_us) needs clipping"
    for text, hint in options:
        assert len(text) <= render.OPTION_TEXT_MAX
        if not text.startswith(("1 · ", "5 · ")):
            continue  # the middle options are short words of our own
        words = text.removesuffix("…").split(" · ", 1)[1].split()
        pole_words = hint.replace("·", " ").split()
        # every word shown is a whole word of the pole (the hint shows the pole in full)
        assert all(w in pole_words for w in words), (text, hint)
    assert any(
        t.startswith("5 · We invest in a relationship strong enough for this and")
        for t, _ in clipped
    )


def test_delete_for_good_is_red_in_slack_and_destructive_in_teams() -> None:
    settings = Settings()
    message = forget_confirm(load_prompts(settings.prompts_dir), "Sam", "tok")
    slack_buttons = [
        e for b in render.blocks(message) if b["type"] == "actions" for e in b["elements"]
    ]
    styles = {e["text"]["text"]: e.get("style") for e in slack_buttons}
    assert styles == {"Delete for good": "danger", "Keep it": None}
    card = cards.card(message)
    actions = [a for b in card["body"] if b["type"] == "ActionSet" for a in b["actions"]]
    assert {a["title"]: a.get("style") for a in actions} == {
        "Delete for good": "destructive",
        "Keep it": None,
    }
