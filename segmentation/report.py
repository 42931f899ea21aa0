"""A segmentation as readable text (terminal) or Markdown (report.md)."""

from __future__ import annotations

from segmentation.result import SegmentationResult
from segmentation.stability import stability_words

__all__ = ["format_report"]


def format_report(result: SegmentationResult, *, markdown: bool = False, image: str = "") -> str:
    """The whole report; Markdown adds headings and, when ``image`` is given, the picture."""
    h1, h2, bullet = ("# ", "## ", "- ") if markdown else ("", "", "  - ")
    lines = [f"{h1}Segments of {result.source_name}", "", result.headline, ""]
    lines.append(result.k_selection.note)
    lines.append(f"Separation (silhouette, -1 to 1, higher is clearer): {result.silhouette:.2f}.")
    if image:
        lines += ["", f"![Customers coloured by segment]({image})", "", result.plot_note]
    for seg in result.segments:
        lines += ["", f"{h2}{seg.id}. {seg.name}: {seg.size:,} customers ({seg.share:.0%})"]
        centre = ", ".join(
            f"{col} {_num(val)} ({seg.levels.get(col, '')})".replace(" ()", "")
            for col, val in seg.centroid.items()
        )
        lines.append(("" if markdown else "   ") + f"Centre: {centre}.")
        lines.append(("" if markdown else "   ") + seg.description)
        if seg.stability is not None:
            lines.append(
                ("" if markdown else "   ") + f"Stability: {stability_words(seg.stability)}."
            )
    if result.warnings:
        lines += ["", f"{h2}Please note" if markdown else "Please note:"]
        lines += [f"{bullet}{w}" for w in result.warnings]
    if result.excluded_columns:
        title = f"{h2}Columns not used for segments" if markdown else "Not used for segments:"
        lines += ["", title]
        lines += [f"{bullet}{col}: {why}" for col, why in result.excluded_columns.items()]
    return "\n".join(lines) + "\n"


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"
