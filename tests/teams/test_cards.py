"""Adaptive Card and markdown rendering of core messages and forms."""

from __future__ import annotations

import json
import re

import pytest

from bot.channels.teams import cards
from bot.core.messages import (
    Action,
    Actions,
    Attachment,
    Bullets,
    Button,
    Divider,
    Fields,
    Form,
    Heading,
    Message,
    Paragraph,
    RatingQuestion,
    Span,
    TextQuestion,
    text,
)

from .connector import actions, card_text, inputs, unescape

CHECKIN = Form(
    ref="ref-123",
    title="Check-in: Sam",
    intro="Session 3 with Sam. Under a minute.",
    questions=(
        RatingQuestion("c1", "Whose view shapes the work?", "Mine alone", "Built together"),
        RatingQuestion("helpful", "Am I being helpful?", "Not at all", "Very much"),
        TextQuestion("takeaway", "What will the client take away from today?"),
    ),
)


def test_rating_question_has_five_choices_valued_1_to_5_naming_both_poles() -> None:
    card = cards.card(Message(summary="Check-in", kind="checkin", form=CHECKIN))
    choice_sets = [i for i in inputs(card) if i["type"] == "Input.ChoiceSet"]
    assert [c["id"] for c in choice_sets] == ["c1", "helpful"]
    for question, choice_set in zip(CHECKIN.questions, choice_sets, strict=False):
        values = [c["value"] for c in choice_set["choices"]]
        assert values == ["1", "2", "3", "4", "5"]
        titles = [c["title"] for c in choice_set["choices"]]
        assert question.low in titles[0] and question.high in titles[4]
        assert choice_set["isMultiSelect"] is False and choice_set["isRequired"] is True


def test_text_question_is_multiline_and_capped_at_3000() -> None:
    card = cards.card(Message(summary="Check-in", kind="checkin", form=CHECKIN))
    (text_input,) = [i for i in inputs(card) if i["type"] == "Input.Text"]
    assert text_input["id"] == "takeaway"
    assert text_input["isMultiline"] is True and text_input["maxLength"] == 3000
    assert text_input["isRequired"] is False


def test_submit_carries_the_form_ref_and_the_open_button_is_dropped() -> None:
    message = Message(
        summary="Time for a check-in",
        blocks=(
            Paragraph((Span("Session 3 with Sam is done."),)),
            Actions((Button("Open check-in", Action.OPEN_FORM, "ref-123"),)),
        ),
        kind="checkin",
        form=CHECKIN,
    )
    card = cards.card(message)
    submits = [a for a in actions(card) if a["type"] == "Action.Submit"]
    assert [a["data"] for a in submits] == [{"rapport": "submit", "ref": "ref-123"}]
    assert "Session 3 with Sam is done." in card_text(card)
    assert card["version"] == "1.4" and card["type"] == "AdaptiveCard"


def test_initial_values_fill_the_form_when_editing() -> None:
    form = Form(
        ref="r",
        title="Edit",
        intro="",
        questions=(
            RatingQuestion("c1", "Q", "low", "high", initial=4),
            TextQuestion("note", "Note", initial="kept"),
        ),
    )
    rating, note = inputs(cards.form_card(form))
    assert rating["value"] == "4" and note["value"] == "kept"


def test_a_review_uses_drop_downs_so_it_stays_short() -> None:
    questions = tuple(RatingQuestion(f"c{n}", f"Q{n}", "lo", "hi") for n in range(1, 17))
    form = Form(ref="rev", title="Review", intro="", questions=questions)
    choice_sets = inputs(cards.form_card(form))
    assert len(choice_sets) == 16 and {c["style"] for c in choice_sets} == {"compact"}
    assert all([o["value"] for o in c["choices"]] == list("12345") for c in choice_sets)


def test_blocks_become_text_facts_and_buttons() -> None:
    message = Message(
        summary="Forget Sam?",
        blocks=(
            Heading("Forget Sam?"),
            Fields((("Sessions", "6"), ("Band", "developing"))),
            Divider(),
            Bullets(((Span("one"),), (Span("two", bold=True),))),
            Actions(
                (
                    Button("Forget", Action.CONFIRM_FORGET, "tok-1"),
                    Button("Keep", Action.CANCEL_FORGET, "tok-1", primary=False),
                )
            ),
        ),
    )
    card = cards.card(message)
    shown = card_text(card)
    assert "Sessions: 6" in shown and "Band: developing" in shown and "**two**" in shown
    assert [a["data"] for a in actions(card)] == [
        {"rapport": "button", "action": "confirm_forget", "value": "tok-1"},
        {"rapport": "button", "action": "cancel_forget", "value": "tok-1"},
    ]
    bullets = [b for b in card["body"] if b["type"] == "TextBlock" and "one" in b["text"]]
    assert bullets[0].get("separator") is True  # the divider draws a line above the bullets


