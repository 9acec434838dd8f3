"""Drift toward transactional: quiet on a stable relationship, one nudge per episode."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.drift import DriftState, DriftVerdict, replay, step
from bot.core.rubric import load_rubric
from bot.core.scoring import Scores, score

PARAMS = load_rubric().drift
GROUPS = ("perspectives", "power", "problem_solving")


def flat(x: float) -> Scores:
    """A session where every group scored x."""
    return Scores(dict.fromkeys(GROUPS, x), x)


def by_group(perspectives: float, power: float, problem_solving: float) -> Scores:
    groups = {"perspectives": perspectives, "power": power, "problem_solving": problem_solving}
    return Scores(groups, sum(groups.values()) / 3)


def nudges(verdicts: list[DriftVerdict]) -> list[int]:
    """Session numbers (1-based) that sent a drift nudge."""
    return [i for i, v in enumerate(verdicts, start=1) if v.nudge]


STABLE = [0.75, 0.80, 0.70, 0.78, 0.72, 0.83, 0.69, 0.76, 0.74, 0.81, 0.67, 0.75]
STEADY_DECLINE = [round(0.80 - 0.05 * i, 2) for i in range(12)]  # 0.80 .. 0.25
SUDDEN_DROP = [0.75, 0.72, 0.78, 0.74, 0.44, 0.47, 0.50, 0.55]
SLOW_NOISY_DECLINE = [0.78, 0.74, 0.79, 0.71, 0.70, 0.64, 0.62, 0.58, 0.57, 0.52, 0.50]
RECOVERY_THEN_DECLINE = (
    [0.80, 0.75, 0.70, 0.65, 0.60, 0.55]  # first decline
    + [0.70, 0.80, 0.82, 0.80, 0.78]  # back to the usual level
    + [0.72, 0.66, 0.60, 0.55, 0.50]  # second decline
)
STARTS_LOW = [0.30, 0.33, 0.28, 0.35, 0.30, 0.32, 0.29, 0.31]


def test_stable_relationship_never_drifts() -> None:
    _, verdicts = replay(PARAMS, [flat(x) for x in STABLE])
    assert not any(v.drifting or v.nudge for v in verdicts)


def test_steady_decline_is_flagged_before_the_transactional_band() -> None:
    _, verdicts = replay(PARAMS, [flat(x) for x in STEADY_DECLINE])
    assert nudges(verdicts) == [6]  # one nudge, at session 6
    flagged = verdicts[5]
    assert flagged.rule == "trend" and flagged.overall == pytest.approx(0.55)
    assert flagged.overall is not None and flagged.overall >= 0.40
    assert not any(v.drifting for v in verdicts[:5])
    assert all(v.drifting for v in verdicts[5:])  # no recovery, so it stays drifting


def test_sudden_drop_is_flagged_at_that_session() -> None:
    _, verdicts = replay(PARAMS, [flat(x) for x in SUDDEN_DROP])
    assert nudges(verdicts) == [5]
    assert verdicts[4].rule == "drop" and verdicts[4].drifting


def test_a_drop_in_the_second_session_is_caught() -> None:
    _, verdicts = replay(PARAMS, [flat(0.80), flat(0.50)])
    assert nudges(verdicts) == [2] and verdicts[1].rule == "drop"


def test_falling_back_from_one_unusually_good_session_is_not_a_drop() -> None:
    series = [0.70, 0.72, 0.68, 0.95, 0.70, 0.71, 0.69, 0.72]
    _, verdicts = replay(PARAMS, [flat(x) for x in series])
    assert nudges(verdicts) == []


def test_a_decline_over_several_sessions_nudges_once() -> None:
    _, verdicts = replay(PARAMS, [flat(x) for x in SLOW_NOISY_DECLINE])
    assert len(nudges(verdicts)) == 1
    first = nudges(verdicts)[0]
    assert verdicts[first - 1].overall is not None and verdicts[first - 1].overall >= 0.40
    assert all(v.drifting for v in verdicts[first - 1 :])


def test_recovery_rearms_and_a_second_decline_nudges_again() -> None:
    _, verdicts = replay(PARAMS, [flat(x) for x in RECOVERY_THEN_DECLINE])
    first, second = nudges(verdicts)
    assert first == 6
    assert any(not v.drifting for v in verdicts[first : second - 1])  # it did recover
    assert second > 11
    assert verdicts[second - 1].overall is not None and verdicts[second - 1].overall >= 0.40


def test_the_verdict_names_the_group_that_fell() -> None:
    # Only the power items decline; the other groups wobble around their usual level.
    series = [
        by_group(0.75, 0.75, 0.75),
        by_group(0.80, 0.75, 0.70),
        by_group(0.75, 0.70, 0.75),
        by_group(0.70, 0.55, 0.80),
        by_group(0.80, 0.45, 0.75),
        by_group(0.75, 0.35, 0.70),
        by_group(0.75, 0.25, 0.80),
        by_group(0.80, 0.25, 0.75),
    ]
    _, verdicts = replay(PARAMS, series)
    assert len(nudges(verdicts)) == 1
    assert all(v.group == "power" for v in verdicts if v.drifting)


def test_a_sudden_drop_in_one_group_names_that_group() -> None:
    series = [by_group(0.75, 0.75, 0.75)] * 4 + [by_group(0.75, 0.75, 0.0)]
    _, verdicts = replay(PARAMS, series)
    assert verdicts[-1].nudge and verdicts[-1].rule == "drop"
    assert verdicts[-1].group == "problem_solving"


def test_a_relationship_that_starts_low_gets_a_cutoff_verdict() -> None:
    _, verdicts = replay(PARAMS, [by_group(0.25, 0.25, 0.40)] + [flat(x) for x in STARTS_LOW])
    assert nudges(verdicts) == [1]
    assert verdicts[0].rule == "cutoff" and verdicts[0].group in ("perspectives", "power")
    assert all(v.drifting and v.rule == "cutoff" for v in verdicts)


def test_climbing_out_of_the_transactional_band_ends_the_episode() -> None:
    series = [0.30, 0.35, 0.45, 0.50, 0.55, 0.55]
    _, verdicts = replay(PARAMS, [flat(x) for x in series])
    assert nudges(verdicts) == [1]
    assert not verdicts[-1].drifting


def test_a_session_without_scores_changes_nothing() -> None:
    state, _ = replay(PARAMS, [flat(0.75), flat(0.78)])
    after, verdict = step(PARAMS, state, Scores({}, None))
    assert after == state
    assert verdict == DriftVerdict(False, False, None, None, None)
    fresh, verdict = step(PARAMS, None, Scores({}, None))
    assert fresh == DriftState() and not verdict.nudge


def test_a_real_check_in_feeds_the_rule() -> None:
    rubric = load_rubric()
    good = score(rubric, {"seeing_people": 4, "power_with": 5, "facing_roadblocks": 4})
    bad = score(rubric, {"seeing_people": 2, "power_with": 2, "facing_roadblocks": 3})
    _, verdicts = replay(rubric.drift, [good, good, good, bad])
    assert nudges(verdicts) == [4] and verdicts[3].rule == "drop"


def test_stored_state_survives_json_and_does_not_grow() -> None:
    # The state is stored per relationship: stepping from a JSON copy must give the same
    # verdicts as stepping straight through, and its size must not grow with history.
    series = [flat(x) for x in RECOVERY_THEN_DECLINE * 4]
    direct, direct_verdicts = replay(PARAMS, series)
    state: DriftState | None = None
    sizes: list[int] = []
    stored_verdicts: list[DriftVerdict] = []
    for scores in series:
        state, verdict = step(PARAMS, state, scores)
        text = json.dumps(state.to_dict())
        sizes.append(len(text))
        state = DriftState.from_dict(json.loads(text))
        stored_verdicts.append(verdict)
    assert stored_verdicts == direct_verdicts
    assert state == direct
    assert max(sizes) < 700 and max(sizes[10:]) <= max(sizes[:10]) + 40


@given(st.lists(st.one_of(st.none(), st.floats(0.0, 1.0)), max_size=30))
def test_one_nudge_per_episode_for_any_series(values: list[float | None]) -> None:
    series = [Scores({}, None) if x is None else flat(x) for x in values]
    _, verdicts = replay(PARAMS, series)
    was_drifting = False
    for v in verdicts:
        if v.overall is None:
            assert not v.nudge and not v.drifting
            continue
        assert v.nudge == (v.drifting and not was_drifting)
        assert (v.rule is not None) == v.drifting and (v.group is not None) == v.drifting
        was_drifting = v.drifting


@given(st.floats(0.40, 1.0), st.integers(2, 30))
def test_a_constant_relationship_above_the_cutoff_never_drifts(x: float, n: int) -> None:
    _, verdicts = replay(PARAMS, [flat(x)] * n)
    assert not any(v.drifting for v in verdicts)


def _false_alarm_rate(sessions: int, noise: float, trials: int, seed: int) -> float:
    rng = random.Random(seed)
    alarms = 0
    for _ in range(trials):
        series = [flat(0.75 + rng.uniform(-noise, noise)) for _ in range(sessions)]
        _, verdicts = replay(PARAMS, series)
        alarms += any(v.nudge for v in verdicts)
    return alarms / trials


def test_false_alarms_on_stable_relationships_are_rare() -> None:
    # Seeded sweep: 2,000 stable relationships, 0.75 with uniform noise of +/-0.08.
    # Measured with 10,000: 0.13% over 8 sessions, 0.78% over 12 (see bot/core/drift.py).
    assert _false_alarm_rate(8, 0.08, 2000, seed=8) <= 0.01
    assert _false_alarm_rate(12, 0.08, 2000, seed=12) <= 0.02


def test_a_tighter_limit_would_alarm_more_often() -> None:
    # Why width is 2.5 and not 2: the narrower limit alarms several times as often.
    narrow = replace(PARAMS, width=2.0)
    rng = random.Random(3)
    stable = [[flat(0.75 + rng.uniform(-0.08, 0.08)) for _ in range(12)] for _ in range(2000)]
    chosen = sum(any(v.nudge for v in replay(PARAMS, s)[1]) for s in stable)
    tighter = sum(any(v.nudge for v in replay(narrow, s)[1]) for s in stable)
    assert tighter > 2 * chosen
