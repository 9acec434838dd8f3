"""The client's side: a short rating from the client after a session, beside the
practitioner's own. Pure: the questions, reading a submitted form, the client's series and
the three nudges drawn from the two views.

- **The link** names one held session occurrence of the timeline by its check-in number
  (which never changes, unlike the session number a back-dated `log` can shift) and its
  start time (a second check). It is signed (`bot.core.signed`, purpose `client-page`)
  and expires `client_link_days` after the check-in was opened.
- **The answer**: four ratings 1..5, one per rubric group (keyed by the group id) and
  "helped" ("Did today help?"), and an optional comment of at most 1,000 characters. One
  answer per session; the client may change it while the link is open.
- **The client's series** is judged by `bot.core.drift.step` (rubric.yaml `drift.client`),
  each answer an item of its own group, in session order; an answer arriving for an
  earlier session than one already judged is kept but does not step it (as for check-ins).
- **The nudges**, one kind per answer at most, the client's fall first (it weighs more):
  `falls` (a drift rule fires on the client's own series), `gap` (the practitioner rated
  at least GAP_POINTS above the client, two sessions in a row with both views; once, until
  a session closes the gap; not while the client's series is falling, whose nudge came
  with the same checklist) and `room` (the client started at the top, 5s for two sessions
  or more, then dipped: the drift model's ceiling note). A client lower than the
  practitioner once is not nudged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.core import drift
from bot.core.models import SESSION, Summary
from bot.core.prompts import PromptError
from bot.core.rubric import DriftParams, Rubric

HELPED = "helped"  # "Did today help?"
COMMENT = "comment"
COMMENT_MAX = 1000
LINK_PURPOSE = "client-page"
FORM_PURPOSE = "client-form"  # the CSRF token in the page's form
GAP_POINTS = 1.0  # a full rating point
GAP_SESSIONS = 2  # in a row
RECENT = 12  # client answers kept in the series (as Aggregate.RECENT)
FALLS, GAP, ROOM = "falls", "gap", "room"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "prompts"


class ClientWordsError(PromptError):
    """prompts/client.yaml cannot be used (start-up stops and says why)."""


# --- the words -------------------------------------------------------------------------
@dataclass(frozen=True)
class ClientQuestion:
    id: str  # a rubric group id, or "helped"
    prompt: str
    low: str  # the words at 1
    high: str  # the words at 5


@dataclass(frozen=True)
class ClientWords:
    page: Mapping[str, str]
    questions: tuple[ClientQuestion, ...]
    messages: Mapping[str, Any]

    def on_page(self, key: str, **values: object) -> str:
        return str(self.page[key]).format(**values)

    def say(self, key: str, **values: object) -> str:
        return str(self.messages[key]).format(**values)

    def lines(self, key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self.messages[key])

    def question(self, qid: str) -> ClientQuestion:
        return next(q for q in self.questions if q.id == qid)


_PAGE_KEYS = [
    "title",
    "intro",
    "who_sees",
    "questions",
    "comment",
    "comment_hint",
    "send",
    "change",
    "answered",
    "open_until",
    "thanks_title",
    "thanks",
    "thanks_change",
    "errors_heading",
    "missing",
    "too_long",
    "expired_form",
    "gone_title",
    "gone",
    "unknown_title",
    "unknown",
    "slow_title",
    "busy_title",
    "busy",
    "slow",
]
_MESSAGE_KEYS = [
    "link",
    "link_label",
    "turned_on",
    "on_already",
    "turned_off",
    "off_already",
    "no_secret",
    "answer_heading",
    "answer_edited_heading",
    "answer_intro",
    "you",
    "them",
    "not_yet",
    "missed",
    "comment",
    "answer_invite",
    "falls_heading",
    "falls_body",
    "gap_heading",
    "gap_body",
    "room_heading",
    "room_body",
    "checklist_intro",
    "checklist",
    "helped",
]


def parse_client_words(
    data: Any, rubric: Rubric, source: str = "prompts/client.yaml"
) -> ClientWords:
    """Check prompts/client.yaml against the rubric: one question per group, and "helped"."""
    if not isinstance(data, Mapping):
        raise ClientWordsError(f"{source}: must be a mapping")
    page, messages = data.get("page"), data.get("messages")
    if not isinstance(page, Mapping) or not isinstance(messages, Mapping):
        raise ClientWordsError(f"{source}: needs a `page` and a `messages` mapping")
    for where, got, wanted in (("page", page, _PAGE_KEYS), ("messages", messages, _MESSAGE_KEYS)):
        missing = [k for k in wanted if k not in got]
        if missing:
            raise ClientWordsError(f"{source}: {where}: missing {', '.join(missing)}")
    questions = []
    for i, raw in enumerate(page["questions"] or ()):
        try:
            q = ClientQuestion(*(str(raw[k]).strip() for k in ("id", "prompt", "low", "high")))
        except (KeyError, TypeError):
            raise ClientWordsError(
                f"{source}: page.questions[{i}]: needs id, prompt, low and high"
            ) from None
        if not all((q.prompt, q.low, q.high)):
            raise ClientWordsError(f"{source}: page.questions[{i}]: empty words")
        questions.append(q)
    ids = [q.id for q in questions]
    wanted = [g.id for g in rubric.groups] + [HELPED]
    if sorted(ids) != sorted(wanted):
        raise ClientWordsError(
            f"{source}: page.questions: need one per rubric group and helped "
            f"({', '.join(wanted)}); got {', '.join(ids) or 'none'}"
        )
    return ClientWords(dict(page), tuple(questions), dict(messages))


def load_client_words(rubric: Rubric, directory: Path | str | None = None) -> ClientWords:
    path = Path(directory or DEFAULT_DIR) / "client.yaml"
    return parse_client_words(yaml.safe_load(path.read_text(encoding="utf-8")), rubric)


def group_of(rubric: Rubric) -> dict[str, str]:
    """How the drift model groups the client's answers: each group's question is its group;
    "helped" is a group of its own."""
    return {**{g.id: g.id for g in rubric.groups}, HELPED: HELPED}


# --- the link ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkClaims:
    tenant: str
    relationship: str
    checkin: int  # the held occurrence's check-in number: stable across renumbering
    at: int  # the session's start, epoch seconds

    def to_claims(self) -> dict[str, Any]:
        return {"t": self.tenant, "r": self.relationship, "c": self.checkin, "s": self.at}

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> LinkClaims:
        """Raises ValueError if the (genuine) claims are not a client link's."""
        t, r, c, s = (claims.get(k) for k in ("t", "r", "c", "s"))
        if not (isinstance(t, str) and isinstance(r, str) and type(c) is int and type(s) is int):
            raise ValueError("not a client link")
        return cls(t, r, c, s)


