"""Ratings become scores as the SPEC says; the check-in rotation asks every contrast often."""

from __future__ import annotations

import copy
import json
import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.core.rubric import DEFAULT_PATH, Rubric, load_rubric, parse_rubric
from bot.core.scoring import Scores, item_score, rotation, score

RUBRIC = load_rubric()
RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
IDS = [c.id for c in RUBRIC.contrasts]

ratings_st = st.dictionaries(st.sampled_from(IDS), st.integers(1, 5))


def test_item_score_maps_one_to_five_onto_zero_to_one() -> None:
    assert [item_score(r) for r in (1, 2, 3, 4, 5)] == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, "3", True, None])
def test_item_score_refuses_anything_but_one_to_five(bad: object) -> None:
    with pytest.raises(ValueError):
        item_score(bad)  # type: ignore[arg-type]


def test_a_check_in_with_one_item_per_group() -> None:
    scores = score(RUBRIC, {"seeing_people": 5, "power_with": 3, "facing_roadblocks": 2})
    assert scores.groups == {"perspectives": 1.0, "power": 0.5, "problem_solving": 0.25}
    assert scores.overall == pytest.approx((1.0 + 0.5 + 0.25) / 3)


def test_overall_is_the_mean_of_groups_not_of_items() -> None:
    # Five power items at 1 and one perspectives item at 5: groups count equally.
    ratings = {c.id: 1 for c in RUBRIC.group("power").contrasts[:5]} | {"feeling_seen": 5}
    scores = score(RUBRIC, ratings)
    assert scores.groups == {"perspectives": 1.0, "power": 0.0}
    assert scores.overall == 0.5


def test_group_weights_change_the_overall() -> None:
    data = copy.deepcopy(RAW)
    data["groups"][1]["weight"] = 3.0
    weighted = parse_rubric(data)
    scores = score(weighted, {"seeing_people": 5, "power_with": 1})
    assert scores.overall == 0.25  # (1.0*1 + 0.0*3) / 4


def test_nothing_answered_has_no_overall() -> None:
    assert score(RUBRIC, {}) == Scores({}, None)


def test_an_unknown_contrast_id_is_named() -> None:
    with pytest.raises(ValueError, match="'trust_fall'"):
        score(RUBRIC, {"seeing_people": 4, "trust_fall": 3})


def test_a_bad_rating_is_refused() -> None:
    with pytest.raises(ValueError):
        score(RUBRIC, {"seeing_people": 7})


def test_scores_survive_json() -> None:
    scores = score(RUBRIC, {"seeing_people": 4, "power_with": 2})
    again = Scores.from_dict(json.loads(json.dumps(scores.to_dict())))
    assert again == scores
    assert Scores.from_dict(Scores({}, None).to_dict()) == Scores({}, None)


def test_scores_from_dict_refuses_out_of_range_values() -> None:
    with pytest.raises(ValueError):
        Scores.from_dict({"groups": {"power": 1.5}, "overall": 0.5})


def test_scores_keep_their_own_copy_of_groups() -> None:
    groups = {"power": 0.5}
    scores = Scores(groups, 0.5)
    groups["power"] = 0.0
    assert scores.groups == {"power": 0.5}


@given(ratings_st)
def test_scores_stay_between_zero_and_one(ratings: dict[str, int]) -> None:
    scores = score(RUBRIC, ratings)
    assert all(0.0 <= s <= 1.0 for s in scores.groups.values())
    if ratings:
        assert scores.overall is not None and 0.0 <= scores.overall <= 1.0
        assert min(scores.groups.values()) <= scores.overall <= max(scores.groups.values())
    else:
        assert scores.overall is None


@given(ratings_st)
def test_a_group_score_lies_between_its_items(ratings: dict[str, int]) -> None:
    scores = score(RUBRIC, ratings)
    for group in RUBRIC.groups:
        items = [item_score(ratings[c.id]) for c in group.contrasts if c.id in ratings]
        if items:
            assert min(items) <= scores.groups[group.id] <= max(items)
        else:
            assert group.id not in scores.groups


@given(st.sets(st.sampled_from(IDS), min_size=1))
def test_all_fives_is_personalized_and_all_ones_transactional(answered: set[str]) -> None:
    best = score(RUBRIC, dict.fromkeys(answered, 5))
    worst = score(RUBRIC, dict.fromkeys(answered, 1))
    assert best.overall == 1.0 and RUBRIC.band_for(best.overall).id == "personalized"
    assert worst.overall == 0.0 and RUBRIC.band_for(worst.overall).id == "transactional"


def test_the_first_sessions_ask_one_contrast_per_group() -> None:
    first = rotation(RUBRIC, 1)
    assert [c.id for c in first] == ["seeing_people", "balancing_power", "shaping_my_role"]
    second = rotation(RUBRIC, 2)
    assert [c.group for c in second] == ["perspectives", "power", "problem_solving"]
    assert set(first).isdisjoint(second)


def test_rotation_is_the_same_every_time() -> None:
    assert [rotation(RUBRIC, n) for n in range(1, 30)] == [
        rotation(RUBRIC, n) for n in range(1, 30)
    ]


def test_rotation_refuses_session_zero() -> None:
    with pytest.raises(ValueError):
        rotation(RUBRIC, 0)


@given(st.integers(min_value=1, max_value=10**6))
def test_any_six_sessions_in_a_row_ask_all_sixteen(start: int) -> None:
    asked = [c for n in range(start, start + 6) for c in rotation(RUBRIC, n)]
    assert {c.id for c in asked} == set(IDS)
    for n in range(start, start + 6):
        one = rotation(RUBRIC, n)
        assert len(one) == 3 and len(set(one)) == 3
        assert {c.group for c in one} == {"perspectives", "power", "problem_solving"}


def _with_per_checkin(k: int) -> Rubric:
    data = copy.deepcopy(RAW)
    data["checkin"]["contrasts_per_checkin"] = k
    return parse_rubric(data)


OTHER_COUNTS = {k: _with_per_checkin(k) for k in (1, 2, 4, 5, 7, 16)}


@given(st.sampled_from(sorted(OTHER_COUNTS)), st.integers(min_value=1, max_value=10**6))
def test_other_check_in_sizes_also_cover_everything(k: int, start: int) -> None:
    rubric = OTHER_COUNTS[k]
    window = math.ceil(16 / k)
    asked = {c.id for n in range(start, start + window) for c in rotation(rubric, n)}
    assert asked == set(IDS)
    one = rotation(rubric, start)
    assert len(one) == k and len(set(one)) == k
    if k <= 2:
        # Small check-ins still spread over the groups rather than bunching in one.
        assert len({c.group for c in one}) == k
