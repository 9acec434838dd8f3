"""Draw the two example charts the README shows, from a known series.

.venv/bin/python docs/make_charts.py   # writes docs/history-chart.png, docs/digest-chart.png
"""

from __future__ import annotations

from pathlib import Path

from bot.core.charts import (
    ClientPoint,
    DigestChart,
    DigestWeek,
    HistoryChart,
    Point,
    alt_text,
    to_data,
)
from bot.service.drawing import draw

HERE = Path(__file__).resolve().parent
GROUPS = (
    ("perspectives", "Perspectives"),
    ("power", "Power and influence"),
    ("problems", "Problem solving and success"),
)
BANDS = (0.40, 0.70)
DAYS = (
    "06 Jan",
    "13 Jan",
    "20 Jan",
    "27 Jan",
    "03 Feb",
    "10 Feb",
    "17 Feb",
    "24 Feb",
    "03 Mar",
    "10 Mar",
)
OVERALL = (0.58, 0.67, 0.75, 0.79, 0.71, 0.62, 0.54, 0.50, 0.63, 0.72)
NOTES = {5: "watch", 7: "drift"}


def history() -> HistoryChart:
    points = tuple(
        Point(
            session=n,
            day=DAYS[n - 1],
            overall=o,
            groups={"perspectives": min(1, o + 0.08), "power": o - 0.05, "problems": o - 0.02},
            review=n == 5,
            note=NOTES.get(n),
        )
        for n, o in enumerate(OVERALL, start=1)
    )
    client = tuple(ClientPoint(n, min(1.0, o + 0.1)) for n, o in enumerate(OVERALL, start=1))
    return HistoryChart("demo", "Sam", GROUPS, BANDS, points, client)


def digest() -> DigestChart:
    weeks = tuple(
        DigestWeek(
            f"2026-W{w:02d}",
            {"perspectives": 0.62 + w / 200, "power": 0.55 + w / 150, "problems": 0.6},
            0.78 + (w % 3) / 20,
        )
        for w in range(1, 13)
        if w not in (4, 5)
    )
    return DigestChart("demo", GROUPS, BANDS, weeks, left_out=("2026-W04", "2026-W05"))


def main() -> None:
    for name, chart in (("history-chart.png", history()), ("digest-chart.png", digest())):
        (HERE / name).write_bytes(draw(to_data(chart)))
        print(f"docs/{name}: {alt_text(chart)}")


if __name__ == "__main__":
    main()
