"""The client's side in core: the questions, the form, and the three nudges from two views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from bot.core import client as core
from bot.core import commands as c
from bot.core.client import FALLS, GAP, ROOM, ClientPoint, ClientSeries
from bot.core.models import Relationship, Summary
from bot.core.rubric import DEFAULT_PATH, RubricError, load_rubric, parse_rubric
from bot.core.views import client as client_views

RUBRIC = load_rubric()
WORDS = core.load_client_words(RUBRIC)
PARAMS = RUBRIC.client_drift
GROUPS = core.group_of(RUBRIC)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
QIDS = ("perspectives", "power", "problem_solving", "helped")


def _client(values: int | tuple[int, ...]) -> dict[str, int]:
    vals = values if isinstance(values, tuple) else (values,) * 4
    return dict(zip(QIDS, vals, strict=True))


def _mine(n: int, level: int | None) -> Summary | None:
    """The practitioner's check-in n, every group rated `level` (None: not answered)."""
    if level is None:
        return None
    score = (level - 1) / 4
    groups = {g: score for g in QIDS[:3]}
    return Summary(n, "session", n, T0 + timedelta(weeks=n), score, groups, helpful=level)


def run(practitioner: list[int | None], client: list[int | tuple | None]) -> list[str | None]:
    """Both views session by session (the client answering after the practitioner): the
    nudge each client answer brings."""
    series, summaries, out = ClientSeries(), [], []
    for n, (mine, theirs) in enumerate(zip(practitioner, client, strict=True), start=1):
        s = _mine(n, mine)
        if s:
            summaries.append(s)
        if theirs is None:
            out.append(None)
            continue
        point = ClientPoint(n, T0 + timedelta(weeks=n), _client(theirs))
        series, verdict = core.answered(PARAMS, GROUPS, series, point, summaries)
        out.append(verdict.nudge)
    return out


@pytest.mark.parametrize(
    ("name", "practitioner", "client", "expected"),
    [
        # --- the client's own series falls (the drift model on the client's ratings)
        ("steady client", [4] * 8, [4] * 8, [None] * 8),
        ("client falls sharply", [4] * 6, [4, 4, 4, 4, 2, 2], [None] * 4 + [FALLS, None]),
        ("client declines", [4] * 8, [5, 5, 4, 4, 3, 3, 2, 2], "falls once"),
        (
            "client falls while the practitioner rates the same",
            [3] * 6,
            [3, 3, 3, 3, 1, 1],
            [None] * 4 + [FALLS, None],
        ),
        # --- the gap: a full point or more, two sessions in a row
        ("lower than me once is not nudged", [5, 5, 5, 5], [5, 4, 5, 5], [None, None, None, None]),
        ("a gap once is not nudged", [5, 5, 5, 5, 5], [(4, 4, 4, 3)] + [5] * 4, [None] * 5),
        ("a gap two sessions in a row", [5, 5, 5, 5], [3, 3, 5, 5], [None, GAP, None, None]),
        ("the gap nudges once while it lasts", [5] * 5, [3] * 5, [None, GAP, None, None, None]),
        (
            "a gap that closes and opens again",
            [5] * 7,
            [3, 3, 5, 5, 3, 3, 3],
            [None, GAP, None, None, None, GAP, None],
        ),
        ("less than a point is no gap", [5] * 5, [(4, 4, 4, 5)] * 5, [None] * 5),
        ("a client above me is no gap", [3] * 5, [5] * 5, [None] * 5),
        (
            "only sessions with both views count",
            [5, None, 5, 5],
            [3, 3, 5, 5],
            [None, None, None, None],
        ),
        # --- room to grow: the client starts at the top, then dips by any amount
        ("top then a small dip", [5] * 4, [5, 5, (5, 5, 4, 5), 5], [None, None, ROOM, None]),
        ("top throughout is nothing", [5] * 5, [5] * 5, [None] * 5),
        ("a first dip that is a fall is a fall", [5] * 4, [5, 5, 2, 2], [None, None, FALLS, None]),
    ],
)
def test_the_three_nudges(name, practitioner, client, expected) -> None:
    got = run(practitioner, client)
    if expected == "falls once":
        assert got.count(FALLS) == 1 and got.count(GAP) == 0, (name, got)
    else:
        assert got == expected, (name, got)


def test_a_gap_opens_when_the_practitioner_answers_after_the_client() -> None:
    series, summaries = ClientSeries(), []
    for n in (1, 2):  # the client answers first, the practitioner afterwards
        point = ClientPoint(n, T0 + timedelta(weeks=n), _client(3))
        series, verdict = core.answered(PARAMS, GROUPS, series, point, summaries)
        assert verdict.nudge is None  # nothing to compare with yet
        summaries.append(_mine(n, 5))
        series, verdict = core.practitioner_answered(series, summaries, n)
    assert verdict.nudge == GAP and verdict.gap == pytest.approx(2.0)
    assert series.point(2).note == GAP and series.gap_open


def test_a_changed_answer_re_steps_and_does_not_nudge_twice() -> None:
    series, summaries = ClientSeries(), []
    for n, v in enumerate((4, 4, 4, 4, 1), start=1):
        point = ClientPoint(n, T0 + timedelta(weeks=n), _client(v))
        series, verdict = core.answered(PARAMS, GROUPS, series, point, summaries)
    assert verdict.nudge == FALLS and series.falling
    changed = ClientPoint(5, T0 + timedelta(weeks=5), _client(2))
    series, verdict = core.answered(PARAMS, GROUPS, series, changed, summaries)
    assert verdict.nudge is None and series.falling and series.answered == 5
    back = ClientPoint(5, T0 + timedelta(weeks=5), _client(4))  # a slip of the finger, undone
    series, verdict = core.answered(PARAMS, GROUPS, series, back, summaries)
    assert not series.falling


