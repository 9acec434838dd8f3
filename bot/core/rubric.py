"""The rubric: the sixteen contrasts, their groups, bands and the rules built on them.

`rubric.yaml` at the repo root is the single source. `parse_rubric` checks every key and
raises a `RubricError` that names the file, the key path and what is wrong, so a typo in
the file is caught at start-up with a message a maintainer can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

CONTRAST_COUNT = 16
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "rubric.yaml"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = (
    "version",
    "groups",
    "bands",
    "checkin",
    "drift",
    "reviews",
    "reminders",
    "working_hours",
)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class RubricError(ValueError):
    """A rubric that cannot be used; str() reads `file: key.path: what is wrong`."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        super().__init__(f"{source}: {path}: {problem}" if path else f"{source}: {problem}")
        self.source = source
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Contrast:
    id: str
    group: str
    transactional: str
    personalized: str


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    weight: float
    contrasts: tuple[Contrast, ...]


@dataclass(frozen=True)
class Band:
    """A band of the overall score; applies from `lower` (inclusive) to the next band."""

    id: str
    label: str
    description: str
    lower: float


@dataclass(frozen=True)
class DriftParams:
    """Parameters of bot.core.drift; rubric.yaml explains each one."""

    cutoff: float  # overall score (0..1)
    noise: float  # the rest in rating points (1..5) unless named
    spread: float
    z: float
    baseline_sessions: int
    item_memory: int
    lam: float
    watch_points: float
    fall_points: float
    dip_points: float
    unknown_share: float
    trend_points: float
    rearm_points: float
    rearm_sessions: int
    trend_lead_points: float
    noise_weight: float
    review_noise_weight: float
    noise_power: float
    ceiling_move: float


@dataclass(frozen=True)
class ReviewRules:
    midway_fraction: float
    open_ended_every_months: int
    annual_every_months: int


@dataclass(frozen=True)
class ReminderRules:
    remind_after_hours: float
    missed_after_hours: float
    max_reminders: int


@dataclass(frozen=True)
class WorkingHours:
    start: dt.time
    end: dt.time
    days: tuple[int, ...]  # 0 = Monday, as datetime.weekday()


@dataclass(frozen=True)
class Rubric:
    groups: tuple[Group, ...]
    bands: tuple[Band, ...]
    drift: DriftParams
    reviews: ReviewRules
    reminders: ReminderRules
    working_hours: WorkingHours
    contrasts_per_checkin: int
    # The drift parameters for a client's own series (rubric.yaml `drift.client`: changes
    # from `drift`). None: the same as `drift`.
    client_drift: DriftParams | None = None

    @property
    def group_of(self) -> dict[str, str]:
        """Each contrast id's group id (how bot.core.drift groups items)."""
        return {c.id: c.group for c in self.contrasts}

    @property
    def contrasts(self) -> tuple[Contrast, ...]:
        """All contrasts, group by group, in the file's order."""
        return tuple(c for g in self.groups for c in g.contrasts)

    def contrast(self, contrast_id: str) -> Contrast:
        for c in self.contrasts:
            if c.id == contrast_id:
                return c
        raise KeyError(contrast_id)

    def group(self, group_id: str) -> Group:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def band_for(self, overall: float) -> Band:
        """The band an overall score falls in (scores below 0 count as the first band)."""
        found = self.bands[0]
        for band in self.bands:
            if overall >= band.lower:
                found = band
        return found


# --- parsing -------------------------------------------------------------------------------


