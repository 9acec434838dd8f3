"""What a practitioner looks at: the list of relationships, one relationship's history, the
home tab."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.client import ClientSeries, ClientWords
from bot.core.messages import Bullets, Divider, Fields, Heading, Message, Paragraph, Span
from bot.core.models import CLOSED, PAUSED, Aggregate, Relationship, Summary
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric
from bot.core.views import client as client_views
from bot.core.views.text import (
    band_label,
    day,
    entry_name,
    p,
    pct,
    review_key_text,
    say,
    sparkline,
    when,
)


@dataclass(frozen=True)
class Overview:
    """One relationship as `list`, `history` and the home tab show it."""

    rel: Relationship
    agg: Aggregate
    next_session: datetime | None
    next_review: str  # core.reviews.review_outlook
    waiting: datetime | None = None  # a session over whose check-in waits (working hours)
    client: ClientSeries | None = None  # the client's series (client ratings on)
    words: ClientWords | None = None  # the client's questions, to name them in `history`


def _latest(agg: Aggregate) -> Summary | None:
    return agg.recent[-1] if agg.recent else None


def _sessions_text(rel: Relationship) -> str:
    planned = f" of {rel.planned_sessions}" if rel.planned_sessions else " (open-ended)"
    return f"{rel.sessions_held}{planned}"


def _next_text(o: Overview) -> str:
    text = when(o.next_session, o.rel.tz) if o.next_session else "—"
    if o.waiting:  # never a time already past: say what is waiting instead
        text += f" (the check-in for {day(o.waiting, o.rel.tz)} waits for your working hours)"
    return text


def _status(rel: Relationship) -> str:
    return {PAUSED: " (paused)", CLOSED: " (closed)"}.get(rel.status, "")


def list_message(rubric: Rubric, prompts: Prompts, items: Sequence[Overview]) -> Message:
    if not items:
        return say(prompts, "no_relationships")
    rows = []
    for o in items:
        latest = _latest(o.agg)
        drift = "drifting" if o.agg.drifting else "steady"
        rows.append(
            (
                Span(o.rel.alias + _status(o.rel), bold=True),
                Span(
                    f" · sessions {_sessions_text(o.rel)} · "
                    f"{band_label(rubric, latest.overall if latest else None)} · {drift} · "
                    f"next review: {o.next_review}" + client_views.list_mark(o.client, o.agg.recent)
                ),
            )
        )
    summary = "; ".join(o.rel.alias for o in items)
    return Message(
        summary=f"{prompts.say('list_heading')}: {summary}",
        blocks=(Heading(prompts.say("list_heading")), Bullets(tuple(rows))),
    )


def history_message(rubric: Rubric, prompts: Prompts, o: Overview) -> Message:
    rel, agg = o.rel, o.agg
    tz = rel.tz
    latest = _latest(agg)
    fields = [
        ("Sessions held", _sessions_text(rel)),
        ("Latest band", band_label(rubric, latest.overall if latest else None)),
        (
            "Check-ins answered",
            f"{agg.checkins_answered} of {agg.checkins_sent}"
            + (f" ({agg.missed} missed)" if agg.missed else ""),
        ),
        ("Next session", _next_text(o)),
        ("Reviews done", ", ".join(review_key_text(k) for k in rel.reviews_done) or "none yet"),
        ("Reviews set aside", str(agg.set_aside) if agg.set_aside else "none"),
        ("Next review", o.next_review),
        ("Status", rel.status + (" · drifting" if agg.drifting else "")),
    ]
    blocks: list = [Heading(prompts.say("history_heading", alias=rel.alias)), Fields(tuple(fields))]
    sessions = [s for s in agg.recent if s.overall is not None]
    if sessions:
        trend = []
        for g in rubric.groups:
            series = [s.groups.get(g.id) for s in sessions]
            last = next((v for v in reversed(series) if v is not None), None)
            trend.append(
                (Span(f"{g.name}: ", bold=True), Span(f"{sparkline(series)}  {pct(last)}"))
            )
        overall = [s.overall for s in sessions]
        trend.append(
            (Span("Overall: ", bold=True), Span(f"{sparkline(overall)}  {pct(overall[-1])}"))
        )
        blocks += [
            Divider(),
            p(Span("Trend per group", bold=True), " (oldest to newest)"),
            Bullets(tuple(trend)),
        ]
        recent = [
            (
                Span(f"{day(s.at, tz)}: "),
                Span(
                    f"{entry_name(s)} · {pct(s.overall)} · {band_label(rubric, s.overall)}"
                    + (f" · helpful {s.helpful}/5" if s.helpful else "")
                    + (f" · {s.note}" if s.note else "")  # the drift nudge or watch note sent
                ),
            )
            for s in reversed(sessions[-5:])
        ]
        blocks += [p(Span("Last check-ins", bold=True)), Bullets(tuple(recent))]
    else:
        blocks.append(p("No answered check-ins yet."))
    if o.client is not None and o.words is not None:
        blocks += [
            Divider(),
            *client_views.history_blocks(o.words, rubric, o.client, agg.recent, tz),
        ]
    summary = f"History of {rel.alias}: {_sessions_text(rel)} sessions"
    return Message(summary=summary, blocks=tuple(blocks))


def home_message(rubric: Rubric, prompts: Prompts, items: Sequence[Overview]) -> Message:
    if not items:
        return Message(
            summary="Rapport",
            blocks=(Heading("Rapport"), Paragraph(prompts.spans("no_relationships"))),
        )
    rows = []
    for o in items:
        latest = _latest(o.agg)
        overall = [s.overall for s in o.agg.recent if s.overall is not None]
        rows.append(
            (
                Span(o.rel.alias + _status(o.rel), bold=True),
                Span(
                    f" · {band_label(rubric, latest.overall if latest else None)} "
                    f"{sparkline(overall[-8:])}"
                    f" · next session {when(o.next_session, o.rel.tz) if o.next_session else '—'}"
                    f" · review: {o.next_review}"
                    + (" · drifting" if o.agg.drifting else "")
                    + client_views.list_mark(o.client, o.agg.recent)
                ),
            )
        )
    return Message(
        summary="Your relationships",
        blocks=(
            Heading("Your relationships"),
            Bullets(tuple(rows)),
            p("Type `/checkin help` for everything you can do."),
        ),
        kind="home",
    )
