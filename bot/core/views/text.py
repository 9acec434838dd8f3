"""The small pieces every message is made of: numbers, dates, paragraphs, one-line replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.messages import Message, Paragraph, Span
from bot.core.models import ANNUAL, SESSION, Summary
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric
from bot.core.schedule import local

BARS = "▁▂▃▄▅▆▇█"
REVIEW_NAMES = {"midway": "midway review", "annual": "annual review", "early": "review"}


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value in 0..1; a gap for a value that is missing."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(BARS[min(len(BARS) - 1, max(0, int(v * len(BARS))))])
    return "".join(out)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)}%"


def when(instant: datetime | None, tz: str) -> str:
    if instant is None:
        return "—"
    return local(instant, tz).strftime("%a %d %b %Y, %H:%M")


def day(instant: datetime | None, tz: str) -> str:
    return "—" if instant is None else local(instant, tz).strftime("%d %b %Y")


def p(*spans: Span | str) -> Paragraph:
    return Paragraph(tuple(s if isinstance(s, Span) else Span(s) for s in spans))


def say(
    prompts: Prompts,
    key: str,
    kind: str = "reply",
    private: bool = True,
    usage: str | None = None,
    **values: object,
) -> Message:
    """A one-paragraph reply from prompts/messages.yaml, commands shown as code.

    With `usage` (an error), the right form of the command follows.
    """
    summary = prompts.say(key, **values)
    blocks: list = [Paragraph(prompts.spans(key, **values))]
    if usage:
        blocks.append(p("Right form: ", Span(usage, code=True)))
        summary = f"{summary} Right form: {usage}"
    return Message(summary=summary, blocks=tuple(blocks), kind=kind, private=private)


def error(message: str, usage: str | None = None) -> Message:
    blocks: list = [p(message)]
    if usage:
        blocks.append(p("Right form: ", Span(usage, code=True)))
    summary = f"{message} Right form: {usage}" if usage else message
    return Message(summary=summary, blocks=tuple(blocks), kind="error")


def compose(prompts: Prompts, *pieces: tuple[str, dict], private: bool = True) -> Message:
    """One paragraph from several prompt messages, each (key, values), joined by spaces."""
    spans: list[Span] = []
    for i, (key, values) in enumerate(pieces):
        if i:
            spans.append(Span(" "))
        spans.extend(prompts.spans(key, **values))
    summary = " ".join(prompts.say(key, **values) for key, values in pieces)
    return Message(summary=summary, blocks=(Paragraph(tuple(spans)),), private=private)


def band_label(rubric: Rubric, overall: float | None) -> str:
    return "no check-ins yet" if overall is None else rubric.band_for(overall).label


def entry_name(s: Summary) -> str:
    return f"session {s.session}" if s.kind == SESSION else REVIEW_NAMES.get(s.kind, "review")


def review_key_text(key: str) -> str:
    kind, _, tag = key.partition(":")
    if kind == ANNUAL:
        return f"annual (year {tag})"
    if kind == "midway":
        return "midway" + (f" (month {tag[:-1]})" if tag.endswith("m") else "")
    return REVIEW_NAMES.get(kind, kind)