# --- the answer -------------------------------------------------------------------------
@dataclass(frozen=True)
class ClientAnswer:
    """One session's client answer. `comment` is plain here; the store seals it."""

    checkin: int
    session_at: datetime
    ratings: Mapping[str, int]  # group id / "helped" -> 1..5
    answered_at: datetime
    comment: str = field(default="", repr=False)
    edited_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "checkin": self.checkin,
            "session_at": self.session_at.isoformat(),
            "ratings": dict(self.ratings),
            "answered_at": self.answered_at.isoformat(),
        }
        if self.comment:
            d["comment"] = self.comment
        if self.edited_at:
            d["edited_at"] = self.edited_at.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClientAnswer:
        ratings = {str(k): int(v) for k, v in dict(d["ratings"]).items()}
        if not all(1 <= v <= 5 for v in ratings.values()):
            raise ValueError("client ratings must be 1..5")
        return cls(
            checkin=int(d["checkin"]),
            session_at=datetime.fromisoformat(d["session_at"]),
            ratings=ratings,
            answered_at=datetime.fromisoformat(d["answered_at"]),
            comment=str(d.get("comment", "")),
            edited_at=datetime.fromisoformat(d["edited_at"]) if d.get("edited_at") else None,
        )


@dataclass(frozen=True)
class Filled:
    """A valid submitted form."""

    ratings: Mapping[str, int]
    comment: str


