"""Small SVG charts drawn on the server: no JavaScript library, no CDN, readable as text.

Each function takes labelled numbers and returns a :class:`Chart`: the shapes and texts
of the picture, with a title, axis labels and the values written on the bars, so it still
reads without colour. The template `chart.svg` writes it out; every text in it is escaped
there like any other value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT, PAD, BOTTOM = 720, 260, 40, 56
SERIES = 5  # colours series-0 .. series-4 in static/style.css, then again
LABEL = {"font-size": "11", "text-anchor": "middle"}


@dataclass(frozen=True)
class Mark:
    """One SVG element: its tag, attributes and text (a rect's text is its tooltip)."""

    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    marks: list[Mark]
    legend: list[str] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT

    def legend_marks(self) -> list[Mark]:
        marks = []
        for i, name in enumerate(self.legend):
            x = PAD + i * 150
            marks.append(_rect(x, 6, 12, 12, i))
            marks.append(Mark("text", {"x": str(x + 16), "y": "17", "font-size": "12"}, name))
        return marks


def _rect(x: float, y: float, w: float, h: float, series: int, tip: str = "") -> Mark:
    size = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{w:.1f}", "height": f"{h:.1f}"}
    return Mark("rect", {**size, "class": f"series-{series % SERIES}"}, tip)


def _axis() -> Mark:
    ends = {"x1": str(PAD), "y1": str(HEIGHT - BOTTOM), "x2": str(WIDTH - PAD)}
    return Mark("line", {**ends, "y2": str(HEIGHT - BOTTOM), "class": "axis"})


def _empty(title: str) -> Chart:
    return Chart(title, [Mark("text", {"x": str(PAD), "y": str(HEIGHT // 2)}, "Belum ada data.")])


def bars(
    title: str, labels: Sequence[str], series: Sequence[Sequence[float]], names: Sequence[str] = ()
) -> Chart:
    """Stacked bars: one bar per label, one stacked part per series."""
    if not labels:
        return _empty(title)
    totals = [sum(s[i] for s in series) for i in range(len(labels))]
    top = max(max(totals), 1)
    plot_h = HEIGHT - BOTTOM - 30
    step = (WIDTH - 2 * PAD) / len(labels)
    width = max(step * 0.7, 2)
    marks = [_axis()]
    for i, label in enumerate(labels):
        x = PAD + i * step + (step - width) / 2
        y = float(HEIGHT - BOTTOM)
        for k, s in enumerate(series):
            h = s[i] / top * plot_h
            y -= h
            if h:
                marks.append(_rect(x, y, width, h, k, f"{label}: {s[i]:g}"))
        middle = f"{x + width / 2:.1f}"
        marks.append(Mark("text", {"x": middle, "y": f"{y - 3:.1f}", **LABEL}, f"{totals[i]:g}"))
        if len(labels) <= 31 or i % max(len(labels) // 24, 1) == 0:
            below = str(HEIGHT - BOTTOM + 14)
            turn = f"rotate(-35 {middle} {below})"
            where = {"x": middle, "y": below, **LABEL, "text-anchor": "end", "transform": turn}
            marks.append(Mark("text", where, label))
    return Chart(title, marks, list(names))


def line(title: str, labels: Sequence[str], values: Sequence[float], unit: str = "%") -> Chart:
    """One line over the labels (e.g. service level by day, 0-100)."""
    if not labels:
        return _empty(title)
    top = max(max(values), 100 if unit == "%" else 1)
    plot_h = HEIGHT - BOTTOM - 30
    step = (WIDTH - 2 * PAD) / max(len(labels) - 1, 1)
    points = [(PAD + i * step, HEIGHT - BOTTOM - v / top * plot_h) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    marks = [_axis(), Mark("polyline", {"points": path, "class": "series-line"})]
    for (x, y), label, v in zip(points, labels, values, strict=True):
        at = {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "3", "class": "series-0"}
        marks.append(Mark("circle", at))
        above = {"x": f"{x:.1f}", "y": f"{y - 6:.1f}", **LABEL}
        marks.append(Mark("text", above, f"{v:.0f}{unit}"))
        below = {"x": f"{x:.1f}", "y": str(HEIGHT - BOTTOM + 14), **LABEL}
        marks.append(Mark("text", below, label))
    return Chart(title, marks)
