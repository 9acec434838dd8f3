"""Charts drawn as PNGs with matplotlib's Agg backend (no display, no pyplot state).

`draw` takes a chart's plain data (`core.charts.to_data`) and returns PNG bytes. It is CPU
work: `service/charts.py` runs it in a process pool, never on the event loop. Colours are
the Okabe-Ito palette (told apart with the common colour-vision deficiencies), and each
series has its own marker and line style as well, so no colour carries meaning alone. The
size and type are for a phone: about 800 pixels wide, 13-point text.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from PIL import Image as PILImage  # noqa: E402 - Pillow comes with matplotlib

# Okabe-Ito
BLACK, ORANGE, SKY, GREEN, BLUE, VERMILLION, PURPLE = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
# The three bands, lightest tints, opaque (a test finds these exact pixels in the PNG).
BAND_COLOURS = ("#FBE1D3", "#FDF3CF", "#D9EEF8")
BAND_NAMES = ("transactional", "developing", "personalized")
GROUP_STYLES = (  # colour, marker, line style, per rubric group in order
    (ORANGE, "s", (0, (5, 2))),
    (BLUE, "^", (0, (5, 2, 1, 2))),
    (GREEN, "D", (0, (1, 1.5))),
)
SIZE, DPI, FONT = (6.4, 5.6), 125, 13
MAX_TICKS = 8
PALETTE = 128
LOW, HIGH = -0.03, 1.05  # a little room, so points at 0% and 100% are not cut in half
MARKS_AT = 1.11  # drift and watch markers: just above the plot, clear of any point


def _figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.12, 0.36, 0.85, 0.52))
    ax.set_ylim(LOW, HIGH)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0%", "20%", "40%", "60%", "80%", "100%"])
    ax.tick_params(labelsize=FONT - 2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _bands(ax: Any, bounds: Sequence[float], xlim: tuple[float, float]) -> list[Patch]:
    edges = [LOW, *bounds, HIGH]
    for lo, hi, colour in zip(edges, edges[1:], BAND_COLOURS, strict=False):
        ax.axhspan(lo, hi, facecolor=colour, edgecolor="none", zorder=0)
    ax.set_xlim(*xlim)
    return [
        Patch(facecolor=c, edgecolor="#999999", label=n)
        for c, n in zip(BAND_COLOURS, BAND_NAMES, strict=False)
    ]


def _ticks(ax: Any, labels: Sequence[str]) -> None:
    step = max(1, math.ceil(len(labels) / MAX_TICKS))
    at = list(range(0, len(labels), step))
    if at[-1] != len(labels) - 1 and len(labels) > 1:
        at[-1] = len(labels) - 1  # always show the latest
    ax.set_xticks(at, [labels[i] for i in at], fontsize=FONT - 3)


def _line(ax: Any, xs: Sequence[float], ys: Sequence[float], style: tuple, label: str) -> Line2D:
    colour, marker, dash = style
    many = len(xs) > 40
    (line,) = ax.plot(
        xs,
        ys,
        color=colour,
        marker=marker,
        markersize=3 if many else 7,
        linestyle=dash,
        linewidth=2.2,
        label=label,
        zorder=3,
    )
    return line


def _png(fig: Figure, handles: list, title: str) -> bytes:
    fig.suptitle(title, fontsize=FONT + 1, x=0.02, ha="left", y=0.97)
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=2,
        fontsize=FONT - 3,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=DPI, metadata={"Software": None})
    # A palette of PALETTE colours keeps every flat colour exact (bands, lines) and makes the
    # PNG about a third of the size: less Redis per cached chart, a faster load on a phone.
    raw.seek(0)
    image = PILImage.open(raw).convert("RGB").quantize(PALETTE, PILImage.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG")  # (optimize=True: 5% smaller, twice the time)
    return out.getvalue()


def _history(data: Mapping[str, Any]) -> bytes:
    points = data["points"]
    fig, ax = _figure()
    xs = list(range(len(points)))
    handles: list = []
    handles.append(_line(ax, xs, [p["overall"] for p in points], (BLACK, "o", "solid"), "Overall"))
    for (gid, name), style in zip(data["groups"], GROUP_STYLES, strict=False):
        ys = [p["groups"].get(gid, math.nan) for p in points]
        handles.append(_line(ax, xs, ys, style, name))
    client = data.get("client")
    if client:
        place = {p["session"]: i for i, p in enumerate(points)}
        pairs = [(place[c["session"]], c["score"]) for c in client if c["session"] in place]
        if pairs:
            cx, cy = zip(*pairs, strict=True)
            handles.append(_line(ax, cx, cy, (PURPLE, "X", "solid"), "Client's rating"))
    handles += _marks(ax, points)
    handles += _bands(ax, data["bands"], (-0.5, len(points) - 0.5))
    _ticks(ax, [f"{p['session']}\n{p['day']}" for p in points])
    ax.set_xlabel("Session", fontsize=FONT - 2)
    shown, earlier = len(points), data.get("earlier", 0)
    latest = f" (latest {shown} of {shown + earlier})" if earlier else ""
    return _png(fig, handles, f"{data['alias']}: scores by session{latest}")


def _marks(ax: Any, points: Sequence[Mapping[str, Any]]) -> list[Line2D]:
    """Reviews as dotted verticals; drift nudges and watch notes as markers on the top edge."""
    handles = []
    reviews = [i for i, p in enumerate(points) if p["review"]]
    for i in reviews:
        ax.axvline(i, color="#555555", linestyle=(0, (1, 2)), linewidth=1.4, zorder=2)
    if reviews:
        handles.append(Line2D([], [], color="#555555", linestyle=(0, (1, 2)), label="Review"))
    for note, colour, fill, label in (
        ("drift", VERMILLION, VERMILLION, "Drift nudge"),
        ("watch", BLUE, "white", "Watch note"),
    ):
        at = [i for i, p in enumerate(points) if p.get("note") == note]
        if at:
            ax.scatter(
                at,
                [MARKS_AT] * len(at),
                marker="v",
                s=120,
                c=fill,
                edgecolors=colour,
                linewidths=2,
                zorder=4,
                clip_on=False,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="v",
                    linestyle="none",
                    markersize=10,
                    markerfacecolor=fill,
                    markeredgecolor=colour,
                    label=label,
                )
            )
    return handles


def _digest(data: Mapping[str, Any]) -> bytes:
    shown = {w["week"]: w for w in data["weeks"]}
    weeks = sorted([*shown, *data["left_out"]])
    fig, ax = _figure()
    xs = list(range(len(weeks)))
    handles: list = []
    for (gid, name), style in zip(data["groups"], GROUP_STYLES, strict=False):
        ys = [shown[w]["groups"].get(gid, math.nan) if w in shown else math.nan for w in weeks]
        handles.append(_line(ax, xs, ys, style, name))
    rates = [
        shown[w]["response"] if w in shown and shown[w]["response"] is not None else math.nan
        for w in weeks
    ]
    handles.append(_line(ax, xs, rates, (BLACK, "o", "solid"), "Response rate"))
    handles += _bands(ax, data["bands"], (-0.5, max(len(weeks), 1) - 0.5))
    gaps = [i for i, w in enumerate(weeks) if w not in shown]
    for i in gaps:  # hatched, so a gap reads as "left out", not as "zero"
        ax.axvspan(i - 0.5, i + 0.5, facecolor="white", hatch="//", edgecolor="#AAAAAA", zorder=1)
    if gaps:
        handles.append(
            Patch(facecolor="white", hatch="//", edgecolor="#AAAAAA", label="Fewer than 3 people")
        )
    _ticks(ax, [w[-3:] + ("" if w in shown else "\ntoo few") for w in weeks])
    ax.set_xlabel("Week", fontsize=FONT - 2)
    return _png(fig, handles, "Team: average per group, response rate")


def draw(data: Mapping[str, Any]) -> bytes:
    """The PNG of a chart's data (`core.charts.to_data`)."""
    return _history(data) if data["kind"] == "history" else _digest(data)
