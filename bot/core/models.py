"""The domain's records: relationships, check-ins, practitioners, digests, aggregates.

Frozen dataclasses with plain-JSON codecs (`to_dict` / `from_dict`); the store adds the
version field and the encryption of free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.timeline import Timeline

ACTIVE, PAUSED, CLOSED = "active", "paused", "closed"
PENDING, ANSWERED, MISSED = "pending", "answered", "missed"
SESSION, MIDWAY, ANNUAL, EARLY = "session", "midway", "annual", "early"
REVIEW_KINDS = (MIDWAY, ANNUAL, EARLY)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _num(seconds: float) -> int | float:
    """Whole seconds as an int (shorter JSON); otherwise to the microsecond."""
    return int(seconds) if float(seconds).is_integer() else round(seconds, 6)


def _since(start: datetime, later: datetime) -> int | float:
    return _num((later - start).total_seconds())


def _in_order(ratings: Mapping[str, int], asked: tuple[str, ...]) -> list | dict:
    """Ratings as a list in `asked` order (null = not rated), or as they are if they do not
    fit that (a rating for a contrast not asked, or a contrast asked twice)."""
    if len(set(asked)) != len(asked) or not set(ratings) <= set(asked):
        return dict(ratings)
    return [ratings.get(cid) for cid in asked]


def _from_order(value: Any, asked: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, list) or len(value) != len(asked):
        raise ValueError("ratings do not match the contrasts asked")
    return {cid: r for cid, r in zip(asked, value, strict=True) if r is not None}


def _scores_compact(scores: Mapping[str, Any]) -> list | dict:
    """[overall, groups] for Scores.to_dict(); anything else as it is."""
    if set(scores) == {"groups", "overall"}:
        return [scores["overall"], scores["groups"]]
    return dict(scores)


def _scores_full(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    overall, groups = value  # ValueError/TypeError if it is not a pair
    return {"groups": groups, "overall": overall}


@dataclass(frozen=True)
class Relationship:
    id: str
    tenant: str
    owner: str
    alias: str
    tz: str
    created: datetime
    started: datetime  # anniversaries count from here
    planned_sessions: int | None = None  # None: open-ended
    cadence_days: int | None = None
    cadence_monthly: bool = False
    first_session: datetime | None = None  # naive local wall time of session 1
    length_minutes: int = 60
    status: str = ACTIVE
    timeline: Timeline = field(default_factory=Timeline)  # sessions: see core/timeline.py
    entries: int = 0  # check-ins and reviews created so far (their numbers)
    reviews_done: tuple[str, ...] = ()  # review keys: "midway:4", "midway:6m", "annual:1"
    open_review: int | None = None  # the number of a review sent but not yet answered
    reviews_offered: tuple[str, ...] = ()  # review keys already offered (never nag twice)
    resume_on: str | None = None  # "YYYY-MM-DD": a pause that ends by itself that morning
    paused_at: datetime | None = None  # when the pause began (open deadlines stop there)
    # Client ratings (`client <alias> on`): each session's check-in carries a private link.
    # Stored only when on, so a record written before it (no "client") reads as off.
    client: bool = False

    @property
    def scheduled(self) -> bool:
        return self.first_session is not None and (self.cadence_days or self.cadence_monthly) > 0

    @property
    def open_ended(self) -> bool:
        return self.planned_sessions is None

    @property
    def sessions_held(self) -> int:
        return self.timeline.held

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant": self.tenant,
            "owner": self.owner,
            "alias": self.alias,
            "tz": self.tz,
            "created": _iso(self.created),
            "started": _iso(self.started),
            "planned_sessions": self.planned_sessions,
            "cadence_days": self.cadence_days,
            "cadence_monthly": self.cadence_monthly,
            "first_session": _iso(self.first_session),
            "length_minutes": self.length_minutes,
            "status": self.status,
            "timeline": self.timeline.to_dict(),
            "entries": self.entries,
            "reviews_done": list(self.reviews_done),
            "open_review": self.open_review,
            "reviews_offered": list(self.reviews_offered),
            "resume_on": self.resume_on,
            "paused_at": _iso(self.paused_at),
        } | ({"client": True} if self.client else {})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Relationship:
        """Reads both forms: with "timeline", and the one before it (`sessions_held` and
        `next_session` counters), whose counts become the timeline's (Timeline.from_old)."""
        d = dict(d)
        held, nxt = d.pop("sessions_held", 0), d.pop("next_session", 1)
        if "timeline" in d:
            timeline = Timeline.from_dict(d.pop("timeline"))
        else:
            if type(held) is not int or type(nxt) is not int:
                raise TypeError("sessions_held and next_session must be whole numbers")
            timeline = Timeline.from_old(held, nxt)
        return cls(
            **{
                **d,
                "timeline": timeline,
                "created": _dt(d["created"]),
                "started": _dt(d["started"]),
                "first_session": _dt(d.get("first_session")),
                "paused_at": _dt(d.get("paused_at")),
                "reviews_done": tuple(d.get("reviews_done", ())),
                "reviews_offered": tuple(d.get("reviews_offered", ())),
            }
        )


