"""Charts as inline SVG strings, drawn in plain Python: no plotting library, no script, no
font or image to fetch, a few kilobytes each.

Every text that goes into a chart (labels, names, titles) is escaped here, so a chart is
safe to paste into the page whatever the store holds. Each chart is one ``<svg>`` with
``role="img"``, an ``aria-label`` and a ``<title>``; the page puts the numbers in a table
beside it for screen readers and copy-paste.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720
PALETTE = (
    "#2f6fb0",  # blue
    "#e07b39",  # orange
    "#3a9b6a",  # green
    "#c8485a",  # red
    "#8a63b8",  # purple
    "#c9a227",  # ochre
    "#4fa3b8",  # teal
    "#9c6b4a",  # brown
    "#d975a8",  # pink
    "#7a8a99",  # grey
)
MUTED = "#9aa5b1"
INK = "#1f2933"
GRID = "#e4e7eb"


@dataclass
class Series:
    """One named row of values (one per label); ``below`` draws it under the axis (e.g.
    touches *to* you under touches *from* you)."""

    name: str
    values: Sequence[float]
    color: str | None = None
    below: bool = False


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _pct(value: float) -> str:
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    text = escape(label)
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{text}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{text}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 11, **attrs):
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{INK}"{extra}>{escape(content)}</text>'
    )


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** len(str(int(value))) / 10 if value >= 1 else 1.0
    while power > value:
        power /= 10
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _legend(series: Sequence[tuple[str, str]], y: float, x0: float = 48) -> list[str]:
    out, x = [], x0
    for name, fill in dict(series).items():  # a name drawn both sides is listed once
        out.append(f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="10" height="10" fill="{fill}"/>')
        out.append(_text(x + 14, y, name))
        x += 24 + 7 * len(name)
    return out


def _every(labels: Sequence[str], slot: float) -> int:
    """Label every k-th tick so that labels (about 6 px a character at size 10) never touch."""
    widest = max((len(label) for label in labels), default=1)
    return max(1, math.ceil((6.0 * widest + 8) / max(slot, 1.0)))


def _tick_labels(labels: Sequence[str], xs: Sequence[float], y: float, every: int) -> list[str]:
    return [
        _text(x, y, label, anchor="middle", size=10)
        for i, (x, label) in enumerate(zip(xs, labels, strict=True))
        if (len(labels) - 1 - i) % every == 0  # the newest label always shown
    ]


def columns(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    stacked: bool = True,
    percent: bool = False,
    height: int = 240,
    sides: tuple[str, str] | None = None,
) -> str:
    """Vertical bars, one group per label: stacked (or side by side) series; series marked
    ``below`` are drawn downwards from the axis."""
    n = max(len(labels), 1)
    left, right, top, bottom = 48, 12, 26, 34
    plot_w = WIDTH - left - right
    fills = [(s.name, s.color or color(i)) for i, s in enumerate(series)]
    scale_max = _column_scale(labels, series, stacked, percent)
    has_below = any(s.below for s in series)
    plot_h = height - top - bottom
    up_h = plot_h / 2 if has_below else plot_h
    axis_y = top + up_h
    unit = up_h / scale_max
    body = _legend(fills, 14)
    body += _column_grid(left, right, axis_y, up_h, scale_max, has_below, percent)
    slot = plot_w / n
    group = min(slot * 0.78, 64.0)
    xs = []
    for i in range(len(labels)):
        x0 = left + i * slot + (slot - group) / 2
        xs.append(x0 + group / 2)
        heights = {False: 0.0, True: 0.0}
        chosen = [(j, s) for j, s in enumerate(series)]
        side_by_side = [s for s in series if not s.below], [s for s in series if s.below]
        for j, s in chosen:
            value = float(s.values[i])
            if value <= 0:
                continue
            h = value * unit
            if stacked:
                bx, bw = x0, group
                offset = heights[s.below]
                heights[s.below] += h
            else:
                peers = side_by_side[1 if s.below else 0]
                k = peers.index(s)
                bw = group / len(peers)
                bx, offset = x0 + k * bw, 0.0
            y = axis_y + offset if s.below else axis_y - offset - h
            tip = f"{labels[i]}: {s.name} {_pct(value) if percent else _num(value)}"
            body.append(
                f'<rect x="{_num(bx)}" y="{_num(y)}" width="{_num(max(bw - 1, 1))}" '
                f'height="{_num(max(h, 0.5))}" fill="{fills[j][1]}"><title>{escape(tip)}</title>'
                "</rect>"
            )
    body.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{_num(axis_y)}" y2="{_num(axis_y)}" '
        f'stroke="{INK}"/>'
    )
    if sides and has_below:
        body.append(_text(left + 4, top + 12, f"▲ {sides[0]}", size=10, fill_opacity="0.7"))
        body.append(_text(left + 4, top + plot_h - 4, f"▼ {sides[1]}", size=10, fill_opacity="0.7"))
    body += _tick_labels(labels, xs, height - 10, _every(labels, slot))
    return _svg(WIDTH, height, label, body)


def _column_scale(
    labels: Sequence[str], series: Sequence[Series], stacked: bool, percent: bool
) -> float:
    """The top of the value axis: the tallest column (either side), rounded up; at most
    100 % for shares, an even whole number for counts."""

    def total(side: bool) -> list[float]:
        chosen = [s for s in series if s.below == side]
        if not chosen:
            return [0.0] * len(labels)
        if stacked:
            return [sum(float(s.values[i]) for s in chosen) for i in range(len(labels))]
        return [max(float(s.values[i]) for s in chosen) for i in range(len(labels))]

    up_max = max(total(False), default=0.0)
    down_max = max(total(True), default=0.0)
    scale_max = _nice_max(max(up_max, down_max))
    if percent:
        scale_max = min(scale_max, 1.0)
    elif all(float(v).is_integer() for s in series for v in s.values):
        scale_max = math.ceil(scale_max)  # counts: whole-number ticks at half and top
        scale_max += scale_max % 2
    return scale_max


def _column_grid(
    left: float,
    right: float,
    axis_y: float,
    up_h: float,
    scale_max: float,
    has_below: bool,
    percent: bool,
) -> list[str]:
    """Grid lines and their ticks at half and full scale (above the axis, and below it
    when series are drawn downwards)."""
    body = []
    for frac in (0.5, 1.0):
        for sign in (-1, 1) if has_below else (-1,):
            y = axis_y + sign * frac * up_h
            body.append(
                f'<line x1="{left}" x2="{WIDTH - right}" y1="{_num(y)}" y2="{_num(y)}" '
                f'stroke="{GRID}"/>'
            )
            value = frac * scale_max
            tick = _pct(value) if percent else _num(value)
            body.append(_text(left - 4, y + 4, tick, anchor="end", size=10))
    return body


def lines(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    percent: bool = True,
    height: int = 220,
    fit: bool = False,
) -> str:
    """One line per series over the labels (a share from 0 to 100% when ``percent``; the
    axis fits the largest value instead when ``fit``)."""
    left, right, top, bottom = 48, 16, 26, 34
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [float(v) for s in series for v in s.values if v is not None]
    scale_max = _nice_max(max(values, default=0.0)) if fit or not percent else 1.0
    if percent:
        scale_max = min(scale_max, 1.0)
    n = len(labels)
    xs = [left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    fills = [(s.name, s.color or color(i)) for i, s in enumerate(series)]
    body = _legend(fills, 14)
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - frac)
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{GRID if frac else INK}"/>'
        )
        tick = _pct(frac * scale_max) if percent else _num(frac * scale_max)
        body.append(_text(left - 4, y + 4, tick, anchor="end", size=10))
    for (name, fill), s in zip(fills, series, strict=True):
        points = [
            (x, top + plot_h * (1 - float(v) / scale_max), float(v), lab)
            for x, v, lab in zip(xs, s.values, labels, strict=True)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _, _ in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{fill}" stroke-width="2.5"/>'
            )
        for x, y, v, lab in points:
            shown = _pct(v) if percent else _num(v)
            body.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{fill}">'
                f"<title>{escape(f'{lab}: {name} {shown}')}</title></circle>"
            )
    body += _tick_labels(labels, xs, height - 10, _every(labels, plot_w / max(n - 1, 1)))
    return _svg(WIDTH, height, label, body)


def hbars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    label: str,
    markers: Sequence[float | None] | None = None,
    marker_name: str = "",
    value_format: str = "{:.0f}",
    fill: str = PALETTE[0],
) -> str:
    """Horizontal bars, one row per label, largest scale at the right; ``markers`` draws a
    tick on each row (e.g. the tie's usual rhythm on a bar of days since)."""
    row, left, right, top = 24, 190, 70, 26 if markers else 8
    height = top + row * max(len(labels), 1) + 8
    top_value = max([float(v) for v in values] + [float(m or 0) for m in (markers or [])])
    scale = (WIDTH - left - right) / (top_value or 1.0)
    body = _legend([(marker_name, INK)], 14, left) if markers else []
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        shown = name if len(name) <= 28 else name[:27] + "…"
        body.append(_text(left - 8, y + 15, shown, anchor="end"))
        w = max(float(value) * scale, 1.0)
        body.append(
            f'<rect x="{left}" y="{y + 4}" width="{_num(w)}" height="{row - 8}" fill="{fill}">'
            f"<title>{escape(f'{name}: {value_format.format(value)}')}</title></rect>"
        )
        body.append(_text(left + w + 6, y + 15, value_format.format(value), size=10))
        mark = None if markers is None else markers[i]
        if mark is not None:
            mx = left + float(mark) * scale
            body.append(
                f'<line x1="{_num(mx)}" x2="{_num(mx)}" y1="{y + 1}" y2="{y + row - 1}" '
                f'stroke="{INK}" stroke-width="3"/>'
            )
    return _svg(WIDTH, height, label, body)


def stack(parts: Sequence[tuple[str, float]], *, label: str) -> str:
    """One horizontal bar split into named parts (their shares of the whole)."""
    height, left, right, y, h = 78, 8, 8, 30, 26
    whole = sum(float(v) for _, v in parts) or 1.0
    plot_w = WIDTH - left - right
    fills = [(name, color(i)) for i, (name, _) in enumerate(parts)]
    body = _legend(
        [(f"{n} ({_num(float(v))})", f) for (n, v), (_, f) in zip(parts, fills, strict=True)], 14, 8
    )
    x = float(left)
    for (name, value), (_, fill) in zip(parts, fills, strict=True):
        w = plot_w * float(value) / whole
        if w <= 0:
            continue
        body.append(
            f'<rect x="{_num(x)}" y="{y}" width="{_num(w)}" height="{h}" fill="{fill}">'
            f"<title>{escape(f'{name}: {_num(float(value))}')}</title></rect>"
        )
        if w > 36:
            body.append(
                f'<text x="{_num(x + w / 2)}" y="{y + 17}" font-size="11" text-anchor="middle" '
                f'fill="#fff">{float(value) / whole:.0%}</text>'
            )
        x += w
    return _svg(WIDTH, height, label, body)
