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

from bot.core.checkins import KEEP
from bot.core.messages import (
    Action,
    Actions,
    Bullets,
    Button,
    Divider,
    Fields,
    Form,
    Heading,
    Image,
    Link,
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

# Teams rejects messages above about 28 KB, counted by some clients in UTF-16: an export
# is split so that each message's text stays under this many bytes in UTF-8 and in UTF-16
# (the rest of the activity, ids and addresses, takes well under the 2 KB left).
MESSAGE_TEXT_BYTES = 26_000
EXPORT_PART_CHARS = 12_000  # ASCII text: 12,000 characters are 24,000 bytes in UTF-16
# Every card and text stays under this many bytes as JSON, counted in UTF-8 and in UTF-16;
# the rest of the activity (ids, addresses) has room in what is left of Teams' 28 KB.
MESSAGE_BUDGET = 28_000
CARD_BUDGET = MESSAGE_BUDGET - 2_000
PREVIEW_CHARS = 240  # how much of a long earlier answer a shortened form shows
KEPT_WORD = "Your earlier answer is long, so only its beginning is shown; it is kept as it is:"
SHORTENED_FORM = (
    "Some earlier answers are too long for one Teams message: each shows its beginning "
    "and stays as it is unless you type a new one."
)
SHORTENED_MESSAGE = "Shortened to fit in one Teams message."

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
        elif isinstance(block, Link):
            out.append(_link(block))
    return "\n\n".join(part for part in out if part) or escape_markdown(message.summary)


# --- Adaptive Cards ------------------------------------------------------------------
def _link(link: Link) -> str:
    # the URL is ours (public URL + signed token): only markdown's own characters to guard
    url = link.url.replace(")", "%29").replace(" ", "%20")
    return f"**{escape_markdown(link.label)}:** [{escape_markdown(link.url)}]({url})"


def _text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def _fact(value: str) -> str:
    return escape_markdown(value)


def _submit(
    title: str, data: dict[str, str], primary: bool = True, destructive: bool = False
) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if destructive:
        action["style"] = "destructive"
    elif primary:
        action["style"] = "positive"
    return action


def _button_action(b: Button) -> dict[str, Any]:
    if b.action == Action.OPEN_FORM:
        return _submit(b.label, {"rapport": OPEN, "ref": b.value}, b.primary, b.destructive)
    data = {"rapport": BUTTON, "action": b.action, "value": b.value}
    return _submit(b.label, data, b.primary, b.destructive)


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
        elif isinstance(block, Link):  # shown in full, to copy and pass on
            body.append(_text_block(_link(block)))
        elif isinstance(block, Image):
            body.append(_image(block))
        elif isinstance(block, Actions):
            # an inline form already is the way to answer: its "open" button is redundant
            buttons = [
                b for b in block.buttons if not (message.form and b.action == Action.OPEN_FORM)
            ]
            if buttons:
                actions = [_button_action(b) for b in buttons]
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


def _preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The beginning of a long answer, cut after a whole word."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return (head[: head.rindex(" ")] if " " in head else head).rstrip() + " …"


def _withheld_text(question: TextQuestion) -> list[dict[str, Any]]:
    """A long earlier answer the card cannot carry: its beginning, and an empty box."""
    shown = escape_markdown(_preview(question.initial or ""))
    return [
        _text_block(f"{KEPT_WORD} {shown}", isSubtle=True, spacing="Small"),
        {**_text_input(question), "placeholder": "Type here to replace it"},
    ]


def _text_input(question: TextQuestion) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": question.id,
        "label": question.prompt,
        "isMultiline": question.multiline,
        "maxLength": min(question.max_length, 3000),
        "isRequired": question.required,
    }


def form_body(
    form: Form, errors: dict[str, str] | None = None, withheld: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The inputs of a check-in or review, then its submit button.

    `withheld`: text questions whose earlier answers are too long for one Teams message;
    they are shown by their beginning, and kept as stored unless a new answer is typed.
    """
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
        elif isinstance(question, TextQuestion) and question.id in withheld:
            *notes, item = _withheld_text(question)
            body.extend(notes)
        elif isinstance(question, TextQuestion):
            item = _text_input(question)
            if question.initial:
                item["value"] = question.initial
        else:  # pragma: no cover - Question is a closed union
            continue
        body.append(item)
        if question.id in errors:
            body.append(_text_block(escape_markdown(errors[question.id]), color="Attention"))
    data = {"rapport": SUBMIT, "ref": form.ref}
    if withheld:
        data[KEEP] = ",".join(sorted(withheld))
        body.insert(1 if form.intro else 0, _text_block(SHORTENED_FORM, isSubtle=True))
    body.append({"type": "ActionSet", "actions": [_submit(form.submit_label, data)]})
    return body


def size(payload: Any) -> int:
    """Bytes of `payload` as JSON, in UTF-8 or in UTF-16 (some clients count that way),
    whichever is more: the figure to keep under Teams' cap."""
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return max(len(raw.encode("utf-8")), len(raw.encode("utf-16-le")))


def _card(message: Message, withheld: frozenset[str] = frozenset()) -> dict[str, Any]:
    body = _blocks(message)
    if message.form is not None:
        if message.form.title:
            body.insert(0, _text_block(escape_markdown(message.form.title), weight="Bolder"))
        body.extend(form_body(message.form, withheld=withheld))
    if not body:
        body.append(_text_block(escape_markdown(message.summary)))
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }


def card(message: Message) -> dict[str, Any]:
    """The Adaptive Card for a message, with its form inline when it has one; always
    within Teams' size cap (MESSAGE_BUDGET, counted in UTF-8 and in UTF-16)."""
    content = _card(message)
    if message.form is not None and size(content) > CARD_BUDGET:
        # Long earlier answers (a review reopened for editing): the longest are shown by
        # their beginning until the card fits; each is kept unless a new one is typed.
        longest = sorted(
            (q for q in message.form.questions if isinstance(q, TextQuestion) and q.initial),
            key=lambda q: len(q.initial or ""),
            reverse=True,
        )
        withheld: set[str] = set()
        for question in longest:
            withheld.add(question.id)
            content = _card(message, frozenset(withheld))
            if size(content) <= CARD_BUDGET:
                break
    return _trimmed(content) if size(content) > CARD_BUDGET else content


def _trimmed(content: dict[str, Any]) -> dict[str, Any]:
    """A card still over the cap loses its last blocks (never its buttons), and says so."""
    body = list(content["body"])
    actions = [b for b in body if b.get("type") == "ActionSet"][-1:]
    rest = [b for b in body if b not in actions]
    note = _text_block(SHORTENED_MESSAGE, isSubtle=True)
    while rest and size({**content, "body": [*rest, note, *actions]}) > CARD_BUDGET:
        rest[-1:] = _shorter(rest[-1])
    return {**content, "body": [*rest, note, *actions]}


def _shorter(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The element less its last fact or line; nothing once it has only one."""
    facts = element.get("facts") or []
    if len(facts) > 1:
        return [{**element, "facts": facts[:-1]}]
    lines = str(element.get("text", "")).split("\n")
    if element.get("type") == "TextBlock" and len(lines) > 1:
        return [{**element, "text": "\n".join(lines[:-1])}]
    return []


def form_card(form: Form) -> dict[str, Any]:
    """A form on its own (editing answers after submit)."""
    return card(Message(summary=form.title, kind="checkin", form=form))


def _card_activity(content: dict[str, Any], summary: str) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        summary=summary,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=content)],
    )


def _fitted_text(text: str) -> str:
    """Markdown within the cap: whole paragraphs (or lines) kept, then a clear word."""
    if size(text) <= CARD_BUDGET:
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        if size("\n".join([*kept, line, "", SHORTENED_MESSAGE])) > CARD_BUDGET:
            break
        kept.append(line)
    return "\n".join([*kept, "", f"_{SHORTENED_MESSAGE}_"])


def to_activity(message: Message) -> Activity:
    """One message activity: markdown text for plain replies, an Adaptive Card otherwise.

    A file attachment is not part of it: see `file_activities`.
    """
    if _is_plain(message):
        text = _fitted_text(markdown(message))
        return Activity(type=ActivityTypes.message, text=text, text_format="markdown")
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


def text_bytes(text: str) -> int:
    """The larger of the text's UTF-8 and UTF-16 sizes as it travels (a JSON string, where
    backslashes and quotes double): what Teams' limit is measured by."""
    wire = json.dumps(text, ensure_ascii=False)
    return max(len(wire.encode("utf-8")), len(wire.encode("utf-16-le")))


def _export_text(raw: str) -> str:
    """JSON as plain ASCII with `<`, `>`, `&` and backticks as \\u escapes: the same JSON,
    nothing for markdown or HTML to interpret, and every character one byte in UTF-8."""
    try:
        return json.dumps(json.loads(raw), indent=1, ensure_ascii=True).translate(_JSON_SAFE)
    except ValueError:
        return raw.replace("`", "'")  # not JSON: only the code fence needs protecting


_JSON_SAFE = str.maketrans({"&": "\\u0026", "<": "\\u003c", ">": "\\u003e", "`": "\\u0060"})


def _parts(text: str, label_room: int) -> list[str]:
    """Consecutive pieces of `text`, each fitting one message beside its label."""
    budget = MESSAGE_TEXT_BYTES - label_room
    parts, start = [], 0
    while start < len(text):
        size = EXPORT_PART_CHARS
        while size > 1 and (used := text_bytes(text[start : start + size])) > budget:
            size = max(1, min(size - 1, int(size * budget / used * 0.98)))  # escapes: shrink
        parts.append(text[start : start + size])
        start += size
    return parts or [""]


def file_activities(attachment: FileAttachment) -> list[Activity]:
    """A file as chat messages holding its text in code blocks.

    Bots cannot send a file in Teams without the file-consent flow, which needs the user's
    OneDrive; a JSON export is text, so it is shown in code blocks the user can copy,
    split in parts when long (a large one is offered as a download link instead: see
    `download`). CPU-bound for a large file: call it off the event loop.
    """
    if not attachment.mime.startswith(("text/", "application/json")):
        return []  # a picture: its card shows it, or says what it shows
    safe = _export_text(attachment.content.decode("utf-8", errors="replace"))
    name = escape_markdown(attachment.filename)
    parts = _parts(safe, label_room=text_bytes(name) + 200)
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