def read_form(words: ClientWords, values: Mapping[str, str]) -> Filled | dict[str, str]:
    """The answer a submitted form holds, or {field id: what to fix}."""
    errors: dict[str, str] = {}
    ratings: dict[str, int] = {}
    for q in words.questions:
        raw = str(values.get(q.id, "")).strip()
        if raw in ("1", "2", "3", "4", "5"):
            ratings[q.id] = int(raw)
        else:
            errors[q.id] = words.on_page("missing")
    comment = str(values.get(COMMENT, "")).replace("\r\n", "\n").strip()
    if len(comment) > COMMENT_MAX:
        errors[COMMENT] = words.on_page("too_long", n=f"{len(comment):,}")
    return errors or Filled(ratings, comment)


# --- the client's series ----------------------------------------------------------------
@dataclass(frozen=True)
class ClientPoint:
    """One answered session in the client's series (no comment)."""

    checkin: int
    at: datetime
    ratings: Mapping[str, int]
    note: str | None = None  # falls | gap | room: the nudge this answer brought

    def to_dict(self) -> dict[str, Any]:
        d = {"checkin": self.checkin, "at": self.at.isoformat(), "ratings": dict(self.ratings)}
        return d | ({"note": self.note} if self.note else {})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClientPoint:
        return cls(
            int(d["checkin"]),
            datetime.fromisoformat(d["at"]),
            {str(k): int(v) for k, v in dict(d["ratings"]).items()},
            d.get("note"),
        )


