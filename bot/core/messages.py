"""Platform-neutral messages. Built once here, rendered by each channel.

All text is plain text: a renderer escapes every string it is given (Slack mrkdwn,
Teams markdown), so nothing a user typed can ever turn into markup or a mention.
Emphasis is carried by `Span.bold`, never by markup inside the string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # core.charts is data too; imported for the annotation only
    from bot.core.charts import Chart


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    code: bool = False


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Span, ...], ...]


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, shown side by side where the platform can."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # an Action constant below
    value: str  # opaque to channels: handed back to the service as is
    primary: bool = True
    destructive: bool = False  # it deletes something for good: shown as a warning (red)


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class Link:
    """A web address shown in full, to open or pass on (e.g. a client's link)."""

    label: str
    url: str
    kind: str = ""  # "client": the console demo offers to play the client


@dataclass(frozen=True)
class Image:
    """A chart. `url`: a signed link the platform fetches; `path`: the PNG written on this
    machine (console); neither: the PNG travels as the message's attachment (a file)."""

    alt: str  # the chart's facts in words
    title: str
    url: str | None = None
    path: str | None = None


Block = Paragraph | Heading | Bullets | Fields | Actions | Divider | Link | Image


@dataclass(frozen=True)
class Message:
    """One message: `summary` is the one-line notification/fallback text."""

    summary: str
    blocks: tuple[Block, ...] = ()
    kind: str = "reply"  # reply | error | checkin | reminder | review | drift | digest | ...
    private: bool = True  # False: meant for the whole channel (e.g. `digest now`)
    attachment: Attachment | None = None
    form: Form | None = None  # a check-in/review: Slack shows a button, Teams the card inline
    # A chart that follows this reply (core.charts data): channels send the text at once and
    # ask `Rapport.picture` for the chart after it, so drawing never delays the answer.
    chart: Chart | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Attachment:
    """A file to hand the user (e.g. `export`)."""

    filename: str
    content: bytes = field(repr=False)
    mime: str = "application/json"


# --- forms (check-ins and reviews) -------------------------------------------------
@dataclass(frozen=True)
class RatingQuestion:
    """Five options valued "1".."5": 1 = `low` (transactional pole), 5 = `high`."""

    id: str
    prompt: str
    low: str
    high: str
    required: bool = True
    initial: int | None = None


@dataclass(frozen=True)
class TextQuestion:
    id: str
    prompt: str
    max_length: int = 3000
    required: bool = False
    multiline: bool = True
    initial: str | None = None


Question = RatingQuestion | TextQuestion


@dataclass(frozen=True)
class Form:
    """A check-in or review to fill in. `ref` identifies it when submitted."""

    ref: str
    title: str  # short: Slack modal titles are at most 24 characters
    intro: str
    questions: tuple[Question, ...]
    submit_label: str = "Save"


# --- actions a button can carry ------------------------------------------------------
class Action:
    OPEN_FORM = "open_form"  # value: the form ref; opens the check-in or review form
    CONFIRM_FORGET = "confirm_forget"  # value: the forget token
    CANCEL_FORGET = "cancel_forget"


def text(message: str, kind: str = "reply", private: bool = True) -> Message:
    """A message that is one paragraph of plain text."""
    return Message(
        summary=message, blocks=(Paragraph((Span(message),)),), kind=kind, private=private
    )
