"""The weekly team digest: aggregates only, never a pseudonym or a free-text answer, and
no figure drawn from fewer than `MINIMUM` practitioners."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import mean

from bot.core.messages import Fields, Heading, Message, Paragraph, Span
from bot.core.models import Aggregate
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric

MINIMUM = 3


@dataclass(frozen=True)
class PractitionerWeek:
    """One practitioner's figures for the digest week (and the week before)."""

    sessions: int = 0
    sent: int = 0
    answered: int = 0
    groups: Mapping[str, float] = field(default_factory=dict)  # this week's mean per group
    previous: Mapping[str, float] = field(default_factory=dict)  # last week's
    drifting: int = 0
    reviews_soon: int = 0
    client_links: int = 0  # session check-ins sent with a client link
    client_answered: int = 0  # of those sessions, answered by the client


def week_groups(agg: Aggregate, week: str) -> dict[str, tuple[float, int]]:
    row = agg.weeks.get(week, {})
    out = {}
    for name, total in row.items():
        if name.startswith("sum:"):
            gid = name[4:]
            n = row.get(f"n:{gid}", 0)
            if n:
                out[gid] = (float(total), int(n))
    return out


def practitioner_week(
    aggs: Sequence[Aggregate], week: str, previous: str, drifting: int, reviews_soon: int
) -> PractitionerWeek:
    def means(w: str) -> dict[str, float]:
        sums: dict[str, list[float]] = {}
        for agg in aggs:
            for gid, (total, n) in week_groups(agg, w).items():
                acc = sums.setdefault(gid, [0.0, 0])
                acc[0] += total
                acc[1] += n
        return {gid: t / n for gid, (t, n) in sums.items() if n}

    def total(name: str) -> int:
        return sum(int(a.weeks.get(week, {}).get(name, 0)) for a in aggs)

    return PractitionerWeek(
        sessions=total("sessions"),
        sent=total("sent"),
        answered=total("answered"),
        groups=means(week),
        previous=means(previous),
        drifting=drifting,
        reviews_soon=reviews_soon,
        client_links=total("client_links"),
        client_answered=total("client_answered"),
    )


def _arrow(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    delta = now - before
    if abs(delta) < 0.02:
        return " → steady"
    return f" {'↑' if delta > 0 else '↓'} {abs(round(delta * 100))} pts"


def _team_mean(rows: Sequence[PractitionerWeek], gid: str, attr: str) -> float | None:
    values = [getattr(r, attr)[gid] for r in rows if gid in getattr(r, attr)]
    return mean(values) if len(values) >= MINIMUM else None


def _client_rate(rows: Sequence[PractitionerWeek]) -> list[tuple[str, str]]:
    """The team's client response rate: only where client ratings are in use, and only from
    MINIMUM practitioners or more (never an answer, a comment or a pseudonym)."""
    using = [r for r in rows if r.client_links]
    if not using:
        return []
    if len(using) < MINIMUM:
        return [("Client response rate", "too little data")]
    links = sum(r.client_links for r in using)
    answered = sum(min(r.client_answered, r.client_links) for r in using)
    return [("Client response rate", f"{round(100 * answered / links)}%")]


def team_digest(
    rubric: Rubric, prompts: Prompts, week_label: str, rows: Sequence[PractitionerWeek]
) -> Message:
    heading = prompts.say("digest_heading", week=week_label)
    active = [r for r in rows if r.sent or r.sessions]
    if len(active) < MINIMUM:
        line = prompts.say("digest_too_little")
        return Message(
            summary=f"{heading}. {line}",
            blocks=(Heading(heading), Paragraph((Span(line),))),
            kind="digest",
            private=False,
        )
    sent = sum(r.sent for r in active)
    answered = sum(r.answered for r in active)
    fields = [
        ("Practitioners", str(len(active))),
        ("Sessions held", str(sum(r.sessions for r in active))),
        ("Check-in response rate", f"{round(100 * answered / sent)}%" if sent else "n/a"),
        ("Relationships drifting", str(sum(r.drifting for r in rows))),
        ("Reviews in the next two weeks", str(sum(r.reviews_soon for r in rows))),
    ]
    fields += _client_rate(rows)
    for g in rubric.groups:
        now = _team_mean(active, g.id, "groups")
        before = _team_mean(rows, g.id, "previous")
        value = "too little data" if now is None else f"{round(now * 100)}%{_arrow(now, before)}"
        fields.append((g.name, value))
    summary = f"{heading}: {fields[1][1]} sessions, response rate {fields[2][1]}"
    return Message(
        summary=summary,
        blocks=(Heading(heading), Fields(tuple(fields))),
        kind="digest",
        private=False,
    )