@dataclass(frozen=True)
class CheckIn:
    """One session check-in or review. `number` is its place in the relationship."""

    relationship: str
    number: int
    kind: str  # session | midway | annual | early
    session: int  # the session it follows (for a review: sessions held when it started)
    session_at: datetime
    created: datetime
    asked: tuple[str, ...]  # contrast ids
    status: str = PENDING
    reminders: int = 0
    answered_at: datetime | None = None
    edited_at: datetime | None = None
    ratings: Mapping[str, int] = field(default_factory=dict)  # contrast id -> 1..5
    process: Mapping[str, int] = field(default_factory=dict)  # e.g. helpful -> 1..5
    texts: Mapping[str, str] = field(default_factory=dict, repr=False)  # free text, plain here
    scores: Mapping[str, Any] | None = None  # Scores.to_dict()
    message_ref: str | None = None

    @property
    def is_review(self) -> bool:
        return self.kind != SESSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "relationship": self.relationship,
            "number": self.number,
            "kind": self.kind,
            "session": self.session,
            "session_at": _iso(self.session_at),
            "created": _iso(self.created),
            "asked": list(self.asked),
            "status": self.status,
            "reminders": self.reminders,
            "answered_at": _iso(self.answered_at),
            "edited_at": _iso(self.edited_at),
            "ratings": dict(self.ratings),
            "process": dict(self.process),
            "texts": dict(self.texts),
            "scores": self.scores,
            "message_ref": self.message_ref,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckIn:
        return cls(
            **{
                **d,
                "session_at": _dt(d["session_at"]),
                "created": _dt(d["created"]),
                "answered_at": _dt(d.get("answered_at")),
                "edited_at": _dt(d.get("edited_at")),
                "asked": tuple(d["asked"]),
            }
        )

    # The compact record (store version 2). Redis holds one per check-in, so every byte
    # counts: short names, fields at their defaults left out, nothing the key already says
    # (relationship id, number), `session` only when it differs from the number, times as
    # epoch seconds (later times as seconds after the session), ratings in `asked` order.
    def to_compact(self) -> dict[str, Any]:
        at = self.session_at
        d: dict[str, Any] = {"t": _num(at.timestamp())}
        if self.kind != SESSION:
            d["k"] = self.kind
        if self.session != self.number:
            d["s"] = self.session
        if self.created != at:
            d["c"] = _since(at, self.created)
        d["a"] = list(self.asked)
        if self.status != PENDING:
            d["st"] = self.status
        if self.reminders:
            d["n"] = self.reminders
        if self.answered_at is not None:
            d["an"] = _since(at, self.answered_at)
        if self.edited_at is not None:
            d["e"] = _since(at, self.edited_at)
        if self.ratings:
            d["r"] = _in_order(self.ratings, self.asked)
        if self.process:
            d["p"] = dict(self.process)
        if self.texts:
            d["texts"] = dict(self.texts)  # the name readers of the sealed text look for
        if self.scores is not None:
            d["sc"] = _scores_compact(self.scores)
        if self.message_ref is not None:
            d["m"] = self.message_ref
        return d

    @classmethod
    def from_compact(cls, d: Mapping[str, Any], relationship: str, number: int) -> CheckIn:
        at = datetime.fromtimestamp(d["t"], UTC)
        asked = tuple(d["a"])
        return cls(
            relationship=relationship,
            number=number,
            kind=d.get("k", SESSION),
            session=d.get("s", number),
            session_at=at,
            created=at + timedelta(seconds=d.get("c", 0)),
            asked=asked,
            status=d.get("st", PENDING),
            reminders=d.get("n", 0),
            answered_at=at + timedelta(seconds=d["an"]) if "an" in d else None,
            edited_at=at + timedelta(seconds=d["e"]) if "e" in d else None,
            ratings=_from_order(d.get("r", {}), asked),
            process=dict(d.get("p", {})),
            texts=dict(d.get("texts", {})),
            scores=_scores_full(d["sc"]) if "sc" in d else None,
            message_ref=d.get("m"),
        )


