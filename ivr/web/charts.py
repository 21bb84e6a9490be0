"""Small SVG charts drawn on the server: no JavaScript library, no CDN, readable as text.

Each function takes labelled numbers and returns an ``<svg>`` element with a title, axis
labels and the values written on the bars, so the picture still reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD, BOTTOM = 720, 260, 40, 56
COLOURS = ("#0b5d3b", "#c77d12", "#a40000", "#3465a4", "#75507b")


def _frame(title: str, body: str, legend: Sequence[str] = ()) -> str:
    keys = "".join(
        f'<rect x="{PAD + i * 150}" y="6" width="12" height="12" fill="{COLOURS[i]}"/>'
        f'<text x="{PAD + i * 150 + 16}" y="17" font-size="12">{escape(name)}</text>'
        for i, name in enumerate(legend)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
        f"{keys}{body}</svg>"
    )


def bars(
    title: str, labels: Sequence[str], series: Sequence[Sequence[float]], names: Sequence[str] = ()
) -> str:
    """Stacked bars: one bar per label, one stacked part per series."""
    if not labels:
        return _frame(title, f'<text x="{PAD}" y="{HEIGHT // 2}">Belum ada data.</text>')
    totals = [sum(s[i] for s in series) for i in range(len(labels))]
    top = max(max(totals), 1)
    plot_h = HEIGHT - BOTTOM - 30
    step = (WIDTH - 2 * PAD) / len(labels)
    width = max(step * 0.7, 2)
    parts = [
        f'<line x1="{PAD}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - PAD}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#444"/>'
    ]
    for i, label in enumerate(labels):
        x = PAD + i * step + (step - width) / 2
        y = float(HEIGHT - BOTTOM)
        for k, s in enumerate(series):
            h = s[i] / top * plot_h
            y -= h
            if h:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[k % len(COLOURS)]}"><title>{escape(label)}: '
                    f"{s[i]:g}</title></rect>"
                )
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{y - 3:.1f}" font-size="11" '
            f'text-anchor="middle">{totals[i]:g}</text>'
        )
        if len(labels) <= 31 or i % max(len(labels) // 24, 1) == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" '
                f'text-anchor="end" transform="rotate(-35 {x + width / 2:.1f} '
                f'{HEIGHT - BOTTOM + 14})">{escape(label)}</text>'
            )
    return _frame(title, "".join(parts), names)


def line(title: str, labels: Sequence[str], values: Sequence[float], unit: str = "%") -> str:
    """One line over the labels (e.g. service level by day, 0-100)."""
    if not labels:
        return _frame(title, f'<text x="{PAD}" y="{HEIGHT // 2}">Belum ada data.</text>')
    top = max(max(values), 100 if unit == "%" else 1)
    plot_h = HEIGHT - BOTTOM - 30
    step = (WIDTH - 2 * PAD) / max(len(labels) - 1, 1)
    points = [(PAD + i * step, HEIGHT - BOTTOM - v / top * plot_h) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [
        f'<line x1="{PAD}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - PAD}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="#444"/>',
        f'<polyline points="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>',
    ]
    for (x, y), label, v in zip(points, labels, values, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[0]}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="11" '
            f'text-anchor="middle">{v:.0f}{escape(unit)}</text>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return _frame(title, "".join(parts))
