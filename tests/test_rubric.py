"""rubric.yaml loads into the sixteen contrasts; a broken file names the key that is wrong."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.rubric import DEFAULT_PATH, RubricError, load_rubric, parse_rubric

RAW: dict[str, Any] = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_real_rubric_has_sixteen_contrasts_in_three_groups() -> None:
    rubric = load_rubric()
    assert [g.id for g in rubric.groups] == ["perspectives", "power", "problem_solving"]
    assert [g.name for g in rubric.groups] == [
        "Perspectives",
        "Power and influence",
        "Problem solving and success",
    ]
    assert [len(g.contrasts) for g in rubric.groups] == [4, 6, 6]
    assert len({c.id for c in rubric.contrasts}) == 16
    assert all(c.group == g.id for g in rubric.groups for c in g.contrasts)
    assert rubric.contrast("power_with").group == "power"
    assert rubric.group("power").name == "Power and influence"
    assert rubric.contrasts_per_checkin == 3


def test_poles_are_short_enough_to_show_as_they_are() -> None:
    # Under 75 characters: the longest text a Slack option takes without cutting it.
    for c in load_rubric().contrasts:
        for pole in (c.transactional, c.personalized):
            assert 0 < len(pole) <= 75, (c.id, pole)
        assert c.transactional != c.personalized


def test_bands_follow_the_spec_thresholds() -> None:
    rubric = load_rubric()
    assert [(b.id, b.lower) for b in rubric.bands] == [
        ("transactional", 0.0),
        ("developing", 0.40),
        ("personalized", 0.70),
    ]
    assert rubric.band_for(0.0).id == "transactional"
    assert rubric.band_for(0.3999).id == "transactional"
    assert rubric.band_for(0.40).id == "developing"
    assert rubric.band_for(0.6999).id == "developing"
    assert rubric.band_for(0.70).id == "personalized"
    assert rubric.band_for(1.0).id == "personalized"
    assert all(b.label and b.description for b in rubric.bands)


def test_other_rules_are_read_with_their_types() -> None:
    rubric = load_rubric()
    assert rubric.drift.cutoff == 0.40  # null in the file: the transactional band's edge
    assert 0 < rubric.drift.lam <= 1 and rubric.drift.baseline_sessions == 3
    assert rubric.drift.watch_points < rubric.drift.fall_points  # the note is the softer one
    assert rubric.reviews.midway_fraction == 0.5
    assert rubric.reviews.open_ended_every_months == 6
    assert rubric.reviews.annual_every_months == 12
    assert rubric.reminders.remind_after_hours == 9
    assert rubric.reminders.missed_after_hours == 27
    assert rubric.reminders.max_reminders == 1
    assert rubric.working_hours.start == dt.time(9, 0)
    assert rubric.working_hours.end == dt.time(18, 0)
    assert rubric.working_hours.days == (0, 1, 2, 3, 4)


def test_a_configured_cutoff_overrides_the_band_edge() -> None:
    data = copy.deepcopy(RAW)
    data["drift"]["cutoff"] = 0.3
    assert parse_rubric(data).drift.cutoff == 0.3


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


def _duplicate_contrast(data: dict[str, Any]) -> None:
    data["groups"][2]["contrasts"][5]["id"] = data["groups"][0]["contrasts"][0]["id"]


def _fifteen_contrasts(data: dict[str, Any]) -> None:
    data["groups"][1]["contrasts"].pop()


BROKEN = [
    ("lambda above 1", _set(("drift", "lambda"), 1.5), "drift.lambda: must be between 0 and 1"),
    ("lambda zero", _set(("drift", "lambda"), 0), "drift.lambda"),
    ("lambda as text", _set(("drift", "lambda"), "fast"), "drift.lambda: must be a number"),
    ("noise negative", _set(("drift", "noise"), -1), "drift.noise"),
    ("fall missing", _drop(("drift", "fall_points")), "drift.fall_points: missing"),
    (
        "fall below watch",
        _set(("drift", "fall_points"), 0.5),
        "drift.fall_points: must be from watch_points (0.75) to 4",
    ),
    ("trend in score units", _set(("drift", "trend_points"), 0), "drift.trend_points"),
    (
        "trend lead past the trend",
        _set(("drift", "trend_lead_points"), 0.7),
        "drift.trend_lead_points: must be greater than 0 and at most trend_points (0.6)",
    ),
    ("item memory zero", _set(("drift", "item_memory"), 0), "drift.item_memory"),
    ("noise weight zero", _set(("drift", "noise_weight"), 0), "drift.noise_weight"),
    (
        "noise power huge",
        _set(("drift", "noise_power"), 9),
        "drift.noise_power: must be from 0 to 4",
    ),
    ("ceiling move past the dip", _set(("drift", "ceiling_move"), 1.5), "drift.ceiling_move"),
    ("drift typo", _set(("drift", "lamda"), 0.3), "drift.lamda: unknown key"),
    ("baseline as float", _set(("drift", "baseline_sessions"), 2.5), "drift.baseline_sessions"),
    ("baseline zero", _set(("drift", "baseline_sessions"), 0), "drift.baseline_sessions"),
    ("cutoff above 1", _set(("drift", "cutoff"), 2), "drift.cutoff"),
    ("no version", _drop(("version",)), "version: missing"),
    ("version 2", _set(("version",), 2), "version: must be 1"),
    ("no groups", _set(("groups",), []), "groups: must be a non-empty list"),
    ("empty group", _set(("groups", 0, "contrasts"), []), "groups[0].contrasts"),
    ("group id with spaces", _set(("groups", 1, "id"), "Power x"), "groups[1].id"),
    ("duplicate group", _set(("groups", 2, "id"), "power"), "groups[2].id: duplicate"),
    ("weight zero", _set(("groups", 0, "weight"), 0), "groups[0].weight"),
    ("weight is bool", _set(("groups", 0, "weight"), True), "groups[0].weight"),
    ("no name", _drop(("groups", 1, "name")), "groups[1].name: missing"),
    ("empty pole", _set(("groups", 1, "contrasts", 2, "personalized"), " "), "contrasts[2]"),
    ("duplicate contrast", _duplicate_contrast, "groups[2].contrasts[5].id: duplicate"),
    ("fifteen contrasts", _fifteen_contrasts, "groups: must hold 16 contrasts (got 15)"),
    ("first band above 0", _set(("bands", 0, "lower"), 0.1), "bands[0].lower"),
    ("bands not increasing", _set(("bands", 2, "lower"), 0.3), "bands[2].lower"),
    ("band lower 1", _set(("bands", 2, "lower"), 1.0), "bands[2].lower"),
    ("band label missing", _drop(("bands", 1, "label")), "bands[1].label: missing"),
    ("checkin too many", _set(("checkin", "contrasts_per_checkin"), 17), "contrasts_per_checkin"),
    ("checkin none", _set(("checkin", "contrasts_per_checkin"), 0), "contrasts_per_checkin"),
    ("midway 1", _set(("reviews", "midway_fraction"), 1), "reviews.midway_fraction"),
    ("annual text", _set(("reviews", "annual_every_months"), "yearly"), "annual_every_months"),
    ("missed before remind", _set(("reminders", "missed_after_hours"), 5), "missed_after_hours"),
    ("reminders negative", _set(("reminders", "max_reminders"), -1), "max_reminders"),
    ("unquoted time", _set(("working_hours", "start"), 540), "working_hours.start: must be"),
    ("bad time", _set(("working_hours", "end"), "25:00"), "working_hours.end"),
    ("end before start", _set(("working_hours", "end"), "08:00"), "working_hours.end"),
    ("bad day", _set(("working_hours", "days"), ["mon", "funday"]), "working_hours.days[1]"),
    ("twice a day", _set(("working_hours", "days"), ["mon", "mon"]), "working_hours.days[1]"),
    ("reviews not a mapping", _set(("reviews",), [1, 2]), "reviews: must be a mapping"),
    ("unknown top key", _set(("colour",), "blue"), "colour: unknown key"),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(c, e) for _, c, e in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_a_broken_rubric_names_the_key(
    change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    data = copy.deepcopy(RAW)
    change(data)
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, "rubric.yaml")
    assert str(caught.value).startswith("rubric.yaml: ")
    assert expected in str(caught.value)


def test_the_message_reads_file_key_and_problem() -> None:
    data = copy.deepcopy(RAW)
    data["drift"]["lambda"] = 1.5
    with pytest.raises(RubricError) as caught:
        parse_rubric(data)
    assert str(caught.value) == "rubric.yaml: drift.lambda: must be between 0 and 1 (got 1.5)"
    assert caught.value.path == "drift.lambda"


def test_load_rubric_reports_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "rubric.yaml"
    bad.write_text("groups: [unclosed\n", encoding="utf-8")
    with pytest.raises(RubricError, match="not valid YAML"):
        load_rubric(bad)


def test_load_rubric_catches_an_unquoted_time(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted 18:00 as the number 1080: the message must say to quote it.
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace('end: "18:00"', "end: 18:00")
    file = tmp_path / "custom.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(file)
    assert "custom.yaml: working_hours.end" in str(caught.value)
    assert "quote" in str(caught.value)


def test_load_rubric_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="cannot be read"):
        load_rubric(tmp_path / "nowhere.yaml")


def test_an_empty_file_says_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "rubric.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(RubricError, match="version: missing"):
        load_rubric(empty)
