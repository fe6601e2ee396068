"""Charts drawn on the server as accessible SVG: no JavaScript, nothing from a CDN.

This module computes each chart's geometry (coordinates formatted, texts as plain strings); the SVG itself is
written by ``templates/jinja2/charts.svg`` (Django's Jinja2 backend, autoescape on), so every text and attribute
is escaped by the template engine. Every chart has a ``<title>`` and a ``<desc>`` (``role="img"`` with
``aria-labelledby``), labelled axes, and stays readable without colour: values are positions with direct text
labels, series differ by marker shape and dash pattern as well as by colour. Colours come from a fixed set of
CSS classes (``sc-s0`` … ``sc-s5``); geometry is in SVG attributes, never in ``style``, so the strict CSP holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

from django.template import engines

from annotations.proportions import Proportion, pct

_ids = itertools.count(1)
MARKERS = ("circle", "square", "triangle", "diamond", "down", "star")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
TEMPLATE = "charts.svg"  # Jinja2: templates/jinja2/


def _macros():
    """The macros of ``jinja2/charts.svg`` (compiled once by the engine, looked up per call: cheap)."""
    return engines["jinja2"].env.get_template(TEMPLATE).module


def describe(p: Proportion) -> str:
    """'34% (17 of 50; 95% CI 22–48%)' or 'no data'."""
    if not p.has_data:
        return "no data"
    return f"{pct(p.value)} ({p.numerator} of {p.denominator}; 95% CI {pct(p.low)}–{pct(p.high)})"


def _n(value: float | int) -> str:
    """A coordinate as the charts write it: floats to one decimal."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _part(kind: str, **values) -> SimpleNamespace:
    """One drawn item; attributes, not dict keys: the template reads thousands per page (bench/stats.py)."""
    return SimpleNamespace(kind=kind, **values)


def line(x1, x2, y1, y2, css: str) -> SimpleNamespace:
    return _part("line", x1=_n(x1), x2=_n(x2), y1=_n(y1), y2=_n(y2), css=css)


def text(value: str, x, y, css: str, *, anchor: str = "", transform: str = "", href: str = "") -> SimpleNamespace:
    return _part("text", text=value, x=_n(x), y=_n(y), css=css, anchor=anchor, transform=transform, href=href)


def _chart(width: int, height: int, title: str, desc: str, items: list[dict], css: str):
    c = SimpleNamespace(n=next(_ids), width=width, height=height, title=title, desc=desc, parts=items, css=css)
    return _macros().chart(c)


# marker outlines as (dx, dy) in units of the marker size, centred on the point
_SHAPES = {
    "triangle": ((0, -1.2), (1.1, 0.9), (-1.1, 0.9)),
    "down": ((0, 1.2), (1.1, -0.9), (-1.1, -0.9)),
    "diamond": ((0, -1.25), (1.25, 0), (0, 1.25), (-1.25, 0)),
    "star": (
        (0, -1.3),
        (0.39, -0.39),
        (1.3, -0.26),
        (0.59, 0.39),
        (0.78, 1.3),
        (0, 0.78),
        (-0.78, 1.3),
        (-0.59, 0.39),
        (-1.3, -0.26),
        (-0.39, -0.39),
    ),
}


def marker(shape: str, x: float, y: float, size: float = 4.5, css: str = "", title: str = "") -> SimpleNamespace:
    """A point marker: circle, square, triangle, diamond, down (triangle) or star."""
    if shape == "circle":
        return _part("marker", shape=shape, css=css, title=title, x=_n(x), y=_n(y), size=_n(size))
    if shape == "square":
        return _part(
            "marker", shape=shape, css=css, title=title, left=_n(x - size), top=_n(y - size), side=_n(2 * size)
        )
    points = " ".join(f"{x + dx * size:.1f},{y + dy * size:.1f}" for dx, dy in _SHAPES[shape])
    return _part("marker", shape=shape, css=css, title=title, points=points)


# --- the bar inside a table cell -----------------------------------------------------------------


