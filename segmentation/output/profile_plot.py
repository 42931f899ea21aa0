"""The picture of a segmentation on many columns: each segment's profile against the average.

Two columns out of thirteen show little of what separates thirteen-column segments (a credit
card file drew purchases against a tenure of 6 to 12 months). This draws every segment (rows)
on the columns that set the segments apart most (columns): each cell is the segment's average,
shaded by how far it sits above (orange) or below (blue) the average customer, in standard
deviations. Segment names are written in full, wrapped, never cut.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from segmentation.explain.naming import MAX_PROFILE_COLUMNS, NAME_PARTS, distinctive_columns
from segmentation.explain.number_words import format_number, format_value
from segmentation.explain.wording import number_kind
from segmentation.result import SegmentationResult

__all__ = ["MAX_PROFILE_COLUMNS", "profile_columns", "build_profile_figure", "cell_text"]

# No real segment name comes near this; past it a name was built from an absurd header.
_LONGEST_NAME = 160
# Shading saturates at this many standard deviations from the average.
_SATURATION = 2.0
# A diverging palette that colour-blind readers tell apart (PuOr: purple-blue to orange).
_CMAP = "PuOr_r"


def _used(result: SegmentationResult) -> pd.DataFrame:
    """The clustered columns of the customers who got a segment."""
    features = list(result.features)
    return _with_derived(result).loc[result.table["segment"].notna(), features].astype(float)


def _relative(result: SegmentationResult, used: pd.DataFrame | None = None) -> pd.DataFrame:
    """Segments x clustered columns: each centre in standard deviations from the average of
    the customers who got a segment."""
    features = list(result.features)
    used = _used(result) if used is None else used
    mean, std = used.mean(), used.std(ddof=0).replace(0.0, 1.0)
    centres = pd.DataFrame(
        [[s.centroid[c] for c in features] for s in result.segments],
        index=[s.id for s in result.segments],
        columns=features,
    )
    return (centres - mean) / std


def _with_derived(result: SegmentationResult) -> pd.DataFrame:
    """The labelled table plus the columns computed for clustering (a total, a share), which
    the labelled file does not carry but the segments were found on."""
    from segmentation.model.design import Derived, add_derived

    recipes = result.details.get("derived_columns") or {}
    wanted = [
        Derived(name, spec["how"], tuple(spec["from"]))
        for name, spec in recipes.items()
        if name in result.features
        and name not in result.table.columns
        and spec["how"] in ("sum", "share")
    ]
    return add_derived(result.table, wanted)


def profile_columns(result: SegmentationResult, relative: pd.DataFrame | None = None) -> list[str]:
    """The columns that set the segments apart most, in the file's order: every column that
    sets some segment apart (the ones names use), then those along which the centres spread
    most (weighted by size), up to :data:`MAX_PROFILE_COLUMNS` in all."""
    rel = _relative(result) if relative is None else relative
    wanted: list[str] = []
    for seg in result.segments:
        distinct = {c: float(rel.at[seg.id, c]) for c in rel.columns}
        wanted += distinctive_columns(seg.levels, distinct, NAME_PARTS)
    sizes = np.array([s.size for s in result.segments], dtype=float)
    spread = (sizes[:, None] * rel.to_numpy() ** 2).sum(axis=0) / max(sizes.sum(), 1.0)
    named = list(dict.fromkeys(wanted))
    wanted += [rel.columns[j] for j in np.argsort(-spread)]
    best = set(list(dict.fromkeys(wanted))[: max(MAX_PROFILE_COLUMNS, len(named))])
    return [c for c in rel.columns if c in best]


def build_profile_figure(result: SegmentationResult) -> Figure:
    """Segments (rows) against the columns that separate them (columns), relative to the
    average customer; each cell says the segment's average in the column's units (a share or
    a 0/1 flag as the percentage of the segment: "53%")."""
    used = _used(result)
    rel = _relative(result, used)
    cols = profile_columns(result, rel)
    segs = list(result.segments)
    kinds = {c: number_kind(c, used[c].to_numpy()) for c in cols}
    shade = rel[cols].to_numpy().clip(-_SATURATION, _SATURATION)
    labels = [_wrap(f"{_cut(s.name, _LONGEST_NAME)} ({s.size:,})", 34) for s in segs]
    lines = max(label.count("\n") + 1 for label in labels)
    height = 1.9 + len(segs) * max(0.42, 0.2 * lines + 0.12)
    fig = Figure(figsize=(3.4 + 1.05 * len(cols), height), layout="constrained")
    grid = fig.add_gridspec(1, 2, width_ratios=[0.25, len(cols)])
    keys, ax = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    # The segment's colour beside its name, as in the bot's text (its emoji) and the files.
    keys.imshow(
        np.arange(len(segs))[:, None],
        cmap=ListedColormap([s.color for s in segs]),
        aspect="auto",
        vmin=-0.5,
        vmax=len(segs) - 0.5,
    )
    keys.set_xticks([])
    keys.set_yticks(range(len(segs)), labels, fontsize=9)
    ax.imshow(shade, cmap=_CMAP, vmin=-_SATURATION, vmax=_SATURATION, aspect="auto")
    for i, seg in enumerate(segs):
        for j, col in enumerate(cols):
            ax.text(
                j,
                i,
                cell_text(seg.centroid[col], kinds[col]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(shade[i, j]) > 1.2 else "black",
            )
    ax.set_yticks([])
    ax.set_xticks(range(len(cols)), [_wrap(_cut(c, 60), 14) for c in cols], fontsize=8)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for j in range(len(cols) + 1):
        ax.axvline(j - 0.5, color="white", linewidth=1.5)
    for i in range(len(segs) + 1):
        ax.axhline(i - 0.5, color="white", linewidth=1.5)
    fig.suptitle(
        f"{result.rows_used:,} customers in {result.k} segments: each segment's average, "
        f"on the {len(cols)} of {len(result.features)} columns that set them apart most",
        fontsize=10,
    )
    ax.set_xlabel(
        "orange: above the average customer, purple: below (the darker, the further)",
        fontsize=8,
    )
    return fig


def _cut(text: str, limit: int) -> str:
    """Only a header thousands of characters long (found by fuzzing) is cut, so the picture
    keeps a size; names from real headers are far shorter than the limit and stay whole."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cell_text(value: float, kind: str) -> str:
    """A cell's number in at most five characters or so, by the column's kind
    (:func:`segmentation.explain.wording.number_kind`): 28,394 -> 28.4k, a share 0.53 -> 53%,
    a year 1973.4 -> 1973.

    >>> cell_text(28394.0, "number"), cell_text(0.5312, "share"), cell_text(1973.4, "year")
    ('28.4k', '53%', '1973')
    """
    if kind in ("share", "year"):
        return format_value(value, kind)
    size = abs(value)
    if size >= 1_000_000:
        return f"{format_number(value / 1_000_000)}M"
    if size >= 10_000:
        return f"{format_number(value / 1_000)}k"
    return format_number(value)


def _wrap(text: str, width: int) -> str:
    """Lines of at most ``width`` characters where possible, broken at spaces, after
    underscores ("purchases_installment_frequency") and between CamelCase words
    ("NumCatalog-Purchases"); never cut."""
    marked = re.sub(r"([a-z0-9])([A-Z])", "\\1\0\\2", str(text)).replace("_", "_\0")
    pieces: list[tuple[str, str]] = []  # (piece, what joins it to the one before)
    for chunk in marked.split(" "):
        parts = [p for p in chunk.split("\0") if p]
        pieces += [(p, " " if i == 0 else "") for i, p in enumerate(parts)]
    lines, line = [], ""
    for piece, glue in pieces:
        glue = glue if line else ""
        if line and len(line) + len(glue) + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line = f"{line}{glue}{piece}"
    lines.append(line)
    return "\n".join(lines)