@dataclass(frozen=True)
class ClientSeries:
    """What the client's side remembers per relationship (bounded: RECENT points)."""

    links: int = 0  # check-ins sent with a client link
    answered: int = 0  # sessions the client answered
    recent: tuple[ClientPoint, ...] = ()  # in session order
    drift: Mapping[str, Any] | None = None  # DriftState.to_dict() of the client's series
    drift_before: Mapping[str, Any] | None = None  # before the latest step (for an edit)
    drift_last: int | None = None  # the check-in number stepped last
    falling: bool = False  # the client's own series is in a drift episode
    gap_open: bool = False  # the gap nudge was sent and the gap has not closed since

    def to_dict(self) -> dict[str, Any]:
        return {
            "links": self.links,
            "answered": self.answered,
            "recent": [p.to_dict() for p in self.recent],
            "drift": self.drift,
            "drift_before": self.drift_before,
            "drift_last": self.drift_last,
            "falling": self.falling,
            "gap_open": self.gap_open,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClientSeries:
        return cls(
            links=int(d.get("links", 0)),
            answered=int(d.get("answered", 0)),
            recent=tuple(ClientPoint.from_dict(p) for p in d.get("recent", ())),
            drift=d.get("drift"),
            drift_before=d.get("drift_before"),
            drift_last=d.get("drift_last"),
            falling=bool(d.get("falling", False)),
            gap_open=bool(d.get("gap_open", False)),
        )

    def point(self, checkin: int) -> ClientPoint | None:
        return next((p for p in self.recent if p.checkin == checkin), None)


@dataclass(frozen=True)
class Verdict:
    nudge: str | None = None  # falls | gap | room
    group: str | None = None  # the group (or "helped") that fell most
    gap: float | None = None  # the latest gap, in rating points (practitioner - client)


def practitioner_points(summary: Summary) -> dict[str, float]:
    """The practitioner's view of a session in the client's terms (rating points): each
    group's score, and "Am I being helpful?" beside "Did today help?"."""
    out = {gid: 1 + 4 * score for gid, score in summary.groups.items()}
    if summary.helpful is not None:
        out[HELPED] = float(summary.helpful)
    return out


def gap_of(summary: Summary, point: ClientPoint) -> float | None:
    """Mean over the questions both answered of practitioner minus client, in points."""
    mine = practitioner_points(summary)
    common = [k for k in point.ratings if k in mine]
    if not common:
        return None
    return sum(mine[k] - point.ratings[k] for k in common) / len(common)


def gaps(series: ClientSeries, summaries: Sequence[Summary]) -> list[tuple[int, float]]:
    """(check-in number, gap) of each session with both views, in session order."""
    by_number = {s.number: s for s in summaries if s.kind == SESSION and s.overall is not None}
    out = []
    for p in series.recent:
        s = by_number.get(p.checkin)
        g = gap_of(s, p) if s else None
        if g is not None:
            out.append((p.checkin, g))
    return out


def _gap_step(
    series: ClientSeries, summaries: Sequence[Summary]
) -> tuple[bool, bool, float | None]:
    """(gap open now, nudge now, latest gap)."""
    found = gaps(series, summaries)
    latest = found[-1][1] if found else None
    wide = len(found) >= GAP_SESSIONS and all(g >= GAP_POINTS for _, g in found[-GAP_SESSIONS:])
    if latest is None:
        return series.gap_open, False, None
    if latest < GAP_POINTS:
        return False, False, latest
    return series.gap_open or wide, wide and not series.gap_open, latest


def has_gap(series: ClientSeries, summaries: Sequence[Summary]) -> bool:
    """Whether the two views part ways now (the last GAP_SESSIONS sessions with both)."""
    found = gaps(series, summaries)
    return len(found) >= GAP_SESSIONS and all(g >= GAP_POINTS for _, g in found[-GAP_SESSIONS:])


def _with_point(series: ClientSeries, point: ClientPoint) -> ClientSeries:
    kept = [p for p in series.recent if p.checkin != point.checkin] + [point]
    kept.sort(key=lambda p: (p.at, p.checkin))
    return replace(series, recent=tuple(kept[-RECENT:]))


def _noted(series: ClientSeries, checkin: int, note: str | None) -> ClientSeries:
    if note is None:
        return series
    recent = tuple(replace(p, note=note) if p.checkin == checkin else p for p in series.recent)
    return replace(series, recent=recent)


def _step(
    params: DriftParams,
    prior: Mapping[str, Any] | None,
    ratings: Mapping[str, int],
    groups: Mapping[str, str],
) -> tuple[drift.DriftState, drift.DriftVerdict]:
    state = drift.DriftState.from_dict(prior) if prior else None
    return drift.step(params, state, ratings, groups)


def answered(
    params: DriftParams,
    groups: Mapping[str, str],
    series: ClientSeries,
    point: ClientPoint,
    summaries: Sequence[Summary],
) -> tuple[ClientSeries, Verdict]:
    """Fold a client's answer (new or changed) into the series; the nudge it brings."""
    before = series.point(point.checkin)
    series = _with_point(series, replace(point, note=before.note if before else None))
    if before is None:
        series = replace(series, answered=series.answered + 1)
    verdict = drift.DriftVerdict(False, False, None, None, None)
    stepped = False
    if before is not None and series.drift_last == point.checkin:
        # A changed answer re-steps from the state before it; what it sent is not sent again.
        was = drift.DriftState.from_dict(series.drift) if series.drift else drift.DriftState()
        state, verdict = _step(params, series.drift_before, point.ratings, groups)
        verdict = replace(
            verdict,
            nudge=verdict.nudge and not was.drifting,
            watch=verdict.watch and was.episode is None,
        )
        series = replace(series, drift=state.to_dict())
        stepped = True
    elif before is None and not any(p.at > point.at for p in series.recent):
        state, verdict = _step(params, series.drift, point.ratings, groups)
        series = replace(
            series, drift=state.to_dict(), drift_before=series.drift, drift_last=point.checkin
        )
        stepped = True
    if stepped:
        series = replace(series, falling=verdict.drifting)
    gap_open, gap_nudge, latest = _gap_step(series, summaries)
    series = replace(series, gap_open=gap_open)
    nudge = None
    if stepped and verdict.nudge:
        nudge = FALLS  # the client's own fall weighs most: it speaks for the gap too
    elif gap_nudge and not series.falling:  # falling: told already, with the same checklist
        nudge = GAP
    elif stepped and verdict.watch and verdict.reason == drift.CEILING:
        nudge = ROOM
    return _noted(series, point.checkin, nudge), Verdict(nudge, verdict.group, latest)


def practitioner_answered(
    series: ClientSeries, summaries: Sequence[Summary], checkin: int
) -> tuple[ClientSeries, Verdict]:
    """The practitioner answered (or changed) a check-in: the gap may open or close."""
    gap_open, gap_nudge, latest = _gap_step(series, summaries)
    series = replace(series, gap_open=gap_open)
    if gap_nudge and not series.falling:
        return _noted(series, checkin, GAP), Verdict(GAP, None, latest)
    return series, Verdict(None, None, latest)
