"""Drift toward transactional on whole-number ratings: quiet on noise, one nudge per episode."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bench import signal
from bot.core import drift, views
from bot.core.drift import DriftState, DriftVerdict, replay, step
from bot.core.models import Relationship
from bot.core.prompts import load_prompts
from bot.core.rubric import DEFAULT_PATH, RubricError, load_rubric, parse_rubric
from bot.core.scoring import rotation

RUBRIC = load_rubric()
PARAMS = RUBRIC.drift
GROUP_OF = RUBRIC.group_of


def sessions(*values: int, start: int = 1) -> list[dict[str, int]]:
    """Check-ins where every asked contrast got the same rating, asked as the service asks."""
    return [{c.id: v for c in rotation(RUBRIC, n)} for n, v in enumerate(values, start=start)]


def judge(*values: int) -> list[DriftVerdict]:
    return replay(PARAMS, sessions(*values), GROUP_OF)[1]


def nudged(verdicts: list[DriftVerdict]) -> list[int]:
    return [n for n, v in enumerate(verdicts, start=1) if v.nudge]


def watched(verdicts: list[DriftVerdict]) -> list[int]:
    return [n for n, v in enumerate(verdicts, start=1) if v.watch]


def test_a_near_perfect_run_with_one_point_dips_is_not_drift() -> None:
    verdicts = judge(5, 5, 4, 5, 4, 5, 5, 4)
    assert nudged(verdicts) == [] and not any(v.drifting for v in verdicts)
    assert watched(verdicts)[0] == 3  # the first dip after a perfect start: room to grow
    assert verdicts[2].reason == "ceiling"


def test_a_fall_from_five_to_one_is_nudged_at_once() -> None:
    verdicts = judge(5, 5, 5, 5, 1)
    assert nudged(verdicts) == [5] and verdicts[4].rule == "drop"
    assert not verdicts[4].watch  # never both for the same session


def test_a_steady_decline_is_nudged_before_the_last_session() -> None:
    verdicts = judge(5, 5, 4, 4, 4, 3, 3, 3, 2, 2)
    assert len(nudged(verdicts)) == 1 and nudged(verdicts)[0] < 10
    assert verdicts[-1].drifting  # no recovery: it stays drifting, without a second nudge


def test_one_low_session_after_a_stable_run_is_a_watch_note_made_up_next_time() -> None:
    verdicts = judge(4, 4, 4, 4, 4, 4, 2, 4, 4, 4)
    assert nudged(verdicts) == [7] or watched(verdicts) == [7]
    verdicts = judge(4, 4, 4, 4, 4, 4, 3, 4, 4, 4)
    assert nudged(verdicts) == [] and watched(verdicts) == [7]
    assert verdicts[6].reason == "low" and not verdicts[6].drifting


def test_a_low_session_not_made_up_becomes_drift() -> None:
    verdicts = judge(4, 4, 4, 4, 4, 4, 3, 3)
    assert watched(verdicts) == [7] and nudged(verdicts) == [8]


def test_the_group_that_fell_is_named() -> None:
    series = sessions(4, 4, 4, 4, 4, 4)
    for n in range(7, 10):
        ratings = {c.id: (1 if c.group == "power" else 4) for c in rotation(RUBRIC, n)}
        series.append(ratings)
    _, verdicts = replay(PARAMS, series, GROUP_OF)
    first = next(v for v in verdicts if v.nudge)
    assert first.group == "power"


def test_a_review_weighs_more_than_a_check_in() -> None:
    # The same half-point dip: three items say little, all sixteen say it reliably.
    review = {c.id: 4 for c in RUBRIC.contrasts}
    stable = sessions(5, 4, 5, 4, 5, 4)
    dip_checkin = {cid: 4 for cid in sessions(4, start=7)[0]}
    dip_review = {cid: (4 if i % 2 else 3) for i, cid in enumerate(review)}
    quiet = replay(PARAMS, [*stable, review, dip_checkin], GROUP_OF)[1][-1]
    loud = replay(PARAMS, [*stable, review, dip_review], GROUP_OF)[1][-1]
    assert not quiet.watch and not quiet.nudge
    assert loud.watch or loud.nudge


def test_a_relationship_that_starts_transactional_is_nudged_at_once() -> None:
    verdicts = judge(2, 2, 2, 2)
    assert nudged(verdicts) == [1] and verdicts[0].rule == "cutoff"
    assert all(v.drifting for v in verdicts)


def test_recovery_re_arms_the_nudge() -> None:
    verdicts = judge(4, 4, 4, 4, 4, 1, 4, 4, 4, 4, 4, 1)
    assert nudged(verdicts) == [6, 12]


def test_a_session_without_ratings_changes_nothing() -> None:
    state, _ = replay(PARAMS, sessions(4, 4), GROUP_OF)
    after, verdict = step(PARAMS, state, {}, GROUP_OF)
    assert after == state and not verdict.nudge and verdict.overall is None


def test_stored_state_survives_json_and_does_not_grow() -> None:
    series = sessions(*([4, 5, 4, 3, 2, 2, 4, 5, 5, 4, 4, 3] * 6))
    direct, direct_verdicts = replay(PARAMS, series, GROUP_OF)
    state: DriftState | None = None
    sizes: list[int] = []
    stored: list[DriftVerdict] = []
    for ratings in series:
        state, verdict = step(PARAMS, state, ratings, GROUP_OF)
        text = json.dumps(state.to_dict())
        sizes.append(len(text))
        state = DriftState.from_dict(json.loads(text))
        stored.append(verdict)
    assert [v.nudge for v in stored] == [v.nudge for v in direct_verdicts]
    assert max(sizes) < 1200 and max(sizes[16:]) <= max(sizes[:16]) + 20  # digits vary


def test_the_old_rules_state_is_read_and_stays_mid_episode() -> None:
    old = {
        "sessions": 6,
        "baseline": [0.75, 0.75, 0.75],
        "ewma": 0.5,
        "previous": 0.45,
        "groups": {"power": {"baseline": [0.75], "ewma": 0.4}},
        "episode": "trend",
        "calm": 0,
    }
    state = DriftState.from_dict(old)
    assert state.drifting and state.base == 4.0
    state, verdict = step(PARAMS, state, sessions(2, start=7)[0], GROUP_OF)
    assert verdict.drifting and not verdict.nudge  # this episode was nudged already
    # Its running mean becomes the running shift: armed at its baseline, it stays quiet.
    calm = DriftState.from_dict({**old, "episode": None, "ewma": 0.75})
    _, verdict = step(PARAMS, calm, sessions(4, start=7)[0], GROUP_OF)
    assert not verdict.drifting and not verdict.watch
    # Mid-episode, back near its start, a fresh drop is still nudged.
    state = DriftState.from_dict({**old, "ewma": 0.7})
    state, verdict = step(PARAMS, state, sessions(4, start=7)[0], GROUP_OF)
    assert verdict.drifting and not verdict.nudge
    _, verdict = step(PARAMS, state, sessions(1, start=8)[0], GROUP_OF)
    assert verdict.nudge and verdict.rule == "drop"


# What the previous release stored after 4, 4, 4, 4, 4, 4, 4 and a fall to 1 (a drop episode).
V2_MID_DROP = {
    "v": 2,
    "sessions": 8,
    "base": [4.0, 9],
    "items": {
        **{c.id: [4.0, 2] for c in RUBRIC.contrasts},
        **{k: [3.1, 2] for k in ("power_with", "getting_acquainted", "being_involved")},
    },
    "groups": {g: [-2.888026, 2.45801] for g in ("perspectives", "power", "problem_solving")},
    "shift": [-1.2, 0.034807, 0.23758],
    "low": True,
    "ceiling": False,
    "episode": "drift:drop",
    "calm": 0,
}


def test_a_state_stored_by_the_previous_release_stays_mid_episode() -> None:
    state = DriftState.from_dict(V2_MID_DROP)
    assert state.drifting and state.base == 4.0 and state.shift == -1.2
    _, verdict = step(PARAMS, state, sessions(1, start=9)[0], GROUP_OF)
    assert verdict.drifting and not verdict.nudge  # the same drop: not nudged again
    for n in range(9, 13):  # back at its level: the episode ends, as before
        state, verdict = step(PARAMS, state, sessions(4, start=n)[0], GROUP_OF)
    assert not verdict.drifting and not state.drifting


@given(st.integers(3, 5), st.integers(2, 30))
def test_a_constant_relationship_never_nudges(value: int, n: int) -> None:
    verdicts = judge(*([value] * n))
    assert not any(v.nudge or v.watch or v.drifting for v in verdicts)


@given(st.integers(4, 5), st.integers(2, 12), st.integers(0, 4))
def test_a_single_one_point_dip_of_every_item_is_never_a_drift_nudge(
    value: int, before: int, after: int
) -> None:
    verdicts = judge(*([value] * before), value - 1, *([value] * after))
    assert not any(v.nudge or v.drifting for v in verdicts)


@given(
    st.lists(st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=3, max_size=3)), max_size=30)
)
def test_one_drift_nudge_per_episode_and_never_two_messages(rows: list) -> None:
    series = []
    for n, row in enumerate(rows, start=1):
        asked = rotation(RUBRIC, n)
        series.append({} if row is None else {c.id: r for c, r in zip(asked, row, strict=True)})
    _, verdicts = replay(PARAMS, series, GROUP_OF)
    was_drifting = False
    for v in verdicts:
        if v.overall is None:
            assert not v.nudge and not v.watch and v.drifting == was_drifting
            continue
        # A nudge opens each drift episode; while one is open, only a fresh drop below where
        # it stood opens the next (and is nudged): a decline or a trend never nudges twice.
        assert v.nudge == (v.drifting and not was_drifting) or (v.nudge and v.rule == "drop")
        assert not (v.nudge and v.watch)
        assert (v.rule is not None) == v.drifting
        was_drifting = v.drifting


def test_the_harness_scores_the_new_model_above_the_old_and_reports_every_target() -> None:
    rows = signal.run(series=300, seed=3)
    stable = next(r for r in rows if r[0].name == "stable 12, 20% off")
    _, new, old = stable
    assert new.nudged * 2 < old.nudged
    names = {kind.name for kind, _, _ in rows}
    for _, pooled, _, _ in signal.TARGETS:
        assert pooled is None or set(pooled) <= names  # each target measures kinds that ran
    table = signal.targets(rows)
    assert len(table) == 1 + len(signal.TARGETS)
    assert all(line.split()[-2] in ("ok", "MISS") or "-" in line for line in table[1:])


def test_a_dip_is_judged_against_the_same_series_without_it() -> None:
    series = [(1, {"a": 4, "b": 3}), (2, {"a": 3, "b": 2}), (3, {"a": 4, "b": 5})]
    assert signal._undipped(series, 2) == [
        (1, {"a": 4, "b": 3}),
        (2, {"a": 4, "b": 3}),
        (3, {"a": 4, "b": 5}),
    ]


def test_a_fresh_drop_before_the_episode_re_armed_is_nudged_again() -> None:
    # Two low sessions open a drift episode; one session back up does not end it yet; then a
    # sudden fall far below where it stood is a new drift, nudged, though the first is open.
    verdicts = judge(4, 4, 4, 4, 4, 4, 3, 3, 4, 1, 1)
    assert nudged(verdicts) == [8, 10]
    assert verdicts[8].drifting and verdicts[9].rule == "drop"
    assert not verdicts[10].nudge and verdicts[10].drifting  # it stays down: the same episode


def test_a_first_check_in_above_the_rest_sets_no_alarm() -> None:
    # The start is the first three sessions together: a first check-in a point above the
    # rest is part of where the relationship starts, not a high it then falls from.
    verdicts = judge(4, 3, 3, 3, 3, 3, 3, 3, 3, 3)
    assert nudged(verdicts) == [] and watched(verdicts) == []


def test_a_one_point_dip_after_an_uneven_start_is_only_a_watch_note() -> None:
    # The running level must not carry what the first sessions read against a start of
    # fewer items: else the dip looks like the next step of a decline and is drift.
    verdicts = judge(4, 3, 3, 3, 3, 3, 3, 3, 2, 3, 3, 3)
    assert nudged(verdicts) == [] and watched(verdicts) == [9]


def test_a_two_point_fall_of_known_contrasts_for_one_session_is_drift_at_once() -> None:
    verdicts = judge(4, 4, 4, 4, 4, 4, 4, 4, 2, 4, 4, 4)
    assert nudged(verdicts) == [9] and verdicts[8].rule == "drop"


def test_the_previous_sessions_deviation_is_stored_and_read_back() -> None:
    state, _ = replay(PARAMS, sessions(4, 4, 4, 4, 4, 3), GROUP_OF)
    data = json.loads(json.dumps(state.to_dict()))
    assert data["last"] == pytest.approx(state.last) and state.last < -0.5
    assert DriftState.from_dict(data).to_dict() == data
    # A state stored before it was kept reads its running shift in its place.
    del data["last"]
    assert DriftState.from_dict(data).last == pytest.approx(state.shift)


def test_a_steep_decline_is_one_episode() -> None:
    verdicts = judge(5, 5, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1)
    assert len(nudged(verdicts)) == 1


def test_one_low_session_read_against_new_contrasts_is_only_a_watch_note() -> None:
    # A one-point dip of every item at session 4, whose contrasts are all rated for the first
    # time, after a start whose contrasts sat a little lower each session.
    series = [
        {cid: v for cid in ids}
        for ids, v in zip(
            (sessions(0, 0, 0, 0)[n].keys() for n in range(4)), (5, 5, 4, 3), strict=True
        )
    ]
    verdicts = replay(PARAMS, series, GROUP_OF)[1]
    assert not any(v.nudge for v in verdicts)


RAW: dict[str, Any] = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("dip_points", 0, "drift.dip_points: must be greater than 0 and at most fall_points"),
        ("dip_points", 2, "drift.dip_points: must be greater than 0 and at most fall_points"),
        ("unknown_share", 1.5, "drift.unknown_share: must be between 0 and 1"),
        ("unknown_share", None, "drift.unknown_share: must be a number"),
    ],
)
def test_a_wrong_drift_parameter_stops_start_up_and_is_named(
    key: str, value: object, message: str
) -> None:
    data = copy.deepcopy(RAW)
    data["drift"][key] = value
    with pytest.raises(RubricError, match=message):
        parse_rubric(data)
    del data["drift"][key]
    with pytest.raises(RubricError, match=f"drift.{key}: missing"):
        parse_rubric(data)


def test_a_fall_alike_in_every_group_names_no_group():
    """All three groups a point down alike: the message says so rather than guess one."""
    rubric = load_rubric()
    group_of = {c.id: c.group for c in rubric.contrasts}
    state = None
    for t, value in enumerate((4, 4, 4, 4, 2), start=1):
        ratings = {c.id: value for c in rotation(rubric, t)}
        state, verdict = drift.step(rubric.drift, state, ratings, group_of)
    assert verdict.nudge and verdict.group is None
    said = views.drift_nudge(rubric, load_prompts(), _rel(), verdict.rule, verdict.group)
    assert "about equally in every area" in said.summary
    # measured from where the relationship sits, not from the session before
    assert "below where this relationship usually sits" in said.summary


def test_a_fall_in_one_group_names_it():
    rubric = load_rubric()
    group_of = {c.id: c.group for c in rubric.contrasts}
    state = None
    for t in range(1, 9):
        low = 1 if t == 8 else 2 if t > 4 else 4
        ratings = {c.id: (low if c.group == "power" else 4) for c in rotation(rubric, t)}
        state, verdict = drift.step(rubric.drift, state, ratings, group_of)
        if verdict.nudge:
            break
    assert verdict.nudge and verdict.group == "power"
    said = views.drift_nudge(rubric, load_prompts(), _rel(), verdict.rule, verdict.group)
    assert "mostly in power and influence" in said.summary


def _rel() -> Relationship:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    return Relationship("r1", "console:t", "you", "Kim", "Europe/London", at, at)


def test_a_perfect_start_settling_half_a_point_lower_gets_room_to_grow_and_no_drift() -> None:
    # All 5s for three sessions, then half the contrasts a point lower every session: the
    # first dip is a "room to grow" note, and where it settles is its level, not a drift.
    settled = [
        {c: 4 if i % 2 == (n % 2) else 5 for i, c in enumerate(ratings)}
        for n, ratings in enumerate(sessions(*[0] * 9, start=4))
    ]
    verdicts = replay(PARAMS, [*sessions(5, 5, 5), *settled], GROUP_OF)[1]
    assert watched(verdicts) == [4] and verdicts[3].reason == "ceiling"
    assert nudged(verdicts) == [] and not any(v.drifting for v in verdicts)


def test_a_drop_right_after_a_ceiling_note_is_drift_at_once() -> None:
    # The start moves to the dip session but keeps its weight: a two-point fall the next
    # session is judged against three sessions, not against one session of three items.
    verdicts = judge(5, 5, 5, 5, 4, 2)
    assert watched(verdicts) == [5] and nudged(verdicts) == [6]


def test_the_relationships_own_noise_is_stored_and_an_older_state_reads_none() -> None:
    state, _ = replay(PARAMS, sessions(4, 4, 4, 4, 4, 4, 4, 4), GROUP_OF)
    data = json.loads(json.dumps(state.to_dict()))
    assert DriftState.from_dict(data).to_dict() == data
    del data["spread2"]
    assert DriftState.from_dict(data).spread2 == 0.0


@pytest.mark.parametrize(
    ("spread2", "fresh", "nudged_now"),
    [
        (0.3, (2, 2, 1), True),  # contrasts that agree: 1.8 below where it stood is new
        (0.6, (2, 2, 1), False),  # contrasts a point apart: the same reading is its noise
        (0.6, (1, 1, 1), True),  # ... but a fall of every contrast to 1 is still new
    ],
)
def test_a_fresh_drop_mid_episode_needs_a_clearer_fall_on_a_noisier_relationship(
    spread2: float, fresh: tuple[int, ...], nudged_now: bool
) -> None:
    asked = list(sessions(4, start=9)[0])
    mid_decline = DriftState(
        sessions=8,
        base=4.0,
        base_n=12,
        items={c.id: (4.0, 2) for c in RUBRIC.contrasts},
        shift=-0.5,
        shift_var=0.03,
        last=-0.5,
        ceiling=False,
        episode="drift:trend",
        spread2=spread2,
    )
    _, verdict = step(PARAMS, mid_decline, dict(zip(asked, fresh, strict=True)), GROUP_OF)
    assert verdict.drifting and verdict.nudge is nudged_now


# A relationship steady at about 3.8 whose contrasts rated at sessions 4 and 5 (the first
# time) happen to sit lower than the first nine, then one review where every item is exactly
# one point lower (bench signal, "one-point dip, exact", seed 13).
_START_LOW_NEW = [
    {"seeing_people": 3, "balancing_power": 4, "shaping_my_role": 5},
    {"feeling_seen": 4, "power_with": 4, "getting_acquainted": 3},
    {"investing_in_us": 4, "mutual_influence": 3, "meaning_of_success": 4},
    {"being_involved": 3, "trust_as_partner": 4, "shared_solutions": 3},
    {"seeing_people": 3, "my_openness": 3, "mutual_accountability": 3},
]
_REVIEW_DIP = {
    **dict.fromkeys(("seeing_people", "being_involved", "mutual_influence", "my_openness"), 2),
    **dict.fromkeys(("shared_solutions", "mutual_accountability", "getting_acquainted"), 2),
    **dict.fromkeys(("feeling_seen", "investing_in_us", "balancing_power", "power_with"), 3),
    **dict.fromkeys(("trust_as_partner", "client_openness", "meaning_of_success"), 3),
    "facing_roadblocks": 3,
    "shaping_my_role": 4,
}


def test_a_one_point_dip_at_the_review_after_new_contrasts_sat_low_is_a_watch_note() -> None:
    # The sessions before the review compared new contrasts with the start and left the
    # running level about a third of a point low: the dip must not read as a trend's next step.
    after = {"investing_in_us": 4, "balancing_power": 4, "shaping_my_role": 5}
    verdicts = replay(PARAMS, [*_START_LOW_NEW, _REVIEW_DIP, after], GROUP_OF)[1]
    assert nudged(verdicts) == [] and watched(verdicts) == [6]


def test_a_second_session_below_a_high_first_one_is_part_of_the_start() -> None:
    # A first check-in of 5s and a second 1.3 points lower: both are where the relationship
    # starts (not a start of three items that every later session reads low against), so a
    # one-point dip at the review is a watch note (bench signal, exact dip, seed 13).
    series = [
        {"seeing_people": 5, "balancing_power": 5, "shaping_my_role": 5},
        {"feeling_seen": 3, "power_with": 4, "getting_acquainted": 4},
        {"investing_in_us": 4, "mutual_influence": 4, "meaning_of_success": 4},
        {"being_involved": 3, "trust_as_partner": 4, "shared_solutions": 4},
        {"seeing_people": 5, "my_openness": 3, "mutual_accountability": 5},
        {
            **dict.fromkeys(("seeing_people", "balancing_power", "shaping_my_role"), 4),
            **dict.fromkeys(("mutual_accountability",), 4),
            **dict.fromkeys(("feeling_seen", "being_involved", "my_openness"), 2),
            "facing_roadblocks": 2,
            **dict.fromkeys(("investing_in_us", "power_with", "mutual_influence"), 3),
            **dict.fromkeys(("trust_as_partner", "client_openness", "getting_acquainted"), 3),
            **dict.fromkeys(("meaning_of_success", "shared_solutions"), 3),
        },
        {"investing_in_us": 4, "balancing_power": 5, "shaping_my_role": 5},
    ]
    verdicts = replay(PARAMS, series, GROUP_OF)[1]
    assert nudged(verdicts) == [] and watched(verdicts) == [6]
    state = replay(PARAMS, series[:3], GROUP_OF)[0]
    assert state.base == pytest.approx((15 + 11 + 12) / 9)  # the second session is in the start