def inline_bar(p: Proportion, width: int = 80, height: int = 16):
    """A small bar for a table cell: the share as a bar, its 95% interval as a whisker (drawn often: kept lean)."""
    if not p.has_data:
        return ""
    span = width - 2
    value, low, high = 1 + p.value * span, 1 + p.low * span, 1 + p.high * span
    return _macros().inline_bar(
        next(_ids), width, height, describe(p), span, height - 8,
        f"{max(0.5, value - 1):.1f}", f"{low:.1f}", f"{high:.1f}", f"{height / 2:.1f}", height - 3,
    )  # fmt: skip


# --- a dot plot: one row per outlet, the share with its interval ---------------------------------------


@dataclass
class Row:
    label: str
    value: Proportion
    href: str = ""
    shape: str = "circle"
    series: int = 0


def _ticks(top: float) -> list[float]:
    step = 0.05 if top <= 0.25 else 0.1 if top <= 0.6 else 0.25
    out, v = [], 0.0
    while v <= top + 1e-9:
        out.append(round(v, 4))
        v += step
    return out


def _top(values: Sequence[float | None]) -> float:
    present = [v for v in values if v is not None]
    top = max(present, default=0.1)
    for candidate in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0):
        if top <= candidate:
            return candidate
    return 1.0


def dot_plot(rows: Sequence[Row], *, title: str, desc: str, axis: str, width: int = 720):
    """Each row a dot at the share with a whisker across its 95% interval, the value written beside it."""
    label_w, value_w, row_h, top_pad, bottom_pad = 170, 150, 24, 10, 46
    plot_w = width - label_w - value_w
    height = top_pad + row_h * max(1, len(rows)) + bottom_pad
    top = _top([r.value.high for r in rows])
    x = lambda v: label_w + v / top * plot_w  # noqa: E731
    body = []
    for tick in _ticks(top):
        body.append(line(x(tick), x(tick), top_pad - 4, height - bottom_pad, "sc-grid"))
        body.append(text(f"{tick * 100:.0f}%", x(tick), height - bottom_pad + 16, "sc-tick", anchor="middle"))
    body.append(text(axis, label_w + plot_w / 2, height - 8, "sc-axis", anchor="middle"))
    for i, row in enumerate(rows):
        y = top_pad + row_h * i + row_h / 2
        if i % 2 == 0:
            body.append(_part("rect", x="0", y=_n(y - row_h / 2), width=width, height=row_h, css="sc-band"))
        body.append(text(row.label, label_w - 10, y + 4, "sc-label", anchor="end", href=row.href))
        p = row.value
        if not p.has_data:
            body.append(text("no data", label_w + 6, y + 4, "sc-nodata"))
            continue
        body.append(line(x(p.low), x(p.high), y, y, f"sc-ci sc-s{row.series}"))
        for end in (p.low, p.high):
            body.append(line(x(end), x(end), y - 5, y + 5, f"sc-ci sc-s{row.series}"))
        body.append(marker(row.shape, x(p.value), y, 5, f"sc-dot sc-s{row.series}"))
        value = f"{pct(p.value)}  ({p.numerator}/{p.denominator})"
        body.append(text(value, label_w + plot_w + 12, y + 4, "sc-value"))
    return _chart(width, height, title, desc, body, "sc-dotplot")


# --- a monthly trend ------------------------------------------------------------------------------------


@dataclass
class Series:
    name: str
    points: list[tuple[dt.date, Proportion]]


def _month_label(month: dt.date, first: bool) -> str:
    return month.strftime("%b %Y") if first or month.month == 1 else month.strftime("%b")


