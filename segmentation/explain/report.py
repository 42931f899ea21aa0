"""A segmentation as readable text (terminal) or Markdown (report.md)."""

from __future__ import annotations

from segmentation.model.stability import stability_words
from segmentation.result import SegmentationResult

__all__ = ["format_report"]


def format_report(result: SegmentationResult, *, markdown: bool = False, image: str = "") -> str:
    """The whole report; Markdown adds headings and, when ``image`` is given, the picture.

    The text (the CLI's screen) speaks in words only: the priority under the headline and the
    "How sure" line at the end. Markdown (report.md) adds the numbers behind them, explained.
    """
    h1, h2, bullet = ("# ", "## ", "- ") if markdown else ("", "", "  - ")
    lines = [f"{h1}Segments of {result.source_name}", "", result.headline]
    if result.priority:
        lines.append(result.priority)
    if image:
        lines += ["", f"![Customers coloured by segment]({image})", "", result.plot_note]
    for seg in result.segments:
        lines += ["", f"{h2}{seg.id}. {seg.name}: {seg.size:,} customers ({seg.share:.0%})"]
        centre = ", ".join(
            f"{col} {_num(val)} ({seg.levels.get(col, '')})".replace(" ()", "")
            for col, val in seg.centroid.items()
        )
        if markdown or len(result.features) <= 2:
            # On screen a wide table's centre is a wall of numbers; the description quotes
            # the ones that matter and report.md keeps them all.
            lines.append(("" if markdown else "   ") + f"Centre: {centre}.")
        lines.append(("" if markdown else "   ") + seg.description)
        if seg.stability is not None:
            lines.append(
                ("" if markdown else "   ") + f"Stability: {stability_words(seg.stability)}."
            )
    if result.warnings:
        lines += ["", f"{h2}Please note" if markdown else "Please note:"]
        lines += [f"{bullet}{w}" for w in result.warnings]
    if result.confidence:
        lines += ["", result.confidence]
    if markdown:
        lines += ["", f"{h2}How the segments were chosen", "", *_statistics(result)]
    if markdown and result.prediction:
        lines += ["", f"{h2}How purchases were predicted", "", *_prediction(result.prediction)]
    if result.excluded_columns:
        title = f"{h2}Columns not used for segments" if markdown else "Not used for segments:"
        lines += ["", title]
        reason = result.details.get("features_reason")
        if reason:
            lines.append(("" if markdown else "  ") + str(reason))
        lines += [f"{bullet}{col}: {why}" for col, why in result.excluded_columns.items()]
    return "\n".join(lines) + "\n"


def _statistics(result: SegmentationResult) -> list[str]:
    """The numbers behind "How sure", explained (report.md only; the message keeps words)."""
    sel = result.k_selection
    lines = [
        sel.note,
        "",
        f"- Silhouette: {result.silhouette:.2f}. For each customer, how much closer they are to "
        "their own segment than to the next one, averaged (from -1 to 1; over 0.5 reads as "
        "clear groups, under 0.25 as no real groups).",
    ]
    if sel.baseline_silhouette is not None:
        lines.append(
            f"- The same number of segments on customers spread at random would score "
            f"{sel.baseline_silhouette:.2f}; a result close to that is a cut of a continuum."
        )
    if sel.method != "given" and sel.scores:
        scores = ", ".join(f"{k}: {v:.2f}" for k, v in sorted(sel.scores.items()))
        lines.append(f"- Silhouette for each number of segments tried: {scores}.")
    if sel.elbow is not None:
        lines.append(
            f"- Inertia (how far customers sit from their segment's centre, summed) drops "
            f"steeply up to {sel.elbow} segments and slowly after: the elbow of that curve, "
            "a second opinion on the number of segments."
        )
    return lines


def _prediction(block: dict) -> list[str]:
    """The purchase model in plain words, with its numbers (report.md only)."""
    params, spend, minimums = block["params"], block["spend_params"], block["minimums"]
    lines = [
        f"Each customer's purchases over the next {block['horizon_days']:,} days were predicted "
        f"from their orders up to {block['as_of']}, with the BG/NBD model (Fader, Hardie & Lee, "
        "2005). It assumes that while customers are active they buy at a steady rate of their "
        "own, and that after each repeat purchase they may stop for good. From how many times "
        "and how recently each customer bought, it works out the chance they are still active "
        "(`p_active`) and the orders to expect (`expected_orders`). Orders on the same day count "
        "as one.",
        "",
        f"- Purchase rates (per week) follow a Gamma distribution with r = {params['r']:.3f} and "
        f"alpha = {params['alpha']:.3f}: on average {params['r'] / params['alpha']:.3f} orders "
        "a week while active.",
        f"- The chance to stop after a purchase follows a Beta distribution with a = "
        f"{params['a']:.3f} and b = {params['b']:.3f}: "
        f"{params['a'] / (params['a'] + params['b']):.0%} on average.",
        "- A customer who bought on one day only counts as active (the model lets customers "
        "stop only after a repeat purchase), so for them read the expected orders, not the "
        "chance; the segments' words give the chance only where most customers came back.",
    ]
    if spend is not None:
        mean = spend["p"] * spend["v"] / (spend["q"] - 1)
        lines.append(
            f"- Spend per order comes from the Gamma-Gamma model (Fader & Hardie, 2013) with p "
            f"= {spend['p']:.3f}, q = {spend['q']:.3f}, v = {spend['v']:.3f}: each customer's "
            f"own average, pulled towards the shop's ({mean:,.2f}) the fewer orders they "
            "placed. `expected_spend` is expected orders times that, not discounted."
        )
    needs = ", ".join(
        f"{what} {m['required']:,} (found {m['found']:,})"
        for what, m in (
            ("customers", minimums["customers"]),
            ("days of orders", minimums["history_days"]),
            ("customers who ordered on three or more days", minimums["regulars"]),
        )
    )
    lines.append(f"- Minimums for a prediction: {needs}.")
    return lines


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"