class _Reader:
    """Typed access to one mapping of the YAML, remembering where it is for error messages."""

    def __init__(self, source: str, path: str, data: Any) -> None:
        self.source = source
        self.path = path
        if not isinstance(data, Mapping):
            self.fail(path, f"must be a mapping (got {_show(data)})")
        self.data: Mapping[str, Any] = data

    def fail(self, path: str, problem: str) -> NoReturn:
        raise RubricError(self.source, path, problem)

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def only(self, *names: str) -> None:
        # Unknown keys are almost always typos (`lamda`), which would silently use a default.
        for name in self.data:
            if name not in names:
                self.fail(self.key(str(name)), "unknown key")

    def raw(self, name: str) -> Any:
        if name not in self.data:
            self.fail(self.key(name), "missing")
        return self.data[name]

    def sub(self, name: str) -> _Reader:
        return _Reader(self.source, self.key(name), self.raw(name))

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not value.strip():
            self.fail(self.key(name), f"must be non-empty text (got {_show(value)})")
        return value.strip()

    def ident(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not _ID.match(value):
            self.fail(self.key(name), f"must be a snake_case id (got {_show(value)})")
        return value

    def number(
        self, name: str, check: Callable[[float], bool] | None = None, rule: str = ""
    ) -> float:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(self.key(name), f"must be a number (got {_show(value)})")
        if check is not None and not check(float(value)):
            self.fail(self.key(name), f"{rule} (got {_show(value)})")
        return float(value)

    def integer(self, name: str, lowest: int, highest: int | None = None) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(self.key(name), f"must be a whole number (got {_show(value)})")
        if value < lowest or (highest is not None and value > highest):
            rule = f"must be at least {lowest}"
            if highest is not None:
                rule = f"must be between {lowest} and {highest}"
            self.fail(self.key(name), f"{rule} (got {value})")
        return value

    def items(self, name: str) -> list[tuple[str, Any]]:
        value = self.raw(name)
        if not isinstance(value, Sequence) or isinstance(value, str) or not value:
            self.fail(self.key(name), f"must be a non-empty list (got {_show(value)})")
        return [(f"{self.key(name)}[{i}]", item) for i, item in enumerate(value)]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _time(r: _Reader, name: str) -> dt.time:
    value = r.raw(name)
    if isinstance(value, int) and not isinstance(value, bool):
        r.fail(r.key(name), f'must be a quoted "HH:MM" time (got {value}; quote it)')
    if not isinstance(value, str) or not _HHMM.match(value):
        r.fail(r.key(name), f'must be a "HH:MM" time (got {_show(value)})')
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _groups(r: _Reader) -> tuple[Group, ...]:
    groups: list[Group] = []
    seen_groups: set[str] = set()
    seen_contrasts: set[str] = set()
    for path, item in r.items("groups"):
        g = _Reader(r.source, path, item)
        g.only("id", "name", "weight", "contrasts")
        gid = g.ident("id")
        if gid in seen_groups:
            g.fail(g.key("id"), f"duplicate group id {gid!r}")
        seen_groups.add(gid)
        name = g.text("name")
        weight = g.number("weight", lambda w: w > 0, "must be greater than 0")
        contrasts: list[Contrast] = []
        for cpath, citem in g.items("contrasts"):
            c = _Reader(r.source, cpath, citem)
            c.only("id", "transactional", "personalized")
            cid = c.ident("id")
            if cid in seen_contrasts:
                c.fail(c.key("id"), f"duplicate contrast id {cid!r}")
            seen_contrasts.add(cid)
            contrasts.append(Contrast(cid, gid, c.text("transactional"), c.text("personalized")))
        groups.append(Group(gid, name, weight, tuple(contrasts)))
    if len(seen_contrasts) != CONTRAST_COUNT:
        r.fail("groups", f"must hold {CONTRAST_COUNT} contrasts (got {len(seen_contrasts)})")
    return tuple(groups)


def _bands(r: _Reader) -> tuple[Band, ...]:
    bands: list[Band] = []
    for path, item in r.items("bands"):
        b = _Reader(r.source, path, item)
        b.only("id", "label", "description", "lower")
        bid = b.ident("id")
        if any(x.id == bid for x in bands):
            b.fail(b.key("id"), f"duplicate band id {bid!r}")
        lower = b.number("lower", lambda x: 0 <= x < 1, "must be from 0 up to (not including) 1")
        if not bands and lower != 0:
            b.fail(b.key("lower"), f"the first band must start at 0 (got {lower})")
        if bands and lower <= bands[-1].lower:
            b.fail(b.key("lower"), f"must be above the previous band's {bands[-1].lower}")
        bands.append(Band(bid, b.text("label"), b.text("description"), lower))
    return tuple(bands)


def _drift(r: _Reader, bands: tuple[Band, ...], name: str = "drift") -> DriftParams:
    d = r.sub(name)
    d.only(
        "cutoff",
        "noise",
        "spread",
        "z",
        "baseline_sessions",
        "item_memory",
        "lambda",
        "watch_points",
        "fall_points",
        "dip_points",
        "unknown_share",
        "trend_points",
        "rearm_points",
        "rearm_sessions",
        "trend_lead_points",
        "noise_weight",
        "review_noise_weight",
        "noise_power",
        "ceiling_move",
    )
    unit = "must be between 0 and 1"
    pts = "must be greater than 0 and at most 4 (rating points)"

    def point(name: str) -> float:
        return d.number(name, lambda x: 0 < x <= 4, pts)

    if d.raw("cutoff") is None:
        # The default cutoff is where the lowest band ends: "already transactional".
        cutoff = bands[1].lower if len(bands) > 1 else 0.0
    else:
        cutoff = d.number("cutoff", lambda x: 0 <= x <= 1, unit)
    watch = point("watch_points")
    fall = d.number(
        "fall_points", lambda x: watch <= x <= 4, f"must be from watch_points ({watch:g}) to 4"
    )
    dip = d.number(
        "dip_points",
        lambda x: 0 < x <= fall,
        f"must be greater than 0 and at most fall_points ({fall:g})",
    )
    trend = point("trend_points")
    return DriftParams(
        cutoff=cutoff,
        noise=point("noise"),
        spread=d.number("spread", lambda x: 0 <= x <= 4, "must be from 0 to 4 (rating points)"),
        z=d.number("z", lambda x: 0 < x <= 10, "must be greater than 0 and at most 10"),
        baseline_sessions=d.integer("baseline_sessions", 1, 20),
        item_memory=d.integer("item_memory", 1, 20),
        lam=d.number("lambda", lambda x: 0 < x <= 1, unit),
        watch_points=watch,
        fall_points=fall,
        dip_points=dip,
        unknown_share=d.number("unknown_share", lambda x: 0 <= x <= 1, unit),
        trend_points=trend,
        rearm_points=point("rearm_points"),
        rearm_sessions=d.integer("rearm_sessions", 1, 20),
        trend_lead_points=d.number(
            "trend_lead_points",
            lambda x: 0 < x <= trend,
            f"must be greater than 0 and at most trend_points ({trend:g})",
        ),
        noise_weight=d.number("noise_weight", lambda x: 0 < x <= 1, unit),
        review_noise_weight=d.number("review_noise_weight", lambda x: 0 < x <= 1, unit),
        noise_power=d.number("noise_power", lambda x: 0 <= x <= 4, "must be from 0 to 4"),
        ceiling_move=d.number("ceiling_move", lambda x: 0 <= x <= 1, unit),
    )


def _own_drift(r: _Reader) -> Mapping[str, Any]:
    """The `drift` mapping without its `client` block."""
    return {k: v for k, v in r.sub("drift").data.items() if k != "client"}


def _client_drift(r: _Reader, bands: tuple[Band, ...]) -> DriftParams | None:
    """`drift.client`: the client series' parameters, each one `drift`'s unless given here,
    checked by the same rules (errors name `drift.client.<key>`)."""
    changes = r.sub("drift").data.get("client")
    if changes is None:
        return None
    if not isinstance(changes, Mapping):
        r.fail("drift.client", f"must be a mapping (got {_show(changes)})")
    merged = {**_own_drift(r), **changes}
    return _drift(_Reader(r.source, "drift", {"client": merged}), bands, "client")


def _reviews(r: _Reader) -> ReviewRules:
    v = r.sub("reviews")
    v.only("midway_fraction", "open_ended_every_months", "annual_every_months")
    return ReviewRules(
        midway_fraction=v.number("midway_fraction", lambda x: 0 < x < 1, "must be between 0 and 1"),
        open_ended_every_months=v.integer("open_ended_every_months", 1, 120),
        annual_every_months=v.integer("annual_every_months", 1, 120),
    )


def _reminders(r: _Reader) -> ReminderRules:
    m = r.sub("reminders")
    m.only("remind_after_hours", "missed_after_hours", "max_reminders")
    remind = m.number("remind_after_hours", lambda x: x > 0, "must be greater than 0")
    missed = m.number(
        "missed_after_hours",
        lambda x: x > remind,
        f"must be later than remind_after_hours ({remind:g})",
    )
    return ReminderRules(remind, missed, m.integer("max_reminders", 0, 5))


def _working_hours(r: _Reader) -> WorkingHours:
    w = r.sub("working_hours")
    w.only("start", "end", "days")
    start, end = _time(w, "start"), _time(w, "end")
    if end <= start:
        w.fail(w.key("end"), f"must be after start ({start:%H:%M})")
    days: list[int] = []
    for path, item in w.items("days"):
        name = item.lower() if isinstance(item, str) else item
        if name not in DAY_NAMES:
            w.fail(path, f"must be one of {', '.join(DAY_NAMES)} (got {_show(item)})")
        if DAY_NAMES.index(name) in days:
            w.fail(path, f"duplicate day {item!r}")
        days.append(DAY_NAMES.index(name))
    return WorkingHours(start, end, tuple(sorted(days)))


def parse_rubric(data: Mapping[str, Any], source: str = "rubric.yaml") -> Rubric:
    """Check a loaded rubric document and build the Rubric, or raise RubricError."""
    r = _Reader(source, "", data)
    r.only(
        "version", "groups", "bands", "checkin", "drift", "reviews", "reminders", "working_hours"
    )
    if r.raw("version") != 1:
        r.fail("version", f"must be 1 (got {_show(r.raw('version'))})")
    groups = _groups(r)
    bands = _bands(r)
    checkin = r.sub("checkin")
    checkin.only("contrasts_per_checkin")
    per_checkin = checkin.integer("contrasts_per_checkin", 1, CONTRAST_COUNT)
    return Rubric(
        groups=groups,
        bands=bands,
        drift=_drift(_Reader(r.source, "", {"drift": _own_drift(r)}), bands),
        client_drift=_client_drift(r, bands),
        reviews=_reviews(r),
        reminders=_reminders(r),
        working_hours=_working_hours(r),
        contrasts_per_checkin=per_checkin,
    )


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read and check rubric.yaml (default: the one at the repo root)."""
    file = Path(path) if path is not None else DEFAULT_PATH
    source = str(path) if path is not None else DEFAULT_PATH.name
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(source, "", f"cannot be read ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RubricError(source, "", f"is not valid YAML ({exc})") from exc
    return parse_rubric(data if data is not None else {}, source)
