"""What the practitioner sees of the client's side: the link in the check-in, the message
that brings the client's answer (the two views side by side, not judged), the three nudges,
and the client's series in `history`. Only the gap nudge and `history`/`list` (asked for)
speak of a "gap"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.client import (
    FALLS,
    GAP,
    HELPED,
    ClientAnswer,
    ClientSeries,
    ClientWords,
    gaps,
    has_gap,
    practitioner_points,
)
from bot.core.messages import Bullets, Fields, Heading, Link, Message, Span
from bot.core.models import Relationship, Summary
from bot.core.rubric import Rubric
from bot.core.schedule import local
from bot.core.views.text import p, sparkline


def _points(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0")


def _name(words: ClientWords, rubric: Rubric, qid: str) -> str:
    if qid == HELPED:
        return words.question(HELPED).prompt
    return rubric.group(qid).name


def with_link(
    words: ClientWords, message: Message, url: str, session: int, until: datetime, tz: str
) -> Message:
    """The check-in message, carrying the client's link for this session."""
    line = words.say("link", session=session, until=local(until, tz).strftime("%a %d %b"))
    blocks = (*message.blocks, p(line), Link(words.say("link_label"), url, kind="client"))
    return replace(message, blocks=blocks)


def answer_message(
    words: ClientWords,
    rubric: Rubric,
    rel: Relationship,
    session: int,
    answer: ClientAnswer,
    mine: Summary | None,
    edited: bool,
    missed: bool = False,
) -> Message:
    """The client's answer beside the practitioner's own view of the same session (`missed`:
    the practitioner's check-in for it closed unanswered, so theirs will not come)."""
    key = "answer_edited_heading" if edited else "answer_heading"
    heading = words.say(key, alias=rel.alias, session=session)
    own = practitioner_points(mine) if mine else {}
    you, them = words.say("you"), words.say("them")
    pairs = []
    for q in words.questions:
        value = answer.ratings.get(q.id)
        yours = _points(own.get(q.id)) if mine else words.say("missed" if missed else "not_yet")
        pairs.append((_name(words, rubric, q.id), f"{you}: {yours} · {them}: {_points(value)}"))
    blocks: list = [Heading(heading), p(words.say("answer_intro")), Fields(tuple(pairs))]
    if answer.comment:
        blocks.append(p(Span(words.say("comment") + ": ", bold=True), Span(answer.comment)))
    blocks.append(p(words.say("answer_invite")))
    return Message(summary=heading, blocks=tuple(blocks), kind="client_answer")


def nudge(
    words: ClientWords,
    rubric: Rubric,
    rel: Relationship,
    kind: str,
    group: str | None,
    gap: float | None,
) -> Message:
    """falls | gap | room, each with the same short checklist."""
    if group == HELPED:
        where = "mostly in " + words.say("helped")
    elif group:
        where = "mostly in " + rubric.group(group).name.lower()
    else:
        where = "about equally in every area"
    heading = words.say(f"{kind}_heading", alias=rel.alias)
    body = words.say(f"{kind}_body", where=where, gap=_points(gap))
    tips = tuple((Span("☐ " + t),) for t in words.lines("checklist"))
    return Message(
        summary=f"{heading}. {body}",
        blocks=(Heading(heading), p(body), p(words.say("checklist_intro")), Bullets(tips)),
        kind=f"client_{kind}",
    )


def history_blocks(
    words: ClientWords, rubric: Rubric, series: ClientSeries, summaries: Sequence[Summary], tz: str
) -> list:
    """`history`: the client's series beside the practitioner's, per group, and the gap."""
    blocks: list = [
        p(Span("Your view and your client's", bold=True), " (oldest to newest, 1 to 5)")
    ]
    if not series.recent:
        return [*blocks, p("Client ratings are on; no client answers yet.")]
    by_number = {s.number: s for s in summaries}
    rows = []
    for q in words.questions:
        theirs = [pt.ratings.get(q.id) for pt in series.recent]
        mine = [
            practitioner_points(by_number[pt.checkin]).get(q.id)
            if pt.checkin in by_number
            else None
            for pt in series.recent
        ]
        last_t = next((v for v in reversed(theirs) if v is not None), None)
        last_m = next((v for v in reversed(mine) if v is not None), None)
        rows.append(
            (
                Span(f"{_name(words, rubric, q.id)}: ", bold=True),
                Span(
                    f"you {sparkline([_unit(v) for v in mine])} {_points(last_m)}"
                    f" · client {sparkline([_unit(v) for v in theirs])} {_points(last_t)}"
                ),
            )
        )
    blocks.append(Bullets(tuple(rows)))
    found = gaps(series, summaries)
    if found:
        latest = found[-1][1]
        side = "above" if latest >= 0 else "below"
        size = _points(abs(latest)) + (" point" if abs(latest) == 1 else " points")
        text = f"Gap at the last session with both views: you rated {size} {side} your client"
        if has_gap(series, summaries):
            text += " (a full point or more, two sessions in a row)"
        blocks.append(p(text + "."))
    notes = [
        f"{_NOTES.get(pt.note, pt.note)} ({local(pt.at, tz).strftime('%d %b')})"
        for pt in series.recent
        if pt.note
    ]
    if series.falling:
        blocks.append(p("Your client's own ratings are falling."))
    if notes:
        blocks.append(p("Nudges from the two views: " + "; ".join(notes[-3:]) + "."))
    blocks.append(p(f"Sessions your client answered: {series.answered}."))
    return blocks


_NOTES = {FALLS: "client's ratings falling", GAP: "gap", "room": "room to grow"}


def _unit(points: float | None) -> float | None:
    """A rating (1..5) as 0..1 for a sparkline."""
    return None if points is None else (points - 1) / 4


def list_mark(series: ClientSeries | None, summaries: Sequence[Summary]) -> str:
    """What `list` and the home tab add for a relationship with client ratings."""
    if series is None:
        return ""
    if series.falling:
        return " · client ratings falling"
    if has_gap(series, summaries):
        return " · gap with client"
    return ""


__all__ = ["GAP", "answer_message", "history_blocks", "list_mark", "nudge", "with_link"]
