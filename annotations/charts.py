"""Charts drawn on the server as accessible SVG: no JavaScript, nothing from a CDN.

Every chart has a ``<title>`` and a ``<desc>`` (``role="img"`` with
``aria-labelledby``), labelled axes, and stays readable without colour: values
are positions with direct text labels, series differ by marker shape and dash
pattern as well as by colour. Colours come from a fixed set of CSS classes
(``sc-s0`` … ``sc-s5``); geometry is in SVG attributes, never in ``style``,
so the strict CSP holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape  # plain str in and out (quotes escaped); faster than Django's lazy-aware one

from django.utils.safestring import SafeString, mark_safe

from annotations.stats import Proportion, _pct

_ids = itertools.count(1)
MARKERS = ("circle", "square", "triangle", "diamond", "down", "star")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
FONT = 12


def pct(value: float | None) -> str:
    """'34%', '2.5%' under 10%, or 'no data': the same as the tables."""
    return _pct(value)


def describe(p: Proportion) -> str:
    """'34% (17 of 50; 95% CI 22–48%)' or 'no data'."""
    if not p.has_data:
        return "no data"
    return f"{pct(p.value)} ({p.numerator} of {p.denominator}; 95% CI {pct(p.low)}–{pct(p.high)})"


def _a(**attrs) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value == "":
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            out.append(f'{name}="{value:.1f}"')
        elif isinstance(value, int):
            out.append(f'{name}="{value}"')
        else:
            out.append(f'{name}="{escape(value)}"')
    return " ".join(out)


def _el(tag: str, text: str | None = None, **attrs) -> str:
    attributes = _a(**attrs)
    if text is None:
        return f"<{tag} {attributes}/>"
    return f"<{tag} {attributes}>{escape(text)}</{tag}>"


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css: str = "") -> SafeString:
    n = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sc-chart {escape(css)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="sc-t{n} sc-d{n}">'
        f'<title id="sc-t{n}">{escape(title)}</title><desc id="sc-d{n}">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 (every text and attribute is escaped above)


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


def marker(shape: str, x: float, y: float, size: float = 4.5, css: str = "") -> str:
    """A point marker: circle, square, triangle, diamond, down (triangle) or star."""
    if shape == "circle":
        return _el("circle", cx=x, cy=y, r=size, class_=css)
    if shape == "square":
        return _el("rect", x=x - size, y=y - size, width=2 * size, height=2 * size, class_=css)
    points = " ".join(f"{x + dx * size:.1f},{y + dy * size:.1f}" for dx, dy in _SHAPES[shape])
    return _el("polygon", points=points, class_=css)


# --- the bar inside a table cell -----------------------------------------------------------------


def inline_bar(p: Proportion, width: int = 80, height: int = 16) -> SafeString:
    """A small bar for a table cell: the share as a bar, its 95% interval as a whisker (drawn often: kept lean)."""
    if not p.has_data:
        return mark_safe("")
    n = next(_ids)
    span = width - 2
    value, low, high = 1 + p.value * span, 1 + p.low * span, 1 + p.high * span
    mid, bottom = height / 2, height - 3
    return mark_safe(  # noqa: S308 (numbers, and the description is escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sc-chart sc-inline" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="sc-t{n}">'
        f'<title id="sc-t{n}">{escape(describe(p))}</title>'
        f'<rect x="1" y="4" width="{span}" height="{height - 8}" rx="2" class="sc-track"/>'
        f'<rect x="1" y="4" width="{max(0.5, value - 1):.1f}" height="{height - 8}" rx="2" class="sc-bar"/>'
        f'<path d="M{low:.1f},{mid:.1f}H{high:.1f}M{low:.1f},3V{bottom}M{high:.1f},3V{bottom}" class="sc-ci"/>'
        "</svg>"
    )


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


def dot_plot(rows: Sequence[Row], *, title: str, desc: str, axis: str, width: int = 720) -> SafeString:
    """Each row a dot at the share with a whisker across its 95% interval, the value written beside it."""
    label_w, value_w, row_h, top_pad, bottom_pad = 170, 150, 24, 10, 46
    plot_w = width - label_w - value_w
    height = top_pad + row_h * max(1, len(rows)) + bottom_pad
    top = _top([r.value.high for r in rows])
    x = lambda v: label_w + v / top * plot_w  # noqa: E731
    body = []
    for tick in _ticks(top):
        body.append(_el("line", x1=x(tick), x2=x(tick), y1=top_pad - 4, y2=height - bottom_pad, class_="sc-grid"))
        body.append(
            _el(
                "text",
                f"{tick * 100:.0f}%",
                x=x(tick),
                y=height - bottom_pad + 16,
                class_="sc-tick",
                text_anchor="middle",
            )
        )
    body.append(_el("text", axis, x=label_w + plot_w / 2, y=height - 8, class_="sc-axis", text_anchor="middle"))
    for i, row in enumerate(rows):
        y = top_pad + row_h * i + row_h / 2
        if i % 2 == 0:
            body.append(_el("rect", x=0, y=y - row_h / 2, width=width, height=row_h, class_="sc-band"))
        label = _el("text", row.label, x=label_w - 10, y=y + 4, text_anchor="end", class_="sc-label")
        body.append(f'<a href="{escape(row.href)}">{label}</a>' if row.href else label)
        p = row.value
        if not p.has_data:
            body.append(_el("text", "no data", x=label_w + 6, y=y + 4, class_="sc-nodata"))
            continue
        body.append(_el("line", x1=x(p.low), x2=x(p.high), y1=y, y2=y, class_=f"sc-ci sc-s{row.series}"))
        for end in (p.low, p.high):
            body.append(_el("line", x1=x(end), x2=x(end), y1=y - 5, y2=y + 5, class_=f"sc-ci sc-s{row.series}"))
        body.append(marker(row.shape, x(p.value), y, 5, f"sc-dot sc-s{row.series}"))
        body.append(
            _el(
                "text",
                f"{pct(p.value)}  ({p.numerator}/{p.denominator})",
                x=label_w + plot_w + 12,
                y=y + 4,
                class_="sc-value",
            )
        )
    return _svg(width, height, title, desc, body, "sc-dotplot")


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
) -> SafeString:
    """Shares per month: a line with markers per series (gaps where a month has no data), the 95% interval
    as a shaded band when there is one series, the last value written at the end of each line."""
    months = sorted({m for s in series for m, _p in s.points})
    left, top_pad, bottom = 52, 14, 46
    right = 60 if len(series) == 1 else 24 + 7 * max(len(s.name) + 5 for s in series)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    if not months:
        return _svg(width, 60, title, desc, [_el("text", "no data", x=10, y=30, class_="sc-nodata")], "sc-trend")
    band = len(series) == 1 if band is None else band
    values = [p.high if band else p.value for s in series for _m, p in s.points]
    top = _top(values)
    index = {m: i for i, m in enumerate(months)}
    span = max(1, len(months) - 1)
    x = lambda m: left + (index[m] / span if len(months) > 1 else 0.5) * plot_w  # noqa: E731
    y = lambda v: top_pad + plot_h - v / top * plot_h  # noqa: E731
    body = []
    for tick in _ticks(top):
        body.append(_el("line", x1=left, x2=left + plot_w, y1=y(tick), y2=y(tick), class_="sc-grid"))
        body.append(_el("text", f"{tick * 100:.0f}%", x=left - 6, y=y(tick) + 4, text_anchor="end", class_="sc-tick"))
    every = max(1, round(len(months) / 8))
    for i, month in enumerate(months):
        if i % every == 0:
            body.append(
                _el(
                    "line", x1=x(month), x2=x(month), y1=top_pad + plot_h, y2=top_pad + plot_h + 4, class_="sc-axisline"
                )
            )
            body.append(
                _el(
                    "text",
                    _month_label(month, i == 0),
                    x=x(month),
                    y=top_pad + plot_h + 17,
                    text_anchor="middle",
                    class_="sc-tick",
                )
            )
    body.append(_el("line", x1=left, x2=left + plot_w, y1=top_pad + plot_h, y2=top_pad + plot_h, class_="sc-axisline"))
    body.append(
        _el("text", "Month published", x=left + plot_w / 2, y=height - 6, text_anchor="middle", class_="sc-axis")
    )
    body.append(
        _el(
            "text",
            axis,
            x=12,
            y=top_pad + plot_h / 2,
            text_anchor="middle",
            class_="sc-axis",
            transform=f"rotate(-90 12 {top_pad + plot_h / 2:.1f})",
        )
    )
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
                upper = " ".join(f"{x(m):.1f},{y(points[m].high):.1f}" for m in seg)
                lower = " ".join(f"{x(m):.1f},{y(points[m].low):.1f}" for m in reversed(seg))
                if len(seg) == 1:
                    m = seg[0]
                    body.append(
                        _el("line", x1=x(m), x2=x(m), y1=y(points[m].low), y2=y(points[m].high), class_=f"sc-ci {css}")
                    )
                else:
                    body.append(_el("polygon", points=f"{upper} {lower}", class_=f"sc-ciband {css}"))
        for seg in segments:
            if len(seg) > 1:
                body.append(
                    _el(
                        "polyline",
                        points=" ".join(f"{x(m):.1f},{y(points[m].value):.1f}" for m in seg),
                        class_=f"sc-line {css}",
                        stroke_dasharray=dash or None,
                    )
                )
        for month, p in points.items():
            dot = marker(shape, x(month), y(p.value), 3.5, f"sc-dot {css}")
            body.append(
                dot.replace(
                    "/>",
                    f"><title>{escape(month.strftime('%B %Y'))}: {escape(describe(p))}</title></{dot.split()[0][1:]}>",
                    1,
                )
            )
        if points:
            last = max(points)
            label = f"{s.name} {pct(points[last].value)}" if len(series) > 1 else pct(points[last].value)
            end_labels.append([y(points[last].value) + 4, x(last) + 8, label, css])
    # direct labels at the ends of the lines, pushed apart so that none overlaps another
    end_labels.sort()
    for i in range(1, len(end_labels)):
        end_labels[i][0] = max(end_labels[i][0], end_labels[i - 1][0] + 14)
    for label_y, label_x, label, css in end_labels:
        body.append(_el("text", label, x=label_x, y=label_y, class_=f"sc-endlabel {css}"))
    return _svg(width, height, title, desc, body, "sc-trend")


def legend_marker(n: int) -> SafeString:
    """The marker shape and colour series ``n`` has in the charts, for a legend or a table header."""
    body = marker(MARKERS[n % len(MARKERS)], 8, 8, 5, f"sc-dot sc-s{n % 6}")
    return mark_safe(  # noqa: S308 (built from numbers and fixed class names)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sc-legend" viewBox="0 0 16 16" width="16" height="16" '
        f'aria-hidden="true" focusable="false">{body}</svg>'
    )
