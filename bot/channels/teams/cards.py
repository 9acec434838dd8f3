"""Core messages and forms as Teams activities: Adaptive Cards or markdown text.

This is the only module that builds Adaptive Cards. Every string from `core` is plain
text, so everything placed where Teams interprets markdown (TextBlock, Fact, message
text) goes through `escape_markdown`; input labels and choice titles are plain text in
Adaptive Cards and are left as they are.

What Teams hands back when a card button is pressed is the `data` of its Action.Submit
merged with the card's inputs; `SUBMIT`, `BUTTON` and `OPEN` mark which kind it was.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.core.messages import (
    Action,
    Actions,
    Bullets,
    Divider,
    Fields,
    Form,
    Heading,
    Image,
    Message,
    Paragraph,
    RatingQuestion,
    Span,
    TextQuestion,
)
from bot.core.messages import Attachment as FileAttachment

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"  # labels, isRequired and errorMessage need 1.3; Teams renders 1.4
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

# the `rapport` field of an Action.Submit's data
SUBMIT = "submit"  # a check-in or review form: {"rapport": "submit", "ref": <form ref>}
BUTTON = "button"  # any other button: {"rapport": "button", "action": ..., "value": ...}
OPEN = "open"  # Action.OPEN_FORM outside an inline form: {"rapport": "open", "ref": ...}

# Rating questions shown as radio buttons when few (a check-in fits on one screen),
# as drop-downs when many (a review's sixteen contrasts).
EXPANDED_MAX = 4

# Teams rejects messages above about 28 KB; an export larger than one part is split.
EXPORT_PART_CHARS = 20_000

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&!])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def escape_markdown(value: str) -> str:
    """Text that Teams markdown shows literally: no emphasis, links, HTML or mentions."""
    escaped = _MD_SPECIAL.sub(r"\\\1", value)
    # list markers and headings only mean something at the start of a line
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _spans(spans: tuple[Span, ...]) -> str:
    parts = []
    for span in spans:
        piece = escape_markdown(span.text)
        if span.code and piece and piece == span.text:
            # only text with no markup character goes in a code span: inside one, Teams
            # would show escapes literally, and user text (an alias) must stay inert
            piece = "`" + span.text + "`"
        if span.bold and piece.strip():
            # markdown ignores ** next to a space: keep the spaces outside the markers
            core = piece.strip()
            lead, trail = piece[: len(piece) - len(piece.lstrip())], piece[len(piece.rstrip()) :]
            piece = f"{lead}**{core}**{trail}"
        parts.append(piece)
    return "".join(parts)


# --- plain markdown text ------------------------------------------------------------
def _is_plain(message: Message) -> bool:
    """A message with nothing a card is needed for is sent as text: lighter in a chat."""
    return (
        message.form is None
        and message.attachment is None
        and all(isinstance(b, Paragraph | Heading | Bullets | Divider) for b in message.blocks)
    )


def markdown(message: Message) -> str:
    """The message as Teams markdown (paragraphs separated by blank lines)."""
    out: list[str] = []
    for block in message.blocks:
        if isinstance(block, Paragraph):
            out.append(_spans(block.spans))
        elif isinstance(block, Heading):
            out.append(f"**{escape_markdown(block.text)}**")
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {_spans(item)}" for item in block.items))
        elif isinstance(block, Fields):
            out.append("\n".join(f"- {_fact(k)}: {_fact(v)}" for k, v in block.pairs))
        elif isinstance(block, Divider):
            out.append("---")
    return "\n\n".join(part for part in out if part) or escape_markdown(message.summary)


# --- Adaptive Cards ------------------------------------------------------------------
def _text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def _fact(value: str) -> str:
    return escape_markdown(value)


def _submit(title: str, data: dict[str, str], primary: bool = True) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if primary:
        action["style"] = "positive"
    return action


def _button_action(label: str, action: str, value: str, primary: bool) -> dict[str, Any]:
    if action == Action.OPEN_FORM:
        return _submit(label, {"rapport": OPEN, "ref": value}, primary)
    return _submit(label, {"rapport": BUTTON, "action": action, "value": value}, primary)


def _blocks(message: Message) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    separate = False  # a Divider draws a line above the element that follows it
    for block in message.blocks:
        count = len(body)
        if isinstance(block, Paragraph):
            body.append(_text_block(_spans(block.spans)))
        elif isinstance(block, Heading):
            body.append(_text_block(escape_markdown(block.text), weight="Bolder", size="Medium"))
        elif isinstance(block, Bullets):
            body.append(_text_block("\n".join(f"- {_spans(item)}" for item in block.items)))
        elif isinstance(block, Fields):
            facts = [{"title": _fact(k), "value": _fact(v)} for k, v in block.pairs]
            body.append({"type": "FactSet", "facts": facts})
        elif isinstance(block, Divider):
            separate = True
        elif isinstance(block, Image):
            body.append(_image(block))
        elif isinstance(block, Actions):
            # an inline form already is the way to answer: its "open" button is redundant
            buttons = [
                b for b in block.buttons if not (message.form and b.action == Action.OPEN_FORM)
            ]
            if buttons:
                actions = [_button_action(b.label, b.action, b.value, b.primary) for b in buttons]
                body.append({"type": "ActionSet", "actions": actions})
        if separate and len(body) > count:
            body[count] = {**body[count], "separator": True}
            separate = False
    return body


def _image(block: Image) -> dict[str, Any]:
    """A chart Teams fetches from its signed URL; where there is none, its facts in words
    (a bot cannot send Teams a file without the user's consent flow)."""
    if block.url:
        return {
            "type": "Image",
            "url": block.url,
            "altText": block.alt,
            "size": "Stretch",
        }
    return _text_block(escape_markdown(block.alt), isSubtle=True)


def has_image(message: Message) -> bool:
    """Whether the message holds a picture Teams can show (an image with a URL)."""
    return any(isinstance(b, Image) and b.url for b in message.blocks)


def rating_choices(question: RatingQuestion) -> list[dict[str, str]]:
    """Exactly five choices valued "1".."5"; both poles are named in words."""
    titles = (
        f"1 · {question.low}",
        "2 · closer to 1",
        "3 · in between",
        "4 · closer to 5",
        f"5 · {question.high}",
    )
    return [{"title": title, "value": str(n)} for n, title in enumerate(titles, start=1)]


def form_body(form: Form, errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The inputs of a check-in or review, then its submit button."""
    errors = errors or {}
    ratings = sum(isinstance(q, RatingQuestion) for q in form.questions)
    style = "expanded" if ratings <= EXPANDED_MAX else "compact"
    body: list[dict[str, Any]] = []
    if form.intro:
        body.append(_text_block(escape_markdown(form.intro), isSubtle=True))
    for question in form.questions:
        if isinstance(question, RatingQuestion):
            item: dict[str, Any] = {
                "type": "Input.ChoiceSet",
                "id": question.id,
                "label": question.prompt,
                "style": style,
                "isMultiSelect": False,
                "choices": rating_choices(question),
                "isRequired": question.required,
                "errorMessage": "Pick one of the five.",
            }
            if style == "compact":
                item["placeholder"] = f"1 = {question.low} … 5 = {question.high}"
            if question.initial is not None:
                item["value"] = str(question.initial)
        elif isinstance(question, TextQuestion):
            item = {
                "type": "Input.Text",
                "id": question.id,
                "label": question.prompt,
                "isMultiline": question.multiline,
                "maxLength": min(question.max_length, 3000),
                "isRequired": question.required,
            }
            if question.initial:
                item["value"] = question.initial
        else:  # pragma: no cover - Question is a closed union
            continue
        body.append(item)
        if question.id in errors:
            body.append(_text_block(escape_markdown(errors[question.id]), color="Attention"))
    body.append(
        {
            "type": "ActionSet",
            "actions": [_submit(form.submit_label, {"rapport": SUBMIT, "ref": form.ref})],
        }
    )
    return body


def card(message: Message) -> dict[str, Any]:
    """The Adaptive Card for a message, with its form inline when it has one."""
    body = _blocks(message)
    if message.form is not None:
        if message.form.title:
            body.insert(0, _text_block(escape_markdown(message.form.title), weight="Bolder"))
        body.extend(form_body(message.form))
    if not body:
        body.append(_text_block(escape_markdown(message.summary)))
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }


def form_card(form: Form) -> dict[str, Any]:
    """A form on its own (editing answers after submit)."""
    return card(Message(summary=form.title, kind="checkin", form=form))


def _card_activity(content: dict[str, Any], summary: str) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        summary=summary,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=content)],
    )


def to_activity(message: Message) -> Activity:
    """One message activity: markdown text for plain replies, an Adaptive Card otherwise.

    A file attachment is not part of it: see `file_activities`.
    """
    if _is_plain(message):
        return Activity(type=ActivityTypes.message, text=markdown(message), text_format="markdown")
    return _card_activity(card(message), message.summary)


def form_activity(form: Form) -> Activity:
    return _card_activity(form_card(form), form.title)


def errors_activity(form_errors: dict[str, str], intro: str) -> Activity:
    """What to fix in a submitted form; the card itself keeps the answers typed so far."""
    lines = [f"- {escape_markdown(msg)}" for msg in form_errors.values()]
    return Activity(
        type=ActivityTypes.message,
        text="\n\n".join([escape_markdown(intro), "\n".join(lines)]),
        text_format="markdown",
    )


def file_activities(attachment: FileAttachment) -> list[Activity]:
    """A file as chat messages holding its text in code blocks.

    Bots cannot send a file in Teams without the file-consent flow, which needs the user's
    OneDrive; a JSON export is text, so it is shown in code blocks the user can copy,
    split in parts when long. `<`, `>`, `&` and backticks are written as JSON \\u escapes,
    which keeps the JSON equal and leaves nothing for markdown or HTML to interpret.
    """
    if not attachment.mime.startswith(("text/", "application/json")):
        return []  # a picture: its card shows it, or says what it shows
    raw = attachment.content.decode("utf-8", errors="replace")
    try:
        # these characters only occur inside JSON strings, where \u escapes mean the same
        safe = (
            json.dumps(json.loads(raw), indent=1, ensure_ascii=False)
            .replace("&", "\\u0026")
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("`", "\\u0060")
        )
    except ValueError:
        safe = raw.replace("`", "'")  # not JSON: only the code fence needs protecting
    parts = [safe[i : i + EXPORT_PART_CHARS] for i in range(0, len(safe), EXPORT_PART_CHARS)]
    parts = parts or [""]
    name = escape_markdown(attachment.filename)
    activities = []
    for n, part in enumerate(parts, start=1):
        label = name if len(parts) == 1 else f"{name} (part {n} of {len(parts)})"
        activities.append(
            Activity(
                type=ActivityTypes.message,
                text=f"{label}\n\n```\n{part}\n```",
                text_format="markdown",
            )
        )
    return activities
