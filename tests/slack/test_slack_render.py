"""Block Kit rendering of core messages and forms (no network)."""

from __future__ import annotations

import json

from bot.channels.slack.render import (
    FORM_CALLBACK,
    answers,
    blocks,
    escape,
    fallback,
    home_view,
    modal,
)
from bot.core.messages import (
    Action,
    Actions,
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
)


def all_text(rendered: object) -> str:
    return json.dumps(rendered, ensure_ascii=False)


def test_user_text_cannot_ping_or_link() -> None:
    alias = "<!channel> & <https://evil.example|click>"
    message = Message(
        summary=f"History of {alias}",
        blocks=(
            Paragraph((Span("History of "), Span(alias, bold=True))),
            Bullets(((Span(alias),),)),
            Fields((("Alias", alias),)),
        ),
    )
    rendered = all_text(blocks(message)) + fallback(message)
    assert "<!channel>" not in rendered
    assert "<https" not in rendered
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in rendered
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_bold_code_bullets_fields_and_buttons() -> None:
    message = Message(
        summary="s",
        blocks=(
            Heading("Sam"),
            Paragraph((Span("Right form: "), Span("log <alias>", code=True), Span(" now "))),
            Paragraph((Span(" held ", bold=True),)),
            Bullets(((Span("Sam", bold=True), Span(" · 3 of 8")), (Span("Kim"),))),
            Fields((("Sessions held", "3 of 8"), ("Band", "developing"))),
            Divider(),
            Actions(
                (
                    Button("Open check-in", Action.OPEN_FORM, "rel1:3"),
                    Button("Open review", Action.OPEN_FORM, "rel1:r", primary=False),
                )
            ),
        ),
    )
    out = blocks(message)
    assert out[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Sam", "emoji": True},
    }
    assert out[1]["text"]["text"] == "Right form: `log &lt;alias&gt;` now "
    assert out[2]["text"]["text"] == " *held* "  # markers hug the words or Slack ignores them
    assert out[3]["text"]["text"] == "• *Sam* · 3 of 8\n• Kim"
    assert [f["text"] for f in out[4]["fields"]] == [
        "*Sessions held*\n3 of 8",
        "*Band*\ndeveloping",
    ]
    assert out[5] == {"type": "divider"}
    buttons = out[6]["elements"]
    assert [b["action_id"] for b in buttons] == ["open_form", "open_form:1"]  # unique per block
    assert [b["value"] for b in buttons] == ["rel1:3", "rel1:r"]
    assert buttons[0]["style"] == "primary" and "style" not in buttons[1]


def test_long_text_is_split_within_slack_limits() -> None:
    lines = tuple((Span("x" * 100),) for _ in range(100))
    out = blocks(Message(summary="s", blocks=(Bullets(lines),)))
    assert len(out) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in out)
    assert sum(b["text"]["text"].count("•") for b in out) == 100


def test_a_message_with_a_form_always_has_its_button() -> None:
    form = Form(ref="r1", title="Check-in", intro="", questions=())
    out = blocks(Message(summary="Check-in for Sam", form=form, kind="checkin"))
    assert out[-1]["elements"][0]["action_id"] == Action.OPEN_FORM
    assert out[-1]["elements"][0]["value"] == "r1"


def sample_form() -> Form:
    return Form(
        ref="rel1:4",
        title="Check-in: a very long relationship name",
        intro="Session 4 with <Sam>",
        questions=(
            RatingQuestion(
                "goals",
                "Whose goals shaped the session?",
                "Mine, set for the client",
                "Ours, set together",
                initial=4,
            ),
            RatingQuestion("helpful", "Am I being helpful?", "Not at all", "Very much"),
            TextQuestion("takeaway", "What will the client take away?", initial="Clarity"),
        ),
    )


def test_modal_has_five_options_per_rating_with_both_poles_in_words() -> None:
    view = modal(sample_form(), {"ref": "rel1:4", "ch": "D1", "ts": "1.2"})
    assert view["type"] == "modal" and view["callback_id"] == FORM_CALLBACK
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"ref": "rel1:4", "ch": "D1", "ts": "1.2"}
    assert "&lt;Sam&gt;" in view["blocks"][0]["text"]["text"]
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    goals = inputs["goals"]
    options = goals["element"]["options"]
    assert goals["element"]["type"] == "radio_buttons"
    assert [o["value"] for o in options] == ["1", "2", "3", "4", "5"]
    assert "Mine, set for the client" in options[0]["text"]["text"]
    assert "Ours, set together" in options[4]["text"]["text"]
    assert "Mine, set for the client" in goals["hint"]["text"]
    assert "Ours, set together" in goals["hint"]["text"]
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    assert goals["element"]["initial_option"] == options[3]  # editing shows earlier answers
    assert goals["optional"] is False
    text = inputs["takeaway"]
    assert text["element"]["type"] == "plain_text_input"
    assert text["element"]["multiline"] is True
    assert text["element"]["max_length"] == 3000
    assert text["element"]["initial_value"] == "Clarity"
    assert text["optional"] is True


def test_answers_read_back_from_view_state() -> None:
    state = {
        "values": {
            "goals": {"answer": {"type": "radio_buttons", "selected_option": {"value": "2"}}},
            "helpful": {"answer": {"type": "static_select", "selected_option": None}},
            "takeaway": {"answer": {"type": "plain_text_input", "value": "A plan"}},
            "blank": {"answer": {"type": "plain_text_input", "value": None}},
        }
    }
    assert answers(state) == {"goals": "2", "takeaway": "A plan"}


def test_home_view() -> None:
    view = home_view(Message(summary="Home", blocks=(Heading("Your relationships"),)))
    assert view["type"] == "home"
    assert view["blocks"][0]["type"] == "header"
