"""A relationship's timeline: one ordered list of session occurrences.

Every figure about sessions (how many were held, which number the next one has, whether the
plan is complete, when the midway review falls) is read from this list, never from counters
kept beside it.

An occurrence is `planned`, `held` or `cancelled`. What is stored is only what cannot be
computed again:

- `earlier`: sessions held without a time on the timeline. They come first. They are the
  sessions counted by `add ... held=<n>`, and the `sessions_held` of a relationship stored
  before the timeline existed (see below). (A `start=` in the past puts the sessions it
  counts on the timeline at their scheduled times, held without check-ins.)
- `done`: held and cancelled occurrences, each with its start time, the scheduled slot it
  filled (None for a session logged away from the schedule) and its check-in number. Only
  the latest KEEP are kept: older ones are folded into `earlier` (their count stays; a
  back-dated `log` older than all kept occurrences is placed after the folded ones).
- `next_slot`: scheduled slots before it are settled (held, cancelled or counted in
  `earlier`); from it on, every slot not in `done` is planned.
- `moves`: slots moved to another time by `move`.

A scheduled slot k starts at the relationship's first session plus k-1 cadences, in local
wall time (schedule.session_start), unless it was moved. Planned occurrences are those
slots, from `next_slot`, until the plan's number of sessions is reached: cancelling one
therefore moves the plan's end out by one occurrence by itself.

Sessions are numbered by their place: the `earlier` ones 1..earlier, then held ones by
time, then planned ones by time.

Stored form (inside the relationship record, key "timeline"):
    {"earlier": 3, "next": 5, "done": [[1773655200, "h", 4, 7], [1774260000, "c", 5, null]],
     "moves": {"6": 1774870200}}
with times as epoch seconds, "h" held, "c" cancelled, then slot (or null) and check-in
number (or null). A relationship record without "timeline" was written before it existed:
its `sessions_held` becomes `earlier` and its `next_session` becomes `next_slot` (the old
version numbered sessions by slot, so the two agree), so no count, number or schedule
written by that version is lost or read differently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

PLANNED, HELD, CANCELLED = "planned", "held", "cancelled"
_CODES = {HELD: "h", CANCELLED: "c"}
_STATES = {v: k for k, v in _CODES.items()}
KEEP = 60  # occurrences kept with their times (over a year of weekly sessions)
FUTURE_GRACE = timedelta(minutes=5)  # a `log` this far ahead is "now" give or take a clock


@dataclass(frozen=True)
class Occurrence:
    at: datetime  # aware UTC start
    state: str  # planned | held | cancelled
    slot: int | None = None  # the scheduled slot it fills; None: logged off the schedule
    checkin: int | None = None  # its check-in's number, if it has one
    number: int | None = None  # its session number (None when cancelled)


@dataclass(frozen=True)
class Timeline:
    earlier: int = 0
    done: tuple[Occurrence, ...] = ()  # held and cancelled, in time order
    next_slot: int = 1
    moves: Mapping[int, datetime] = field(default_factory=dict)

    @property
    def held(self) -> int:
        return self.earlier + sum(1 for o in self.done if o.state == HELD)

    def settled(self, slot: int) -> bool:
        return slot < self.next_slot or any(o.slot == slot for o in self.done)

    def to_dict(self) -> dict[str, Any]:
        return {
            "earlier": self.earlier,
            "next": self.next_slot,
            "done": [[_epoch(o.at), _CODES[o.state], o.slot, o.checkin] for o in self.done],
            "moves": {str(k): _epoch(v) for k, v in sorted(self.moves.items())},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Timeline:
        done = tuple(
            Occurrence(datetime.fromtimestamp(t, UTC), _STATES[code], slot, checkin)
            for t, code, slot, checkin in d.get("done", ())
        )
        moves = {int(k): datetime.fromtimestamp(v, UTC) for k, v in d.get("moves", {}).items()}
        return cls(int(d.get("earlier", 0)), done, int(d.get("next", 1)), moves)

    @classmethod
    def from_old(cls, sessions_held: int, next_session: int) -> Timeline:
        """The timeline of a relationship stored before timelines: its counts, kept."""
        return cls(earlier=sessions_held, next_slot=next_session)


def _epoch(at: datetime) -> int | float:
    t = at.timestamp()
    return int(t) if t.is_integer() else round(t, 6)


# --- the schedule a timeline is laid on ------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the timeline needs of its relationship: the schedule and the plan's size."""

    slot_start: Callable[[int], datetime]  # UTC start of scheduled slot k (unmoved)
    slots: bool  # whether the relationship has scheduled slots at all
    one_off: bool  # a single scheduled session (a start without a cadence)
    planned: int | None  # None: open-ended
    cadence: timedelta  # roughly: one cadence (a month is 30 days)
    started: datetime
    day_of: Callable[[datetime], date]  # the local day of an instant


