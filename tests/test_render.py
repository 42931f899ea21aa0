"""The picture: PNG bytes and what the Axes hold, not pixels."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np

from segmentation import generate_customers, render_scatter, run
from segmentation.output.render import MAX_PLOTTED_POINTS, build_figure


def test_png_with_labelled_axes_legend_and_centres() -> None:
    result = run(generate_customers(200))
    assert render_scatter(result).startswith(b"\x89PNG\r\n\x1a\n")
    fig = build_figure(result)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Annual Income (k$)"
    assert ax.get_ylabel() == "Spending Score (1-100)"
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    for seg in result.segments:
        assert f"{seg.name} ({seg.size:,})" in legend_texts
    # One collection of points and one centre marker per segment, in the segment's colour.
    collections = ax.collections
    assert len(collections) == 2 * result.k
    for seg in result.segments:
        dots = collections[seg.id]
        assert len(dots.get_offsets()) == seg.size
        assert mcolors.to_hex(dots.get_facecolors()[0]) == seg.color.lower()
        centre = collections[result.k + seg.id].get_offsets()[0]
        assert np.allclose(
            centre, [seg.centroid["Annual Income (k$)"], seg.centroid["Spending Score (1-100)"]]
        )


def test_colours_are_stable_per_segment_id_and_distinct() -> None:
    a = run(generate_customers(300, seed=1))
    b = run(generate_customers(500, seed=2))
    assert [s.color for s in a.segments] == [s.color for s in b.segments]
    assert len({s.color for s in a.segments}) == a.k
    assert len({s.marker for s in a.segments}) == a.k


def test_big_results_are_sampled_keeping_each_segments_share() -> None:
    result = run(generate_customers(120_000, seed=4))
    fig = build_figure(result)
    ax = fig.axes[0]
    shown = [len(ax.collections[s.id].get_offsets()) for s in result.segments]
    assert sum(shown) <= MAX_PLOTTED_POINTS * 1.05
    for seg, count in zip(result.segments, shown, strict=True):
        assert abs(count / sum(shown) - seg.share) < 0.01
    assert "shown" in fig.get_suptitle()
    assert render_scatter(result).startswith(b"\x89PNG")