def trend_chart(
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    axis: str,
    width: int = 560,
    height: int = 240,
    band: bool | None = None,
):
    """Shares per month: a line with markers per series (gaps where a month has no data), the 95% interval
    as a shaded band when there is one series, the last value written at the end of each line."""
    months = sorted({m for s in series for m, _p in s.points})
    left, top_pad, bottom = 52, 14, 46
    right = 60 if len(series) == 1 else 24 + 7 * max(len(s.name) + 5 for s in series)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    if not months:
        return _chart(width, 60, title, desc, [text("no data", 10, 30, "sc-nodata")], "sc-trend")
    band = len(series) == 1 if band is None else band
    values = [p.high if band else p.value for s in series for _m, p in s.points]
    top = _top(values)
    index = {m: i for i, m in enumerate(months)}
    span = max(1, len(months) - 1)
    x = lambda m: left + (index[m] / span if len(months) > 1 else 0.5) * plot_w  # noqa: E731
    y = lambda v: top_pad + plot_h - v / top * plot_h  # noqa: E731
    body = []
    for tick in _ticks(top):
        body.append(line(left, left + plot_w, y(tick), y(tick), "sc-grid"))
        body.append(text(f"{tick * 100:.0f}%", left - 6, y(tick) + 4, "sc-tick", anchor="end"))
    every = max(1, round(len(months) / 8))
    base = top_pad + plot_h
    for i, month in enumerate(months):
        if i % every == 0:
            body.append(line(x(month), x(month), base, base + 4, "sc-axisline"))
            body.append(text(_month_label(month, i == 0), x(month), base + 17, "sc-tick", anchor="middle"))
    body.append(line(left, left + plot_w, base, base, "sc-axisline"))
    body.append(text("Month published", left + plot_w / 2, height - 6, "sc-axis", anchor="middle"))
    middle = top_pad + plot_h / 2
    body.append(text(axis, 12, middle, "sc-axis", anchor="middle", transform=f"rotate(-90 12 {middle:.1f})"))
    end_labels: list[list] = []
    for n, s in enumerate(series):
        shape, dash, css = MARKERS[n % len(MARKERS)], DASHES[n % len(DASHES)], f"sc-s{n % 6}"
        points = {m: p for m, p in s.points if p.has_data}
        segments, current = [], []
        for month in months:
            if month in points:
                current.append(month)
            elif current:
                segments.append(current)
                current = []
        if current:
            segments.append(current)
        if band:
            for seg in segments:
                if len(seg) == 1:
                    m = seg[0]
                    body.append(line(x(m), x(m), y(points[m].low), y(points[m].high), f"sc-ci {css}"))
                else:
                    upper = " ".join(f"{x(m):.1f},{y(points[m].high):.1f}" for m in seg)
                    lower = " ".join(f"{x(m):.1f},{y(points[m].low):.1f}" for m in reversed(seg))
                    body.append(_part("polygon", points=f"{upper} {lower}", css=f"sc-ciband {css}"))
        for seg in segments:
            if len(seg) > 1:
                path = " ".join(f"{x(m):.1f},{y(points[m].value):.1f}" for m in seg)
                body.append(_part("polyline", points=path, css=f"sc-line {css}", dash=dash))
        for month, p in points.items():
            title_text = f"{month.strftime('%B %Y')}: {describe(p)}"
            body.append(marker(shape, x(month), y(p.value), 3.5, f"sc-dot {css}", title=title_text))
        if points:
            last = max(points)
            label = f"{s.name} {pct(points[last].value)}" if len(series) > 1 else pct(points[last].value)
            end_labels.append([y(points[last].value) + 4, x(last) + 8, label, css])
    # direct labels at the ends of the lines, pushed apart so that none overlaps another
    end_labels.sort()
    for i in range(1, len(end_labels)):
        end_labels[i][0] = max(end_labels[i][0], end_labels[i - 1][0] + 14)
    for label_y, label_x, label, css in end_labels:
        body.append(text(label, label_x, label_y, f"sc-endlabel {css}"))
    return _chart(width, height, title, desc, body, "sc-trend")


def legend_marker(n: int):
    """The marker shape and colour series ``n`` has in the charts, for a legend or a table header."""
    return _macros().legend_marker(marker(MARKERS[n % len(MARKERS)], 8, 8, 5, f"sc-dot sc-s{n % 6}"))
