"""The scatter picture of a segmentation, as PNG bytes (matplotlib's object API on Agg)."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from segmentation.result import SegmentationResult

if TYPE_CHECKING:
    from segmentation.model.compare import Movement

__all__ = [
    "render_scatter",
    "build_figure",
    "render_movement",
    "build_movement_figure",
    "MAX_PLOTTED_POINTS",
]

# Beyond this many points a scatter is a blob and slow to draw; a proportional sample per
# segment keeps the picture honest (every segment keeps its share of the dots).
MAX_PLOTTED_POINTS = 30_000


def render_scatter(result: SegmentationResult, *, dpi: int = 110) -> bytes:
    """PNG bytes of the result's picture: the customers coloured by segment, centres marked,
    legend with sizes; for segments built on more than two columns (``plot_kind``
    ``"profile"``), the segments against the columns that set them apart."""
    if result.plot_kind == "profile":
        from segmentation.output.profile_plot import build_profile_figure

        fig = build_profile_figure(result)
    else:
        fig = build_figure(result)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # A header with a character no font has (a stray control byte, found by fuzzing) is
        # drawn as a box; the warning would reach the person's terminal or the bot's log.
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _short(text: str, limit: int = 60) -> str:
    """Text cut to fit a picture: a header thousands of characters long (found by fuzzing)
    would squeeze the plot to nothing."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_figure(result: SegmentationResult) -> Figure:
    """The matplotlib Figure behind :func:`render_scatter` (tests inspect its Axes)."""
    x_col, y_col = result.plot_axes
    points = result.points
    plotted = _proportional_sample(points["segment"].to_numpy(), MAX_PLOTTED_POINTS)
    fig = Figure(figsize=(10.5, 6.0), layout="constrained")
    ax = fig.add_subplot()
    size = 28 if len(plotted) <= 1_000 else (10 if len(plotted) <= 10_000 else 4)
    labels = points["segment"].to_numpy()
    xs = points[x_col].to_numpy(dtype=float)
    ys = points[y_col].to_numpy(dtype=float)
    for seg in result.segments:
        idx = plotted[labels[plotted] == seg.id]
        ax.scatter(
            xs[idx],
            ys[idx],
            s=size,
            color=seg.color,
            alpha=0.75 if len(plotted) <= 10_000 else 0.45,
            linewidths=0,
            rasterized=len(plotted) > 2_000,
            # Whole names, wrapped; only a name built from an absurd header is cut.
            label=_wrap(f"{_short(seg.name, 160)} ({seg.size:,})", 40),
        )
    for seg in result.segments:
        centre = _centre_on_axes(seg.id, labels, xs, ys, result, x_col, y_col)
        ax.scatter(
            [centre[0]],
            [centre[1]],
            marker="X",
            s=170,
            color=seg.color,
            edgecolors="black",
            linewidths=1.2,
            zorder=5,
        )
    if result.plot_log_axes[0]:
        ax.set_xscale("symlog", linthresh=1)
    if result.plot_log_axes[1]:
        ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel(_short(x_col))
    ax.set_ylabel(_short(y_col))
    ax.grid(True, alpha=0.25)
    shown = f", {len(plotted):,} shown" if len(plotted) < len(points) else ""
    title = f"{result.rows_used:,} customers in {result.k} segments{shown}"
    if len(result.features) > 2:
        # The picture is a 2-D view of more columns: say so on the picture itself.
        title += (
            f"\nshown on the 2 of {len(result.features)} segmenting columns that separate them best"
        )
    # Over the whole figure, so the legend beside the plot never covers it.
    fig.suptitle(title)
    handles, texts = ax.get_legend_handles_labels()
    handles.append(
        Line2D(
            [], [], marker="X", linestyle="", color="grey", markeredgecolor="black", markersize=10
        )
    )
    texts.append("segment centre")
    # Outside the axes, so the legend never hides customers.
    legend = fig.legend(
        handles,
        texts,
        loc="outside right upper",
        fontsize=9,
        markerscale=1.5,
        title="Segments (customers)",
    )
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)  # the dots may be faint; the key to them must not be
    return fig


