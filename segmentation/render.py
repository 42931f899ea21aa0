"""The scatter picture of a segmentation, as PNG bytes (matplotlib's object API on Agg)."""

from __future__ import annotations

import io
import warnings

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from segmentation.result import SegmentationResult

__all__ = ["render_scatter", "build_figure", "MAX_PLOTTED_POINTS"]

# Beyond this many points a scatter is a blob and slow to draw; a proportional sample per
# segment keeps the picture honest (every segment keeps its share of the dots).
MAX_PLOTTED_POINTS = 30_000


def render_scatter(result: SegmentationResult, *, dpi: int = 110) -> bytes:
    """PNG bytes of the customers coloured by segment, centres marked, legend with sizes."""
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
            label=f"{_short(seg.name)} ({seg.size:,})",
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
    ax.set_title(title)
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
