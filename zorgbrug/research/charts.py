"""Charts rendered on the server as inline SVG with matplotlib (no JavaScript, no CDN).

The object API (`Figure`) only, never pyplot: no global figure state, safe in threads.
Text stays text in the SVG (`svg.fonttype = none`), so it scales, is searchable and is
read by screen readers; each chart carries role="img" and points at its caption, and the
page shows the same numbers in a table next to it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "zorgbrug",  # stable element ids: the same data gives the same SVG
        "font.family": ["DejaVu Sans", "sans-serif"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

# Okabe–Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


def _svg(fig: Figure, title_id: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Responsive, labelled by the figure caption, not a tab stop.
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    return svg.replace(
        "<svg",
        f'<svg role="img" aria-labelledby="{title_id}" focusable="false" class="chart-svg"',
        1,
    )


def _clean(values: Sequence[float | None]) -> list[float]:
    return [0.0 if v is None else float(v) for v in values]


def bar_chart(
    *,
    title_id: str,
    labels: Sequence[str],
    series: Sequence[Series],
    percent: bool = False,
    stacked: bool = False,
) -> str:
    """Horizontal bars: one group per label, one bar (or segment) per series."""
    n = max(len(labels), 1)
    fig = Figure(figsize=(7.0, 0.9 + 0.32 * n * (1 if stacked else max(1, len(series)))))
    ax = fig.subplots()
    positions = list(range(len(labels)))
    height = 0.8 if stacked else 0.8 / max(1, len(series))
    left = [0.0] * len(labels)
    for index, s in enumerate(series):
        values = [v * 100 for v in _clean(s.values)] if percent else _clean(s.values)
        if stacked:
            ax.barh(positions, values, height, left=left, label=s.label, color=PALETTE[index % 7])
            left = [a + b for a, b in zip(left, values, strict=True)]
        else:
            offset = [p - 0.4 + height * (index + 0.5) for p in positions]
            ax.barh(offset, values, height, label=s.label, color=PALETTE[index % 7])
    ax.set_yticks(positions, labels=list(labels))
    ax.invert_yaxis()
    if percent:
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter("{x:.0f} %")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if len(series) > 1:
        ax.legend(loc="lower right", frameon=False)
    return _svg(fig, title_id)


def column_chart(*, title_id: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Vertical columns by period (months), one colour per series."""
    fig = Figure(figsize=(7.0, 2.8))
    ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    positions = list(range(len(labels)))
    for index, s in enumerate(series):
        offset = [p - 0.4 + width * (index + 0.5) for p in positions]
        ax.bar(offset, _clean(s.values), width, label=s.label, color=PALETTE[index % 7])
    ax.set_xticks(positions, labels=list(labels), rotation=45, ha="right")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if len(series) > 1:
        ax.legend(loc="upper left", frameon=False)
    return _svg(fig, title_id)