def slot_at(tl: Timeline, plan: Plan, slot: int) -> datetime:
    return tl.moves.get(slot) or plan.slot_start(slot)


def _last_slot(plan: Plan) -> int:
    return 1 if plan.one_off else 10**6


def planned(tl: Timeline, plan: Plan, limit: int = 400) -> Iterator[Occurrence]:
    """The planned occurrences in time order, numbered, up to the plan's end (or `limit`)."""
    if not plan.slots:
        return
    left = limit if plan.planned is None else min(limit, plan.planned - tl.held)
    taken = {o.slot for o in tl.done if o.slot is not None}
    slots = []
    k = tl.next_slot
    while len(slots) < left and k <= _last_slot(plan):
        if k not in taken:
            slots.append((slot_at(tl, plan, k), k))
        k += 1
    number = tl.held
    for at, k in sorted(slots):
        number += 1
        yield Occurrence(at, PLANNED, k, None, number)


def occurrences(tl: Timeline, plan: Plan, limit: int = 400) -> list[Occurrence]:
    """The whole timeline in time order: held and cancelled (numbered), then planned."""
    out, number = [], tl.earlier
    for o in tl.done:
        if o.state == HELD:
            number += 1
            out.append(replace(o, number=number))
        else:
            out.append(o)
    return out + list(planned(tl, plan, limit))


def next_planned(tl: Timeline, plan: Plan) -> Occurrence | None:
    return next(planned(tl, plan, limit=1), None)


def complete(tl: Timeline, plan: Plan) -> bool:
    return plan.planned is not None and tl.held >= plan.planned


def held_with(tl: Timeline, checkin: int) -> Occurrence | None:
    """The held occurrence whose check-in is `checkin`, numbered."""
    return next((o for o in occurrences(tl, _NO_PLAN) if o.checkin == checkin), None)


def number_of(tl: Timeline, checkin: int) -> int | None:
    """The session number of the held occurrence whose check-in is `checkin`."""
    found = held_with(tl, checkin)
    return found.number if found else None


def session_date(tl: Timeline, plan: Plan, number: int) -> datetime | None:
    """When session `number` was held or is planned (None: earlier, or not on the plan)."""
    for o in occurrences(tl, plan, limit=number + 1):
        if o.number == number:
            return o.at
    return None


# --- changes ------------------------------------------------------------------------


