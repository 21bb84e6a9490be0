"""The summary every benchmark feeds: one row per figure, with the alternative measured in
the same run on the same machine, their ratio and the target it is held to."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One measured figure against its alternative (``alternative`` None: no alternative,
    the target alone judges it)."""

    figure: str
    ours: float
    unit: str
    alternative: str = ""
    theirs: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.theirs is None or self.theirs == 0:
            return None
        return self.ours / self.theirs


def controller_share(figure: str, controller: float, asterisk: float) -> Row:
    """The controller's CPU against Asterisk's for the same calls (target at most 8 %)."""
    return Row(
        figure,
        controller,
        "s",
        "Asterisk CPU, same calls",
        asterisk,
        "at most 0.08x",
        controller <= 0.08 * asterisk,
    )


def machine() -> str:
    """What the figures were measured on: CPU model, cores, memory, kernel."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return f"{model}, {os.cpu_count()} cores, {pages / 2**30:.0f} GiB, Linux {platform.release()}"


def render(rows: list[Row]) -> str:
    """The table as Markdown (docs/decisions.md quotes it as printed)."""
    lines = [
        "| figure | ours | alternative | theirs | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        theirs = "" if r.theirs is None else f"{r.theirs:,.4g} {r.unit}"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        met = {None: "", True: "yes", False: "**no**"}[r.met]
        lines.append(
            f"| {r.figure} | {r.ours:,.4g} {r.unit} | {r.alternative} | {theirs} | {ratio}"
            f" | {r.target} | {met} |"
        )
    return "\n".join(lines)
