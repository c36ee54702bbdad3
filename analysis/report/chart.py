"""Point estimates with their confidence intervals as an SVG chart (matplotlib, drawn on the server).

One horizontal row per estimate, labels on the left, so long Chinese labels stay readable on a
360 px phone; the figure is about 340 px wide and scales with its container. A target, when given, is
a dashed line (the report pack's charts of an indicator against its target, by group). Text is drawn as
glyph outlines with a CJK font (WenQuanYi Micro Hei, Debian's fonts-wqy-microhei, which the
Makefile installs), so the SVG needs no font on the reader's device. Must not estimate anything;
matplotlib is imported only when a chart is drawn.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc")


@dataclass(frozen=True)
class Point:
    """One row of the chart: its label, the estimate and its interval (None when not shown)."""

    label: str
    estimate: float | None
    low: float | None = None
    high: float | None = None


def _font() -> Any:
    from matplotlib import font_manager

    for path in FONT_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path)
    return font_manager.FontProperties(family=["sans-serif"])  # a list: a bare string is read as a fontconfig pattern


def interval_chart(points: Sequence[Point], title: str, percent: bool = False, *, target: float | None = None,
                   level: float = 0.95, unit: str = "", whole_axis: bool = True) -> str:
    """The SVG text of a dot-and-whisker chart of `points` (missing estimates are labelled '—'), with the
    `target` (on the points' scale) as a dashed line when given. A percentage axis runs from 0 to 100
    unless `whole_axis` is false: then it spans the intervals and the target (within 0 to 100)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = _font()
    scale = 100.0 if percent else 1.0
    height = 1.0 + 0.34 * max(len(points), 1)
    fig = Figure(figsize=(4.7, height), dpi=72)
    ax = fig.add_axes((0.30, 0.62 / height, 0.64, 1 - 1.12 / height))
    ys = list(range(len(points)))[::-1]
    for y, p in zip(ys, points, strict=True):
        if p.estimate is None or not math.isfinite(p.estimate):
            ax.text(0.02, y, "—", transform=ax.get_yaxis_transform(), va="center", fontproperties=font, fontsize=12)
            continue
        if p.low is not None and p.high is not None:
            ax.plot([p.low * scale, p.high * scale], [y, y], color="#2f7d5c", linewidth=2.5, solid_capstyle="butt")
        ax.plot([p.estimate * scale], [y], "o", color="#174c36", markersize=6)
    ax.set_yticks(ys, [p.label for p in points], fontproperties=font, fontsize=12)
    ax.set_ylim(-0.7, len(points) - 0.3)
    if target is not None:
        _target_line(ax, target * scale, font)
    if percent and whole_axis:
        ax.set_xlim(0, 100)
    elif percent:
        low, high = ax.get_xlim()
        ax.set_xlim(max(low, 0), min(high, 100))
    ax.grid(axis="x", color="#d0d7de", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(font)
        tick.set_fontsize(11)
    legend = f"点为估计值，线为 {level:.0%} 置信区间" + ("，虚线为目标" if target is not None else "")
    ax.set_xlabel(f"{'%' if percent else unit}（{legend}）", fontproperties=font, fontsize=11)
    fig.suptitle(title, fontproperties=font, fontsize=12, x=0.02, ha="left", y=1 - 0.12 / height)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _target_line(ax: Any, x: float, font: Any) -> None:
    """The target as a dashed vertical line labelled 目标 above the plot."""
    ax.axvline(x, color="#b42318", linewidth=1.4, linestyle=(0, (4, 3)), zorder=1)
    ax.text(x, 1.0, "目标", transform=ax.get_xaxis_transform(), ha="center", va="bottom", color="#b42318",
            fontproperties=font, fontsize=10)
