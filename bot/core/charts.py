"""What a chart shows, as data: a relationship's history and the team digest's twelve weeks.

Pure: the facts a chart draws, its alt text (the same facts in words) and its fingerprint
(the hash that names its cached PNG). Drawing them is `bot/service/drawing.py`'s job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.models import SESSION, Aggregate, Relationship
from bot.core.rubric import Rubric
from bot.core.schedule import local

# Bump when the drawing changes, so cached PNGs of the old drawing are not served again.
DRAWING_VERSION = 1
WEEKS = 12  # the digest chart's span
MINIMUM = 3  # the digest's rule: no figure from fewer than three practitioners


@dataclass(frozen=True)
class Point:
    """One answered check-in: its session, day and scores (0..1)."""

    session: int
    day: str  # "12 Mar", in the practitioner's zone
    overall: float
    groups: Mapping[str, float] = field(default_factory=dict)
    review: bool = False
    note: str | None = None  # "drift" | "watch": the nudge or note this check-in brought


@dataclass(frozen=True)
class ClientPoint:
    """The client's own rating of a session (0..1), drawn beside the practitioner's."""

    session: int
    score: float


@dataclass(frozen=True)
class HistoryChart:
    tenant: str
    alias: str
    groups: tuple[tuple[str, str], ...]  # (group id, name), rubric order
    bands: tuple[float, ...]  # the lower bounds of the bands above the first
    points: tuple[Point, ...]
    client: tuple[ClientPoint, ...] | None = None  # None: no client ratings for it
    relationship: str = ""  # its id: `forget` deletes the relationship's charts too
    earlier: int = 0  # answered check-ins before the first point (the aggregate keeps RECENT)

    @property
    def kind(self) -> str:
        return "history"


@dataclass(frozen=True)
class DigestWeek:
    week: str  # ISO week, "2026-W07"
    groups: Mapping[str, float]  # the team's mean per group (groups below the minimum absent)
    response: float | None  # check-ins answered / sent

    def to_dict(self) -> dict[str, Any]:
        return {"g": dict(self.groups), "r": self.response}

    @classmethod
    def from_dict(cls, week: str, d: Mapping[str, Any]) -> DigestWeek:
        groups, response = d["g"], d["r"]
        if not isinstance(groups, Mapping) or not all(
            type(v) in (int, float) for v in groups.values()
        ):
            raise TypeError("a week's group means must be numbers")
        if response is not None and type(response) not in (int, float):
            raise TypeError("a week's response rate must be a number")
        return cls(week, dict(groups), response)


# A settled week as the digest keeps it: its figures, or None when it was left out.
SettledWeeks = Mapping[str, DigestWeek | None]


@dataclass(frozen=True)
class DigestChart:
    tenant: str
    groups: tuple[tuple[str, str], ...]
    bands: tuple[float, ...]
    weeks: tuple[DigestWeek, ...]  # the weeks shown, oldest first
    left_out: tuple[str, ...] = ()  # weeks with fewer than MINIMUM practitioners

    @property
    def kind(self) -> str:
        return "digest"


Chart = HistoryChart | DigestChart


def _groups(rubric: Rubric) -> tuple[tuple[str, str], ...]:
    return tuple((g.id, g.name) for g in rubric.groups)


def _bands(rubric: Rubric) -> tuple[float, ...]:
    return tuple(b.lower for b in rubric.bands[1:])


def history_chart(
    rubric: Rubric,
    rel: Relationship,
    agg: Aggregate,
    client: Sequence[ClientPoint] | None = None,
) -> HistoryChart | None:
    """The chart of the answered check-ins the aggregate keeps (the same as the sparklines);
    None when there is nothing to draw."""
    points = tuple(
        Point(
            session=s.session,
            day=local(s.at, rel.tz).strftime("%d %b"),
            overall=round(s.overall, 4),
            groups={g: round(v, 4) for g, v in s.groups.items()},
            review=s.kind != SESSION,
            note=s.note,
        )
        for s in agg.recent
        if s.overall is not None
    )
    if not points:
        return None
    return HistoryChart(
        tenant=rel.tenant,
        alias=rel.alias,
        groups=_groups(rubric),
        bands=_bands(rubric),
        points=points,
        client=tuple(client) if client is not None else None,
        relationship=rel.id,
        earlier=max(0, agg.answered - len(points)),
    )


@dataclass(frozen=True)
class WeekFigures:
    """One practitioner's figures for one week: what the chart's team means are made of."""

    groups: Mapping[str, float]
    sent: int = 0
    answered: int = 0
    sessions: int = 0

    @property
    def active(self) -> bool:
        return bool(self.sent or self.sessions)


def week_figures(
    aggs: Sequence[Aggregate], weeks: Sequence[str], groups: Sequence[str]
) -> dict[str, WeekFigures]:
    """One practitioner's figures for each of `weeks` their relationships' aggregates hold,
    from the week rows the digest has already read. Runs for every practitioner of a team,
    so it looks up only the counters it needs, with sums over rows rather than loops."""
    names = [(g, f"sum:{g}", f"n:{g}") for g in groups]
    out = {}
    for week in weeks:
        rows = [row for agg in aggs if (row := agg.weeks.get(week))]
        if not rows:
            continue
        means = {}
        for gid, total, count in names:
            n = sum(r.get(count, 0) for r in rows)
            if n:
                means[gid] = sum(r.get(total, 0) for r in rows) / n
        out[week] = WeekFigures(
            groups=means,
            sent=int(sum(r.get("sent", 0) for r in rows)),
            answered=int(sum(r.get("answered", 0) for r in rows)),
            sessions=int(sum(r.get("sessions", 0) for r in rows)),
        )
    return out


def digest_chart(
    rubric: Rubric,
    tenant: str,
    weeks: Sequence[str],
    figures: Sequence[Mapping[str, WeekFigures]],
    settled: SettledWeeks | None = None,
) -> DigestChart:
    """The team's mean per group and response rate per week, from each practitioner's
    figures by week; a week with fewer than MINIMUM active practitioners is left out, and a
    group with fewer than MINIMUM practitioners' scores is left out of its week. A week in
    `settled` (worked out by an earlier digest) is taken as it is."""
    settled = settled or {}
    shown, left_out = [], []
    for week in weeks:
        if week in settled:
            kept = settled[week]
            if kept is None:
                left_out.append(week)
            else:
                shown.append(kept)
            continue
        rows = [f[week] for f in figures if week in f and f[week].active]
        if len(rows) < MINIMUM:
            left_out.append(week)
            continue
        means = {}
        for gid, _name in _groups(rubric):
            values = [r.groups[gid] for r in rows if gid in r.groups]
            if len(values) >= MINIMUM:
                means[gid] = round(sum(values) / len(values), 4)
        sent = sum(r.sent for r in rows)
        response = round(sum(r.answered for r in rows) / sent, 4) if sent else None
        shown.append(DigestWeek(week, means, response))
    return DigestChart(
        tenant=tenant,
        groups=_groups(rubric),
        bands=_bands(rubric),
        weeks=tuple(shown),
        left_out=tuple(left_out),
    )


def settled_of(chart: DigestChart, weeks: Sequence[str]) -> dict[str, DigestWeek | None]:
    """What the chart says of `weeks`, to keep for the next digests."""
    shown = {w.week: w for w in chart.weeks}
    return {w: shown.get(w) for w in weeks if w in shown or w in chart.left_out}


# --- words and names ---------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)}%"


def title(chart: Chart) -> str:
    if isinstance(chart, HistoryChart):
        shown = len(chart.points)
        latest = f" (latest {shown} of {shown + chart.earlier})" if chart.earlier else ""
        return f"{chart.alias}: scores by session{latest}"
    return "Team: average per group and response rate, by week"


def _history_alt(chart: HistoryChart) -> str:
    pts = chart.points
    first, last = pts[0], pts[-1]
    parts = [
        f"Line chart of {chart.alias}'s scores"
        + (
            f", the latest {len(pts)} of {len(pts) + chart.earlier} check-ins"
            if chart.earlier
            else ""
        )
        + f", sessions {first.session} ({first.day}) to "
        f"{last.session} ({last.day}), 0 to 100%, bands shaded at "
        + " and ".join(_pct(b) for b in chart.bands)
        + ".",
        "Overall by session: " + ", ".join(f"{p.session}: {_pct(p.overall)}" for p in pts) + ".",
    ]
    for gid, name in chart.groups:
        series = [p.groups[gid] for p in pts if gid in p.groups]
        if series:
            parts.append(f"{name}: {_pct(series[0])} first, {_pct(series[-1])} latest.")
    reviews = [str(p.session) for p in pts if p.review]
    if reviews:
        parts.append("Reviews at session " + ", ".join(reviews) + ".")
    for note, words in (("drift", "Drift nudge"), ("watch", "Watch note")):
        at = [str(p.session) for p in pts if p.note == note]
        if at:
            parts.append(f"{words} from session " + ", ".join(at) + ".")
    if chart.client:
        parts.append(
            "Client's ratings: "
            + ", ".join(f"{c.session}: {_pct(c.score)}" for c in chart.client)
            + "."
        )
    return " ".join(parts)


def _digest_alt(chart: DigestChart) -> str:
    if not chart.weeks:
        return (
            "No chart figures: every one of the last 12 weeks had fewer than three practitioners."
        )
    parts = [f"Line chart of the team's weekly averages, {len(chart.weeks)} weeks, 0 to 100%."]
    for gid, name in chart.groups:
        cells = [f"{w.week[-3:]} {_pct(w.groups[gid])}" for w in chart.weeks if gid in w.groups]
        if cells:
            parts.append(f"{name}: " + ", ".join(cells) + ".")
    rates = [f"{w.week[-3:]} {_pct(w.response)}" for w in chart.weeks if w.response is not None]
    if rates:
        parts.append("Response rate: " + ", ".join(rates) + ".")
    if chart.left_out:
        parts.append(left_out_text(chart))
    return " ".join(parts)


def _runs(weeks: Sequence[str], all_weeks: Sequence[str]) -> list[str]:
    """Week labels with neighbours joined: W03, W05-W09."""
    place = {w: i for i, w in enumerate(all_weeks)}
    runs: list[list[str]] = []
    for week in weeks:
        if runs and place.get(week, -2) == place.get(runs[-1][-1], -9) + 1:
            runs[-1].append(week)
        else:
            runs.append([week])
    return [r[0][-3:] if len(r) == 1 else f"{r[0][-3:]}-{r[-1][-3:]}" for r in runs]


def left_out_text(chart: DigestChart) -> str:
    every = sorted([*(w.week for w in chart.weeks), *chart.left_out])
    weeks = ", ".join(_runs(chart.left_out, every))
    return f"Left out (fewer than three practitioners): {weeks}."


def alt_text(chart: Chart) -> str:
    """The chart's facts in words, for screen readers and for anyone who cannot load it."""
    return _history_alt(chart) if isinstance(chart, HistoryChart) else _digest_alt(chart)


# --- identity ------------------------------------------------------------------------
def to_data(chart: Chart) -> dict[str, Any]:
    """Plain JSON-safe data: what the drawing reads and the fingerprint hashes."""
    return {"kind": chart.kind, "version": DRAWING_VERSION, **asdict(chart)}


def fingerprint(chart: Chart) -> str:
    """The hash of everything drawn (tenant included): same data, same PNG, same name."""
    raw = json.dumps(to_data(chart), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
