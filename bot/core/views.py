"""Every message the bot sends, built once as a platform-neutral value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core import commands
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
    Span,
)
from bot.core.models import (
    ANNUAL,
    CLOSED,
    PAUSED,
    SESSION,
    Aggregate,
    CheckIn,
    Relationship,
    Summary,
)
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


def help_message(prompts: Prompts, topic: str | None = None) -> Message:
    entries = commands.help_entries(topic)
    if topic is None:
        intro = p(prompts.say("help_intro"))
        summary = prompts.say("help_intro")
    else:
        intro = p("Form: ", Span(commands.USAGE[topic], code=True))
        summary = f"Form: {commands.USAGE[topic]}"
    rows = tuple((Span(form, code=True), Span(" — " + what)) for form, what in entries)
    summary += " " + "; ".join(form for form, _ in entries)
    return Message(summary=summary, blocks=(intro, Bullets(rows)))


@dataclass(frozen=True)
class Overview:
    """One relationship as `list`, `history` and the home tab show it."""

    rel: Relationship
    agg: Aggregate
    next_session: datetime | None
    next_review: str  # core.reviews.review_outlook


def band_label(rubric: Rubric, overall: float | None) -> str:
    return "no check-ins yet" if overall is None else rubric.band_for(overall).label


def _latest(agg: Aggregate) -> Summary | None:
    return agg.recent[-1] if agg.recent else None


def _sessions_text(rel: Relationship) -> str:
    planned = f" of {rel.planned_sessions}" if rel.planned_sessions else " (open-ended)"
    return f"{rel.sessions_held}{planned}"


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
                    f"next review: {o.next_review}"
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
            f"{agg.answered} of {agg.sent}" + (f" ({agg.missed} missed)" if agg.missed else ""),
        ),
        ("Next session", when(o.next_session, tz) if o.next_session else "—"),
        ("Reviews done", ", ".join(_review_key_text(k) for k in rel.reviews_done) or "none yet"),
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
                    f"{_entry_name(s)} · {pct(s.overall)} · {band_label(rubric, s.overall)}"
                    + (f" · helpful {s.helpful}/5" if s.helpful else "")
                ),
            )
            for s in reversed(sessions[-5:])
        ]
        blocks += [p(Span("Last check-ins", bold=True)), Bullets(tuple(recent))]
    else:
        blocks.append(p("No answered check-ins yet."))
    summary = f"History of {rel.alias}: {_sessions_text(rel)} sessions"
    return Message(summary=summary, blocks=tuple(blocks))


def _entry_name(s: Summary) -> str:
    return f"session {s.session}" if s.kind == SESSION else REVIEW_NAMES.get(s.kind, "review")


def _review_key_text(key: str) -> str:
    kind, _, tag = key.partition(":")
    if kind == ANNUAL:
        return f"annual (year {tag})"
    if kind == "midway":
        return "midway" + (f" (month {tag[:-1]})" if tag.endswith("m") else "")
    return REVIEW_NAMES.get(kind, kind)


def checkin_prompt(prompts: Prompts, rel: Relationship, checkin: CheckIn, form: Form) -> Message:
    if checkin.kind == SESSION:
        line = prompts.say("checkin_prompt", session=checkin.session, alias=rel.alias)
        label, kind = prompts.say("checkin_button"), "checkin"
    else:
        name = REVIEW_NAMES.get(checkin.kind, "review")
        line = prompts.say("review_prompt", kind=name, alias=rel.alias)
        label, kind = prompts.say("review_button"), "review"
    return Message(
        summary=line,
        blocks=(p(line), Actions((Button(label, Action.OPEN_FORM, form.ref),))),
        kind=kind,
        form=form,
    )


def reminder(prompts: Prompts, rel: Relationship, checkin: CheckIn, form: Form) -> Message:
    if checkin.is_review:
        name = REVIEW_NAMES.get(checkin.kind, "review")
        line = prompts.say("review_reminder", kind=name, alias=rel.alias)
        button = Button(prompts.say("review_button"), Action.OPEN_FORM, form.ref)
        return Message(
            summary=line, blocks=(p(line), Actions((button,))), kind="reminder", form=form
        )
    line = prompts.say("reminder", session=checkin.session, alias=rel.alias)
    button = Button(prompts.say("checkin_button"), Action.OPEN_FORM, form.ref)
    return Message(summary=line, blocks=(p(line), Actions((button,))), kind="reminder", form=form)


def missed(prompts: Prompts, rel: Relationship, checkin: CheckIn) -> Message:
    if checkin.is_review:
        name = REVIEW_NAMES.get(checkin.kind, "review")
        return say(prompts, "review_missed", kind="missed", review=name, alias=rel.alias)
    return say(prompts, "missed", kind="missed", session=checkin.session, alias=rel.alias)


def checkin_done(
    rubric: Rubric, prompts: Prompts, rel: Relationship, checkin: CheckIn, text_dropped: bool
) -> Message:
    scores = checkin.scores or {}
    overall = scores.get("overall")
    band_line = (
        prompts.say("band_line", overall=pct(overall), band=band_label(rubric, overall))
        if overall is not None
        else ""
    )
    if checkin.kind == SESSION:
        line = prompts.say(
            "checkin_done", session=checkin.session, alias=rel.alias, band_line=band_line
        )
    else:
        name = REVIEW_NAMES.get(checkin.kind, "review").capitalize()
        line = prompts.say("review_done", kind=name, alias=rel.alias, band_line=band_line)
    blocks: list = [p("✓ ", Span(line))]
    groups = scores.get("groups") or {}
    if groups:
        blocks.append(
            Fields(tuple((g.name, pct(groups.get(g.id))) for g in rubric.groups if g.id in groups))
        )
    if text_dropped:
        blocks.append(p(prompts.say("plaintext_refused")))
    ref = f"{rel.id}:{checkin.number}"
    blocks.append(Actions((Button(prompts.say("edit_button"), Action.OPEN_FORM, ref, False),)))
    return Message(summary=line, blocks=tuple(blocks), kind="done")


def drift_nudge(
    rubric: Rubric, prompts: Prompts, rel: Relationship, rule: str | None, group: str | None
) -> Message:
    group_name = rubric.group(group).name.lower() if group else "several areas"
    body = prompts.table("drift_body").get(rule or "trend", "").format(group=group_name)
    heading = prompts.say("drift_heading", alias=rel.alias)
    tips = list(prompts.lines("repair_checklist"))
    tip = prompts.table("group_tips").get(group or "")
    if tip:
        tips.insert(0, tip)
    return Message(
        summary=f"{heading}. {body}",
        blocks=(
            Heading(heading),
            p(body),
            p(prompts.say("drift_invite")),
            Bullets(tuple((Span("☐ " + t),) for t in tips)),
        ),
        kind="drift",
    )


def forget_confirm(prompts: Prompts, alias: str, token: str) -> Message:
    line = prompts.say("forget_confirm", alias=alias)
    return Message(
        summary=line,
        blocks=(
            p(line),
            Actions(
                (
                    Button("Delete for good", Action.CONFIRM_FORGET, token),
                    Button("Keep it", Action.CANCEL_FORGET, token, False),
                )
            ),
        ),
        kind="confirm",
    )


def export_message(prompts: Prompts, filename: str, content: bytes) -> Message:
    return Message(
        summary=prompts.say("export_ready"),
        blocks=(p(prompts.say("export_ready")),),
        attachment=Attachment(filename, content),
    )


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
                    f" · review: {o.next_review}" + (" · drifting" if o.agg.drifting else "")
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
