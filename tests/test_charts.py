"""Charts as data and as PNGs: what they show, what their alt text says, what they leave out."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image as PILImage

from bot.config import Settings
from bot.core import charts
from bot.core.charts import ClientPoint, WeekFigures, digest_chart, history_chart, week_figures
from bot.core.models import Aggregate, Relationship, Summary
from bot.core.rubric import load_rubric
from bot.service.drawing import BAND_COLOURS, PURPLE, draw

RUBRIC = load_rubric(Settings().rubric_path)
GROUPS = [g.id for g in RUBRIC.groups]
T0 = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
KNOWN = (0.75, 0.5, 0.25, 0.625, 0.875)  # overall scores of a known series


def _rel(tenant: str = "slack:T1") -> Relationship:
    return Relationship("r1", tenant, "U1", "Sam", "Europe/London", T0, T0)


def _agg(series=KNOWN, notes=None, reviews=()) -> Aggregate:
    notes = notes or {}
    recent = tuple(
        Summary(
            number=n,
            kind="midway" if n in reviews else "session",
            session=n,
            at=T0 + timedelta(weeks=n - 1),
            overall=v,
            groups={g: v for g in GROUPS},
            note=notes.get(n),
        )
        for n, v in enumerate(series, start=1)
    )
    return Aggregate(recent=recent)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _colours(png: bytes) -> tuple[tuple[int, int], set[tuple[int, int, int]]]:
    image = PILImage.open(io.BytesIO(png))
    assert image.format == "PNG"
    rgb = image.convert("RGB")
    return image.size, {c for _n, c in rgb.getcolors(maxcolors=1 << 20)}


def test_history_chart_holds_every_answered_session_with_its_marks():
    chart = history_chart(RUBRIC, _rel(), _agg(notes={3: "drift", 2: "watch"}, reviews=(4,)))
    assert chart is not None
    assert [p.session for p in chart.points] == [1, 2, 3, 4, 5]
    assert [p.overall for p in chart.points] == list(KNOWN)
    assert [p.day for p in chart.points][:2] == ["06 Jan", "13 Jan"]
    assert chart.points[2].note == "drift" and chart.points[3].review
    assert chart.bands == (0.40, 0.70) and chart.client is None
    alt = charts.alt_text(chart)
    for fact in (
        "1: 75%",
        "3: 25%",
        "5: 88%",
        "Reviews at session 4",
        "Drift nudge from session 3",
    ):
        assert fact in alt, fact
    assert "Watch note from session 2" in alt


def test_no_chart_without_an_answered_checkin():
    assert history_chart(RUBRIC, _rel(), Aggregate()) is None


def test_the_png_of_a_known_series_has_its_size_and_the_three_bands():
    png = draw(charts.to_data(history_chart(RUBRIC, _rel(), _agg())))
    size, colours = _colours(png)
    assert size == (800, 700)  # readable on a phone: about 800 pixels wide
    assert len(png) > 10_000
    for band in BAND_COLOURS:
        assert _rgb(band) in colours, band
    assert _rgb(PURPLE) not in colours  # no client series: none of its colour


def test_a_client_series_is_drawn_beside_the_practitioners():
    client = [ClientPoint(n, v) for n, v in ((1, 0.9), (3, 0.4), (5, 1.0))]
    chart = history_chart(RUBRIC, _rel(), _agg(), client=client)
    assert chart is not None and chart.client == tuple(client)
    _size, colours = _colours(draw(charts.to_data(chart)))
    assert _rgb(PURPLE) in colours
    assert "Client's ratings: 1: 90%, 3: 40%, 5: 100%" in charts.alt_text(chart)
    assert charts.fingerprint(chart) != charts.fingerprint(history_chart(RUBRIC, _rel(), _agg()))


def test_two_hundred_sessions_still_draw():
    series = tuple(0.3 + (n % 10) / 20 for n in range(200))
    chart = history_chart(RUBRIC, _rel(), _agg(series))
    size, colours = _colours(draw(charts.to_data(chart)))
    assert size == (800, 700) and _rgb(BAND_COLOURS[0]) in colours


def test_the_name_of_a_chart_is_its_content_and_its_tenant():
    a = history_chart(RUBRIC, _rel("slack:T1"), _agg())
    assert charts.fingerprint(a) == charts.fingerprint(history_chart(RUBRIC, _rel(), _agg()))
    b = history_chart(RUBRIC, _rel("slack:T2"), _agg())
    assert charts.fingerprint(a) != charts.fingerprint(b)  # same figures, other team: other name


def _figures(week: str, score: float, sent=2, answered=1) -> dict[str, WeekFigures]:
    return {week: WeekFigures({g: score for g in GROUPS}, sent=sent, answered=answered)}


def test_digest_chart_leaves_out_weeks_below_three_practitioners_and_says_so():
    weeks = ["2026-W01", "2026-W02", "2026-W03"]
    figures = [
        {**_figures("2026-W01", 0.5), **_figures("2026-W02", 0.6), **_figures("2026-W03", 0.7)},
        {**_figures("2026-W01", 0.7), **_figures("2026-W03", 0.7)},
        {**_figures("2026-W01", 0.9), **_figures("2026-W02", 0.2), **_figures("2026-W03", 0.4)},
    ]
    chart = digest_chart(RUBRIC, "slack:T1", weeks, figures)
    assert [w.week for w in chart.weeks] == ["2026-W01", "2026-W03"]
    assert chart.left_out == ("2026-W02",)
    assert chart.weeks[0].groups[GROUPS[0]] == 0.7 and chart.weeks[0].response == 0.5
    alt = charts.alt_text(chart)
    assert "Left out (fewer than three practitioners): W02" in alt
    assert "W02 " not in alt.split("Left out")[0]  # no figure of the week left out
    _size, colours = _colours(draw(charts.to_data(chart)))
    assert _rgb(BAND_COLOURS[1]) in colours


def test_a_group_scored_by_fewer_than_three_is_left_out_of_its_week():
    both = WeekFigures({GROUPS[0]: 0.5, GROUPS[1]: 0.5}, sent=1)
    rows = [{"W": both}, {"W": both}, {"W": WeekFigures({GROUPS[0]: 0.8}, sent=1)}]
    (week,) = digest_chart(RUBRIC, "t", ["W"], rows).weeks
    assert week.groups == {GROUPS[0]: 0.6}  # the second group has two practitioners' scores


def test_week_figures_sum_a_practitioners_relationships():
    a = Aggregate(
        weeks={"W1": {"sent": 2, "answered": 1, f"sum:{GROUPS[0]}": 1.5, f"n:{GROUPS[0]}": 2}}
    )
    b = Aggregate(
        weeks={"W1": {"sent": 1, "answered": 1, f"sum:{GROUPS[0]}": 0.0, f"n:{GROUPS[0]}": 1}}
    )
    c = Aggregate(weeks={"W0": {"sent": 9}})
    figures = week_figures([a, b, c], ["W1"], GROUPS)
    assert set(figures) == {"W1"}
    assert figures["W1"].sent == 3 and figures["W1"].answered == 2
    assert figures["W1"].groups == {GROUPS[0]: 0.5}


def test_a_digest_chart_names_no_pseudonym():
    chart = digest_chart(RUBRIC, "slack:T1", ["W"], [_figures("W", 0.5)] * 3)
    flat = str(charts.to_data(chart)) + charts.alt_text(chart)
    assert "Sam" not in flat and "alias" not in flat


def test_a_long_history_says_which_check_ins_it_shows():
    agg = _agg()
    agg = Aggregate(recent=agg.recent, answered=30)
    chart = history_chart(RUBRIC, _rel(), agg)
    assert chart.earlier == 25
    assert charts.title(chart) == "Sam: scores by session (latest 5 of 30)"
    assert "the latest 5 of 30 check-ins" in charts.alt_text(chart)


def test_weeks_left_out_side_by_side_are_named_as_a_run():
    shown = ("2026-W01", "2026-W04")
    left = ("2026-W02", "2026-W03", "2026-W05")
    chart = charts.DigestChart(
        "t",
        (),
        (0.4, 0.7),
        tuple(charts.DigestWeek(w, {}, 0.5) for w in shown),
        left,
    )
    assert charts.left_out_text(chart) == (
        "Left out (fewer than three practitioners): W02-W03, W05."
    )