def _centre_on_axes(
    seg_id: int,
    labels: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    result: SegmentationResult,
    x_col: str,
    y_col: str,
) -> tuple[float, float]:
    seg = result.segments[seg_id]
    if x_col in seg.centroid and y_col in seg.centroid:
        return seg.centroid[x_col], seg.centroid[y_col]
    mask = labels == seg_id
    return float(np.median(xs[mask])), float(np.median(ys[mask]))


def _proportional_sample(labels: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` points, each segment keeping its share (fixed seed)."""
    n = len(labels)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(0)
    keep = rng.random(n) < (limit / n)
    return np.flatnonzero(keep)


def render_movement(movement: Movement, *, dpi: int = 110) -> bytes:
    """PNG bytes of how customers moved between two runs' segments (see
    :func:`build_movement_figure`)."""
    fig = build_movement_figure(movement)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def build_movement_figure(movement: Movement) -> Figure:
    """A labelled matrix: last time's segments (rows) against this time's (columns).

    Each cell holds the customers who went from the row's segment to the column's, shaded by
    the share of the row; "new customers" is the last row and "gone" the last column. At eight
    segments a matrix keeps every number readable where Sankey ribbons would cross. Without a
    customer key it shows the segment sizes before and after instead.
    """
    if not movement.keyed:
        return _size_bars(movement)
    from segmentation.model.compare import GONE, NEW

    before = list(movement.previous_names)
    after = list(movement.current_names)
    rows, cols = before + [NEW], after + [GONE]
    counts = np.zeros((len(rows), len(cols)))
    for f in movement.flows:
        counts[rows.index(f.source), cols.index(f.target)] += f.customers
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    colour_before = {c.previous: c.color for c in movement.segments if c.previous}
    colour_after = {c.current: c.color for c in movement.segments if c.current}
    fig = Figure(figsize=(2.2 + 1.15 * len(cols), 1.6 + 0.55 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(share, cmap="Greys", vmin=0, vmax=1.6, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    f"{int(counts[i, j]):,}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    fontweight="bold" if _same_segment(movement, rows[i], cols[j]) else "normal",
                    color="white" if share[i, j] > 0.55 else "black",
                )
    ax.set_xticks(range(len(cols)), [_wrap(c) for c in cols], fontsize=9)
    shown_rows = [("new customers" if r == NEW else r) for r in rows]
    ax.set_yticks(range(len(rows)), [_wrap(r, 22) for r in shown_rows], fontsize=9)
    ax.xaxis.tick_top()
    for label, name in zip(ax.get_xticklabels(), cols, strict=True):
        label.set_color(colour_after.get(name, "dimgrey"))
    for label, name in zip(ax.get_yticklabels(), rows, strict=True):
        label.set_color(colour_before.get(name, "dimgrey"))
    ax.tick_params(length=0)
    ax.set_xlabel("this time", fontsize=10)
    ax.xaxis.set_label_position("top")
    ax.set_ylabel(f"last time ({movement.previous_source})", fontsize=10)
    for j in range(len(cols) + 1):
        ax.axvline(j - 0.5, color="white", linewidth=2)
    for i in range(len(rows) + 1):
        ax.axhline(i - 0.5, color="white", linewidth=2)
    ax.set_title(
        f"Where last time's customers went ({movement.matched_customers or 0:,} in both files)",
        fontsize=11,
    )
    return fig


def _size_bars(movement: Movement) -> Figure:
    changes = list(movement.segments)
    fig = Figure(figsize=(8.0, 1.5 + 0.5 * len(changes)), layout="constrained")
    ax = fig.add_subplot()
    ys = np.arange(len(changes))
    labels = [c.current or f"{c.previous} (gone)" for c in changes]
    ax.barh(ys - 0.2, [c.size_before for c in changes], 0.38, color="lightgrey", label="last time")
    ax.barh(
        ys + 0.2,
        [c.size_after for c in changes],
        0.38,
        color=[c.color for c in changes],
        label="this time",
    )
    ax.set_yticks(ys, labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("customers")
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(f"Segment sizes, last time ({movement.previous_source}) and this time")
    return fig


def _same_segment(movement: Movement, before: str, after: str) -> bool:
    return any(c.previous == before and c.current == after for c in movement.segments)


def _wrap(text: str, width: int = 12) -> str:
    # A word longer than a line is broken, so no line outgrows the picture.
    words = [w[i : i + width] for w in text.split() for i in range(0, len(w), width)]
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)
