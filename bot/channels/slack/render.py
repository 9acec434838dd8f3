"""Block Kit from core messages and forms: the only place Rapport builds Block Kit.

Every string core hands us is plain text. In mrkdwn we escape `&`, `<` and `>` so that
nothing a user typed (an alias such as `<!channel>`) can become a mention or a link.
Slack's size limits are applied here too, so a long answer never makes a call fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.core.messages import (
    Action,
    Actions,
    Block,
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

FORM_CALLBACK = "rapport_form"  # callback_id of every check-in/review modal
ANSWER = "answer"  # action_id of the element inside each input block

# Slack's limits (Block Kit reference).
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_PER_SECTION = 10
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
OPTION_TEXT_MAX = 75
LABEL_MAX = 2000
HINT_MAX = 2000
MODAL_TITLE_MAX = 24
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TEXT_INPUT_MAX = 3000
METADATA_MAX = 3000
IMAGE_ALT_MAX = 2000
IMAGE_TITLE_MAX = 2000

# Words for the three middle options: the poles themselves are shown in full in the hint.
MIDDLE_LABELS = {2: "Leaning toward 1", 3: "In between", 4: "Leaning toward 5"}


def escape(text: str) -> str:
    """Plain text -> mrkdwn that shows exactly that text (Slack's three entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_words(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut after a whole word (never inside one)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ·,;:") + "…"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " "}


def span(s: Span) -> str:
    """One span as mrkdwn; emphasis markers hug the words, spaces stay outside them."""
    body = escape(s.text)
    core = body.strip()
    if not core or not (s.bold or s.code):
        return body
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    if s.code:
        core = f"`{core.replace('`', 'ˋ')}`"
    if s.bold:
        core = f"*{core}*"
    return f"{lead}{core}{trail}"


def spans(items: tuple[Span, ...]) -> str:
    return "".join(span(s) for s in items)


def _sections(text: str) -> list[dict[str, Any]]:
    """Mrkdwn text as one or more sections, split on line ends to stay under the limit."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = clip(line, SECTION_TEXT_MAX)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_TEXT_MAX:
            chunks.append(current)
            current = line
        else:
            current = candidate
    chunks.append(current)
    return [{"type": "section", "text": _mrkdwn(c)} for c in chunks]


def _button(b: Button, action_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": _plain(b.label, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": b.value[:BUTTON_VALUE_MAX],
    }
    if b.destructive:
        out["style"] = "danger"  # red: it cannot be undone
    elif b.primary:
        out["style"] = "primary"
    return out


def _actions(a: Actions) -> dict[str, Any]:
    # action_id must be unique within a block: a second button with the same action gets
    # a suffix (":1"); listeners match `<action>` with an optional suffix.
    seen: dict[str, int] = {}
    elements = []
    for b in a.buttons[:25]:
        n = seen.get(b.action, 0)
        seen[b.action] = n + 1
        elements.append(_button(b, b.action if n == 0 else f"{b.action}:{n}"))
    return {"type": "actions", "elements": elements}


def block(b: Block) -> list[dict[str, Any]]:
    """One core block as one or more Block Kit blocks."""
    if isinstance(b, Paragraph):
        return _sections(spans(b.spans))
    if isinstance(b, Heading):
        return [{"type": "header", "text": _plain(b.text, HEADER_MAX)}]
    if isinstance(b, Bullets):
        return _sections("\n".join("• " + spans(item) for item in b.items))
    if isinstance(b, Fields):
        out = []
        pairs = b.pairs
        for i in range(0, len(pairs), FIELDS_PER_SECTION):
            fields = [
                _mrkdwn(clip(f"*{escape(label)}*\n{escape(value)}", FIELD_TEXT_MAX))
                for label, value in pairs[i : i + FIELDS_PER_SECTION]
            ]
            out.append({"type": "section", "fields": fields})
        return out
    if isinstance(b, Actions):
        return [_actions(b)] if b.buttons else []
    if isinstance(b, Divider):
        return [{"type": "divider"}]
    if isinstance(b, Link):  # shown in full, to copy and pass on
        return _sections(f"*{escape(b.label)}:* <{escape(b.url)}>")
    if isinstance(b, Image):
        return _image(b)
    raise TypeError(f"unknown block {type(b).__name__}")


def _image(b: Image) -> list[dict[str, Any]]:
    """An image block Slack fetches from the signed URL; without one the PNG goes as a file
    (see notifier.upload), so nothing is shown here."""
    if not b.url:
        return []
    return [
        {
            "type": "image",
            "image_url": b.url,
            "alt_text": clip(b.alt, IMAGE_ALT_MAX),
            "title": _plain(b.title, IMAGE_TITLE_MAX),
        }
    ]


def alt_of(message: Message) -> str | None:
    """The alt text of the message's chart, if it has one."""
    return next((b.alt for b in message.blocks if isinstance(b, Image)), None)


def _has_open_form(message: Message) -> bool:
    return any(
        isinstance(b, Actions) and any(x.action == Action.OPEN_FORM for x in b.buttons)
        for b in message.blocks
    )


def blocks(message: Message, limit: int = MESSAGE_BLOCKS_MAX) -> list[dict[str, Any]]:
    """The message's blocks. A form the message carries is reached through its button."""
    out: list[dict[str, Any]] = []
    for b in message.blocks:
        out.extend(block(b))
    if message.form is not None and not _has_open_form(message):
        # Slack cannot show a form inline: make sure the button that opens it is there.
        opener = Button(label="Open", action=Action.OPEN_FORM, value=message.form.ref)
        out.append(_actions(Actions((opener,))))
    if len(out) > limit:
        # Keep the buttons: they are what the user acts on.
        tail = [b for b in out if b["type"] == "actions"][-1:]
        out = out[: limit - len(tail)] + tail
    return out


def fallback(message: Message) -> str:
    """The `text` of a message: notifications and screen readers read it (mrkdwn too)."""
    return clip(escape(message.summary), 3000) or " "


def home_view(message: Message) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks(message, limit=VIEW_BLOCKS_MAX)}