def test_an_answer_for_an_earlier_session_is_kept_but_not_judged() -> None:
    series, summaries = ClientSeries(), []
    for n in (1, 2, 4):
        point = ClientPoint(n, T0 + timedelta(weeks=n), _client(4))
        series, _ = core.answered(PARAMS, GROUPS, series, point, summaries)
    before = series.drift
    late = ClientPoint(3, T0 + timedelta(weeks=3), _client(1))
    series, verdict = core.answered(PARAMS, GROUPS, series, late, summaries)
    assert verdict.nudge is None and series.drift == before
    assert [p.checkin for p in series.recent] == [1, 2, 3, 4]


def test_the_series_survives_json_and_stays_bounded() -> None:
    series, summaries = ClientSeries(), []
    for n in range(1, 40):
        point = ClientPoint(n, T0 + timedelta(weeks=n), _client(4))
        series, _ = core.answered(PARAMS, GROUPS, series, point, summaries)
    again = ClientSeries.from_dict(series.to_dict())
    assert again == series and len(again.recent) == core.RECENT and again.answered == 39


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"perspectives": "4", "power": "3", "problem_solving": "5", "helped": "4"}, {}),
        ({"perspectives": "4", "power": "3", "problem_solving": "5"}, {"helped"}),
        (
            {"perspectives": "0", "power": "6", "problem_solving": "x", "helped": " "},
            {"perspectives", "power", "problem_solving", "helped"},
        ),
        (
            {
                "perspectives": "4",
                "power": "3",
                "problem_solving": "5",
                "helped": "4",
                "comment": "x" * 1001,
            },
            {"comment"},
        ),
        (
            {
                "perspectives": "4",
                "power": "3",
                "problem_solving": "5",
                "helped": "4",
                "comment": "x" * 1000,
            },
            {},
        ),
    ],
)
def test_reading_the_form(values, errors) -> None:
    got = core.read_form(WORDS, values)
    if errors:
        assert isinstance(got, dict) and set(got) == errors
        assert all(msg for msg in got.values())
    else:
        assert isinstance(got, core.Filled) and got.ratings["helped"] == 4


def test_the_words_need_one_question_per_group_and_helped() -> None:
    data = yaml.safe_load((core.DEFAULT_DIR / "client.yaml").read_text())
    data["page"]["questions"] = data["page"]["questions"][:3]
    with pytest.raises(core.ClientWordsError, match="one per rubric group and helped"):
        core.parse_client_words(data, RUBRIC)
    data = yaml.safe_load((core.DEFAULT_DIR / "client.yaml").read_text())
    del data["page"]["questions"][0]["low"]
    with pytest.raises(core.ClientWordsError, match="needs id, prompt, low and high"):
        core.parse_client_words(data, RUBRIC)


def test_the_client_drift_parameters_are_checked_at_start_up() -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text())
    assert RUBRIC.client_drift.baseline_sessions == 2 and RUBRIC.drift.baseline_sessions == 3
    data["drift"]["client"]["fall_points"] = 0.1
    with pytest.raises(RubricError, match=r"drift\.client\.fall_points"):
        parse_rubric(data)
    data["drift"]["client"] = {"lamda": 0.3}
    with pytest.raises(RubricError, match=r"drift\.client\.lamda: unknown key"):
        parse_rubric(data)
    del data["drift"]["client"]
    assert parse_rubric(data).client_drift is None  # the practitioner's parameters are used


def test_client_words_in_commands() -> None:
    assert c.parse("client Sam on") == c.ClientRatings("Sam", True)
    assert c.parse("client Client B off") == c.ClientRatings("Client B", False)
    assert c.parse("add Sam sessions=8 client=on").client is True
    for bad, hint in (
        ("client Sam", "on or off"),
        ("client on", "needs an alias"),
        ("add Sam client=maybe", "on or off"),
    ):
        with pytest.raises(c.CommandError, match=hint) as e:
            c.parse(bad)
        assert "client" in e.value.usage
    assert any("client <alias> on" in line for line in c.help_lines())
    assert any("client <alias> off" in line for line in c.help_lines())


def test_the_answer_message_shows_both_views_and_does_not_judge() -> None:
    rel = Relationship("r1", "t", "u", "Sam", "UTC", T0, T0)
    answer = core.ClientAnswer(3, T0, _client((2, 3, 2, 3)), T0, "felt rushed")
    msg = client_views.answer_message(WORDS, RUBRIC, rel, 3, answer, _mine(3, 5), False)
    text = " ".join(str(b) for b in msg.blocks).lower()
    assert "you: 5 · your client: 2" in text and "felt rushed" in text
    for judging in ("gap", "drift", "transactional", "falling"):
        assert judging not in text and judging not in msg.summary.lower()


def test_only_the_gap_nudge_speaks_of_a_gap_and_none_of_drift() -> None:
    rel = Relationship("r1", "t", "u", "Sam", "UTC", T0, T0)
    for kind in (FALLS, GAP, ROOM):
        msg = client_views.nudge(WORDS, RUBRIC, rel, kind, "power", 1.5)
        text = (msg.summary + " ".join(str(b) for b in msg.blocks)).lower()
        assert ("gap" in text) == (kind == GAP), kind
        assert "drift" not in text and "transactional" not in text
        assert "thank" in text and "adjust the task" in text  # the checklist