def test_user_text_cannot_become_markup_a_link_or_a_mention() -> None:
    hostile = "**Sam** [x](https://evil) <at>everyone</at> <b>hi</b> _y_ `z` # h &amp;"
    for rendered in (
        cards.to_activity(text(hostile)).text,
        cards.card(Message(summary="s", blocks=(Fields((("Alias", hostile),)),)))["body"][0][
            "facts"
        ][0]["value"],
    ):
        # every markup character is escaped, and the reader still sees the literal text
        assert re.search(r"(?<!\\)[*\[\]<>_`&#]", rendered) is None, rendered
        assert unescape(rendered) == hostile


def test_line_start_markers_are_escaped() -> None:
    rendered = cards.escape_markdown("- not a list\n1. not numbered\n+ nor this")
    assert unescape(rendered) == "- not a list\n1. not numbered\n+ nor this"
    assert not any(line[:1] in "-+1" for line in rendered.splitlines())


def test_plain_replies_are_markdown_text_and_rich_ones_are_cards() -> None:
    plain = cards.to_activity(text("Added Sam."))
    assert unescape(plain.text) == "Added Sam."
    assert not plain.attachments and plain.text_format == "markdown"
    rich = cards.to_activity(Message(summary="s", blocks=(Fields((("a", "b"),)),)))
    assert rich.attachments[0].content_type == cards.CARD_CONTENT_TYPE
    assert rich.summary == "s"


def test_export_is_valid_json_in_code_blocks_without_markup() -> None:
    data = {"relationships": [{"alias": "<!channel> ```x``` & co", "notes": "n" * 50_000}]}
    attachment = Attachment("rapport-export.json", json.dumps(data).encode())
    activities = cards.file_activities(attachment)
    assert len(activities) == 5  # about 50 kB, in parts of 12,000 characters
    bodies = []
    for n, activity in enumerate(activities, start=1):
        header, _, rest = activity.text.partition("\n\n")
        assert f"part {n} of 5" in header
        assert rest.startswith("```\n") and rest.endswith("\n```")
        inner = rest[4:-4]
        assert "`" not in inner and "<" not in inner and "&" not in inner
        bodies.append(inner)
    assert json.loads("".join(bodies)) == data


def _wire_bytes(activity) -> tuple[int, int]:
    """The activity as posted to the connector: its size in UTF-8 and in UTF-16."""
    wire = json.dumps(activity.serialize(), ensure_ascii=False)
    return len(wire.encode("utf-8")), len(wire.encode("utf-16-le"))


@pytest.mark.parametrize("text", ["plain " * 9_000, "😀" * 20_000, "é" * 30_000, "日本" * 9_000])
def test_every_export_message_is_under_28_kb_in_utf8_and_utf16(text: str) -> None:
    data = {"relationships": [{"alias": "Sam", "checkins": [{"texts": {"takeaway": text}}]}]}
    attachment = Attachment("rapport-export.json", json.dumps(data).encode())
    activities = cards.file_activities(attachment)
    for activity in activities:
        utf8, utf16 = _wire_bytes(activity)
        assert utf8 < 28_000 and utf16 < 28_000, (utf8, utf16)
    code = "".join(a.text.split("```\n", 1)[1].rsplit("\n```", 1)[0] for a in activities)
    assert json.loads(code) == data


def test_small_export_is_one_message() -> None:
    attachment = Attachment("rapport-export.json", b'{"relationships": []}')
    (activity,) = cards.file_activities(attachment)
    assert json.loads(activity.text.split("```\n")[1].rsplit("\n```")[0]) == {"relationships": []}


def test_bold_keeps_spaces_outside_its_markers() -> None:
    message = Message(summary="s", blocks=(Paragraph((Span("Overall: ", bold=True), Span("25%"))),))
    assert cards.markdown(message) == "**Overall:** 25%"