# --- forms -----------------------------------------------------------------------------
def _option(value: int, low: str, high: str) -> dict[str, Any]:
    words = {1: low, 5: high}.get(value) or MIDDLE_LABELS[value]
    # The hint names both poles in full; an option too long for Slack loses whole words.
    label = clip_words(f"{value} · {words}", OPTION_TEXT_MAX)
    return {"text": _plain(label, OPTION_TEXT_MAX), "value": str(value)}


def _rating(q: RatingQuestion) -> dict[str, Any]:
    options = [_option(v, q.low, q.high) for v in range(1, 6)]
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": ANSWER, "options": options}
    if q.initial is not None and 1 <= q.initial <= 5:
        element["initial_option"] = options[q.initial - 1]
    return {
        "type": "input",
        "block_id": q.id,
        "optional": not q.required,
        "label": _plain(q.prompt, LABEL_MAX),
        "hint": _plain(f"1 = {q.low}  ·  5 = {q.high}", HINT_MAX),
        "element": element,
    }


def _text(q: TextQuestion) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ANSWER,
        "multiline": q.multiline,
        "max_length": max(1, min(q.max_length, TEXT_INPUT_MAX)),
    }
    if q.initial:
        element["initial_value"] = q.initial[: element["max_length"]]
    return {
        "type": "input",
        "block_id": q.id,
        "optional": not q.required,
        "label": _plain(q.prompt, LABEL_MAX),
        "element": element,
    }


def modal(form: Form, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The check-in or review modal. `metadata` (JSON) comes back on submit."""
    private = json.dumps(dict(metadata), separators=(",", ":"))
    if len(private) > METADATA_MAX:
        raise ValueError("private_metadata too long")
    inputs = [_rating(q) if isinstance(q, RatingQuestion) else _text(q) for q in form.questions]
    intro = _sections(escape(form.intro)) if form.intro else []
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": _plain(form.title, MODAL_TITLE_MAX),
        "submit": _plain(form.submit_label, MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": private,
        "blocks": (intro + inputs)[:VIEW_BLOCKS_MAX],
    }


def answers(state: Mapping[str, Any]) -> dict[str, str]:
    """A submitted view's `state.values` -> question id -> raw answer ("1".."5" or text)."""
    out: dict[str, str] = {}
    for block_id, actions in (state.get("values") or {}).items():
        element = (actions or {}).get(ANSWER) or {}
        kind = element.get("type")
        if kind in ("radio_buttons", "static_select"):
            chosen = element.get("selected_option") or {}
            if chosen.get("value"):
                out[block_id] = chosen["value"]
        elif kind == "plain_text_input" and element.get("value"):
            out[block_id] = element["value"]
    return out