@dataclass(frozen=True)
class Practitioner:
    tenant: str
    user: str
    tz: str = "UTC"
    address: Mapping[str, Any] | None = None  # how the channel reaches them
    hours: Mapping[str, Any] | None = None  # own working time (core/worktime.py); None: default
    away_until: str | None = None  # "YYYY-MM-DD": every relationship held until that morning
    away_since: str | None = None  # ISO instant the time away began (deadlines stop there)

    @property
    def away(self) -> bool:
        return self.away_until is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # every field is JSON-safe as it is

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Practitioner:
        return cls(**d)


@dataclass(frozen=True)
class DigestSchedule:
    tenant: str
    channel: str
    weekday: int  # 0 = Monday
    at: str  # "HH:MM" local
    tz: str
    address: Mapping[str, Any] | None = None
    created_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # every field is JSON-safe as it is

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DigestSchedule:
        return cls(**d)


@dataclass(frozen=True)
class Summary:
    """One answered check-in as history shows it (no free text)."""

    number: int
    kind: str
    session: int
    at: datetime
    overall: float | None
    groups: Mapping[str, float]
    helpful: int | None = None
    note: str | None = None  # "drift" | "watch": the nudge or note this check-in brought

    def to_dict(self) -> dict[str, Any]:
        d = {
            "number": self.number,
            "kind": self.kind,
            "session": self.session,
            "at": _iso(self.at),
            "overall": self.overall,
            "groups": dict(self.groups),
            "helpful": self.helpful,
        }
        if self.note is not None:  # most check-ins bring none: keep the stored record short
            d["note"] = self.note
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Summary:
        return cls(**{**d, "at": _dt(d["at"])})


@dataclass(frozen=True)
class Aggregate:
    """Running figures per relationship, so history and digests never scan old check-ins.

    `recent` keeps the last RECENT answered check-ins; `weeks` the last WEEKS ISO weeks.
    """

    sent: int = 0
    answered: int = 0
    missed: int = 0  # session check-ins closed unanswered
    recent: tuple[Summary, ...] = ()
    drift: Mapping[str, Any] | None = None  # DriftState.to_dict()
    drifting: bool = False
    drift_group: str | None = None
    # The drift state before the latest check-in was stepped in, and that check-in's number:
    # editing the latest check-in re-steps drift from there.
    drift_before: Mapping[str, Any] | None = None
    drift_last: int | None = None
    weeks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Reviews closed unanswered (set aside), counted apart from missed check-ins. Aggregates
    # written before this field have none: their set-aside reviews are in `missed`.
    set_aside: int = 0
    # Of `sent` and `answered`, the reviews: history counts session check-ins apart from
    # them. Aggregates written before these fields count their reviews as check-ins.
    reviews_sent: int = 0
    reviews_answered: int = 0

    RECENT = 12
    WEEKS = 13  # the digest chart's twelve weeks and the week under way

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "missed": self.missed,
            "recent": [s.to_dict() for s in self.recent],
            "drift": self.drift,
            "drifting": self.drifting,
            "drift_group": self.drift_group,
            "drift_before": self.drift_before,
            "drift_last": self.drift_last,
            "weeks": {k: dict(v) for k, v in self.weeks.items()},
            "set_aside": self.set_aside,
            "reviews_sent": self.reviews_sent,
            "reviews_answered": self.reviews_answered,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Aggregate:
        return cls(**{**d, "recent": tuple(Summary.from_dict(s) for s in d.get("recent", ()))})

    @property
    def checkins_sent(self) -> int:
        """Session check-ins sent (reviews apart)."""
        return self.sent - self.reviews_sent

    @property
    def checkins_answered(self) -> int:
        return self.answered - self.reviews_answered

    def with_summary(self, summary: Summary) -> Aggregate:
        kept = [s for s in self.recent if s.number != summary.number] + [summary]
        kept.sort(key=lambda s: s.number)
        return replace(self, recent=tuple(kept[-self.RECENT :]))

    def count(self, week: str, **deltas: int) -> Aggregate:
        """Add to this ISO week's counters (sessions, sent, answered, missed)."""
        weeks = {k: dict(v) for k, v in self.weeks.items()}
        row = weeks.setdefault(week, {})
        for name, delta in deltas.items():
            row[name] = row.get(name, 0) + delta
        kept = dict(sorted(weeks.items())[-self.WEEKS :])
        return replace(self, weeks=kept)