class Refused(Exception):
    """A change that cannot be made; `reason` is a key of messages.yaml."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _settle(tl: Timeline, done: list[Occurrence], **changes: Any) -> Timeline:
    done.sort(key=lambda o: o.at)
    tl = replace(tl, done=tuple(done), **changes)
    taken = {o.slot for o in tl.done}
    k = tl.next_slot
    while k in taken:
        k += 1
    return _folded(replace(tl, next_slot=k))


def _folded(tl: Timeline) -> Timeline:
    """At most KEEP occurrences keep their times: older ones are folded into `earlier`, so
    the record (read by every due job) stops growing. Only settled slots are folded."""
    extra = len(tl.done) - KEEP
    if extra <= 0:
        return tl
    old = [o for o in tl.done[:extra] if o.slot is None or o.slot < tl.next_slot]
    held = sum(1 for o in old if o.state == HELD)
    return replace(tl, earlier=tl.earlier + held, done=tl.done[len(old) :])


def _matching_slot(tl: Timeline, plan: Plan, at: datetime) -> int | None:
    """The unsettled scheduled slot a session at `at` is: same local day, or within half a
    cadence (the nearest one)."""
    best: tuple[timedelta, int] | None = None
    for o in planned(tl, plan, limit=3):
        gap = abs(o.at - at)
        near = plan.day_of(o.at) == plan.day_of(at) or gap <= plan.cadence / 2
        if near and (best is None or gap < best[0]):
            best = (gap, o.slot)
    return best[1] if best else None


def log(tl: Timeline, plan: Plan, at: datetime, now: datetime, checkin: int) -> Timeline:
    """A session held at `at`: the scheduled occurrence it is, or one of its own."""
    if at > now + FUTURE_GRACE:
        raise Refused("log_future")
    if plan.day_of(at) < plan.day_of(plan.started):
        raise Refused("log_before_start")
    if complete(tl, plan):
        raise Refused("plan_complete_already")
    slot = _matching_slot(tl, plan, at)
    done = [*tl.done, Occurrence(at, HELD, slot, checkin)]
    return _settle(tl, done)


def hold_slot(tl: Timeline, plan: Plan, slot: int, checkin: int) -> Timeline:
    """Scheduled slot `slot` took place (its check-in is due). Open slots due before it did
    not take place: cancelled, so none is left planned in the past."""
    if tl.settled(slot) or complete(tl, plan):
        raise Refused("not_planned")
    done, at = list(tl.done), slot_at(tl, plan, slot)
    for k in range(tl.next_slot, slot):
        if not tl.settled(k) and slot_at(tl, plan, k) < at:  # (a slot moved later stays)
            done.append(Occurrence(slot_at(tl, plan, k), CANCELLED, k))
    done.append(Occurrence(slot_at(tl, plan, slot), HELD, slot, checkin))
    return _settle(tl, done)


def cancel_slot(tl: Timeline, plan: Plan, slot: int) -> Timeline:
    if tl.settled(slot):
        raise Refused("not_planned")
    return _settle(tl, [*tl.done, Occurrence(slot_at(tl, plan, slot), CANCELLED, slot)])


def _pick(tl: Timeline, plan: Plan, day: date | None) -> Occurrence:
    for o in planned(tl, plan, limit=60 if day else 1):
        if day is None or plan.day_of(o.at) == day:
            return o
    raise Refused("no_session_that_day" if day else "no_session_planned")


def skip(tl: Timeline, plan: Plan, day: date | None = None) -> tuple[Timeline, Occurrence]:
    """Cancel the next planned occurrence (or that day's)."""
    o = _pick(tl, plan, day)
    return cancel_slot(tl, plan, o.slot), o


def move(tl: Timeline, plan: Plan, to: datetime, now: datetime) -> tuple[Timeline, Occurrence]:
    """Move the next planned occurrence to `to` (not into the past)."""
    if to <= now:
        raise Refused("move_past")
    o = _pick(tl, plan, None)
    return replace(tl, moves={**tl.moves, o.slot: to}), o


def count_past(tl: Timeline, plan: Plan, now: datetime, length: timedelta) -> Timeline:
    """Slots that ended before `now` (a `start=` in the past): held, at their times, without
    check-ins, so a back-dated `log` among them still finds its place."""
    done, k = list(tl.done), tl.next_slot
    while plan.slots and k <= _last_slot(plan) and plan.slot_start(k) + length <= now:
        if plan.planned is not None and tl.earlier + len(done) >= plan.planned:
            break
        done.append(Occurrence(slot_at(tl, plan, k), HELD, k))
        k += 1
    return _settle(tl, done, next_slot=k)


_NO_PLAN = Plan(
    slot_start=lambda k: datetime.max.replace(tzinfo=UTC),
    slots=False,
    one_off=False,
    planned=0,
    cadence=timedelta(days=7),
    started=datetime.min.replace(tzinfo=UTC),
    day_of=lambda at: at.date(),
)
