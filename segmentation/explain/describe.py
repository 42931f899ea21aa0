"""Levels, names, descriptions and profiles of segments, in words a marketer uses.

Every sentence is built from the columns and levels at hand, so it works for any file; the
classic income/spend combinations get the marketing reading the Mall Customers analysis made
famous.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from segmentation.explain.voice import centre_words
from segmentation.model.features import tokens
from segmentation.result import Level

__all__ = [
    "PALETTE",
    "segment_color",
    "level_of",
    "column_noun",
    "name_segments",
    "describe_segment",
    "segment_action",
    "spend_column",
    "profile_segment",
    "profile_sentence",
]

# Okabe-Ito, the colour-blind-safe palette, each with the Slack emoji nearest to it so the
# bot's text can refer to the plot's colours. Orange and vermillion blur together in a dense
# plot, so they are the 2nd and 5th colours: four segments or fewer never meet both.
PALETTE: tuple[tuple[str, str], ...] = (
    ("#0072B2", "large_blue_square"),
    ("#E69F00", "large_orange_square"),
    ("#009E73", "large_green_square"),
    ("#CC79A7", "large_purple_square"),
    ("#D55E00", "large_red_square"),
    ("#F0E442", "large_yellow_square"),
    ("#8B5A2B", "large_brown_square"),
    ("#000000", "black_large_square"),
    ("#56B4E9", "large_blue_diamond"),
    ("#999999", "white_large_square"),
)


def segment_color(segment_id: int) -> tuple[str, str]:
    """(hex colour, Slack emoji name) for a segment id; stable across runs."""
    return PALETTE[segment_id % len(PALETTE)]


def level_of(value: float, ranked: np.ndarray) -> Level:
    """Low, medium or high by the value's mid-rank among the whole base (thirds).

    ``ranked`` is the column's finite values, sorted. Mid-ranks rather than plain tertiles:
    behaviour columns are full of ties (often half the customers have exactly one order), and
    "one order" must read as low, not as the medium tertile it ties with.
    """
    below = np.searchsorted(ranked, value, side="left")
    at_or_below = np.searchsorted(ranked, value, side="right")
    position = (below + at_or_below) / 2 / len(ranked)
    if position < 1 / 3:
        return "low"
    return "high" if position > 2 / 3 else "medium"


_NOUNS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"income", "salary", "wage", "wages", "earnings"}), "income"),
    (frozenset({"spending", "spend", "spent", "expenditure", "monetary"}), "spend"),
    (frozenset({"frequency", "orders", "purchases", "transactions"}), "purchase frequency"),
    (frozenset({"recency"}), "recency"),
    (frozenset({"visits", "visit", "sessions"}), "visits"),
    (frozenset({"age"}), "age"),
    (frozenset({"tenure"}), "tenure"),
    (frozenset({"revenue", "sales"}), "revenue"),
    (frozenset({"balance"}), "balance"),
)


def column_noun(column: str) -> str:
    """A short noun for a column header: 'Annual Income (k$)' -> 'income'."""
    toks = set(tokens(column))
    for keys, noun in _NOUNS:
        if toks & keys:
            return noun
    cleaned = re.sub(r"\([^)]*\)", "", str(column)).replace("_", " ").strip()
    return re.sub(r"\s+", " ", cleaned).lower() or str(column)


def _role(column: str) -> str | None:
    noun = column_noun(column)
    if noun == "income":
        return "income"
    if noun in {"spend", "revenue"} or {"amount", "value", "basket", "aov"} & set(tokens(column)):
        return "spend"
    if noun in {"purchase frequency", "visits"}:
        return "frequency"
    return None


def name_segments(
    levels: Sequence[dict[str, Level]],
    distinctiveness: Sequence[dict[str, float]],
) -> list[str]:
    """A short plain-language name per segment, unique within the result.

    ``levels[i]`` maps each clustered column to its level for segment i; ``distinctiveness[i]``
    maps it to how far the segment's centre is from the base (in standard deviations). With more
    than three columns the name uses the three most distinctive ones.
    """
    names: list[str] = []
    for lv, dist in zip(levels, distinctiveness, strict=True):
        cols = list(lv)
        if len(cols) > 3:
            cols = sorted(cols, key=lambda c: -abs(dist[c]))[:3]
            cols = [c for c in lv if c in cols]
        parts = [f"{lv[c]} {column_noun(c)}" for c in cols]
        names.append(_capitalise(", ".join(parts)))
    return _make_unique(names, levels, distinctiveness)


def _make_unique(
    names: list[str],
    levels: Sequence[dict[str, Level]],
    distinctiveness: Sequence[dict[str, float]],
) -> list[str]:
    out = list(names)
    for name in set(names):
        same = [i for i, n in enumerate(names) if n == name]
        if len(same) < 2:
            continue
        # Tell the twins apart by the column on which their centres differ most.
        cols = list(levels[same[0]])
        spread = {c: np.ptp([distinctiveness[i][c] for i in same]) for c in cols}
        col = max(spread, key=lambda c: spread[c])
        ranked = sorted(same, key=lambda i: distinctiveness[i][col])
        noun = column_noun(col)
        for rank, i in enumerate(ranked):
            if len(ranked) == 2:
                word = "lower" if rank == 0 else "higher"
            else:
                word = ("lowest", "lower", "higher", "highest")[min(rank, 3)]
                word = "middle" if 0 < rank < len(ranked) - 1 and len(ranked) == 3 else word
            out[i] = f"{name} ({word} {noun})"
    for i, n in enumerate(out):
        if out.count(n) > 1:
            out[i] = f"{n} #{i + 1}"
    return out


_PAIR_TEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("medium", "medium"): (
        "The balanced, stable core of the customer base: average earnings and average spending.",
        "Keep them engaged with loyalty rewards and regular, broad-appeal offers.",
    ),
    ("high", "high"): (
        "High-value customers who earn well and spend freely.",
        "Treat them as VIPs: premium products, early access and personal service.",
    ),
    ("low", "low"): (
        "Budget-minded customers who watch every purchase.",
        "Reach them with value packs, discounts and clear savings.",
    ),
    ("high", "low"): (
        "Careful spenders with money to spend: they can afford more but hold back, perhaps "
        "saving or buying only specific high-value items.",
        "Win them with quality and service rather than discounts.",
    ),
    ("low", "high"): (
        "They spend beyond what their income suggests, likely on impulse or to put lifestyle "
        "and entertainment first.",
        "Engage them with trends, limited editions and easy payment options, "
        "and keep an eye on responsible selling.",
    ),
    ("medium", "high"): (
        "Keen spenders on an average income.",
        "Keep them coming back with new arrivals, bundles and loyalty points.",
    ),
    ("medium", "low"): (
        "Average earners who spend little with you.",
        "Find out what they buy elsewhere and tempt them with targeted first offers.",
    ),
    ("high", "medium"): (
        "Well-off customers who spend moderately with you.",
        "Upsell premium ranges and services; they have room to spend more.",
    ),
    ("low", "medium"): (
        "Lower earners who still spend steadily.",
        "Reward their loyalty with good-value bundles and member prices.",
    ),
}

_SPEND_TEXT: dict[Level, tuple[str, str]] = {
    "high": (
        "These are among your most valuable customers.",
        "Keep them close with rewards, early access and personal attention.",
    ),
    "medium": (
        "A steady middle group that spends at an ordinary pace.",
        "Nudge them up with bundles, cross-sells and loyalty points.",
    ),
    "low": (
        "They bring in little today.",
        "Test low-cost offers to see who can be grown, and don't overspend on reaching them.",
    ),
}


def spend_column(columns: Sequence[str]) -> str | None:
    """The column that measures what customers spend, when one of ``columns`` does."""
    return next((c for c in columns if _role(c) == "spend"), None)


def _character_action(levels: dict[str, Level]) -> tuple[str, str]:
    roles = {_role(c): c for c in levels}
    income, spend = roles.get("income"), roles.get("spend")
    if income is not None and spend is not None:
        return _PAIR_TEXT[(levels[income], levels[spend])]
    if spend is not None:
        return _SPEND_TEXT[levels[spend]]
    if roles.get("frequency") is not None:
        return _SPEND_TEXT[levels[roles["frequency"]]]
    return _generic_text(levels)


def segment_action(levels: dict[str, Level]) -> str:
    """The suggested action for a segment with these levels (the second sentence)."""
    return _character_action(levels)[1]


def describe_segment(
    levels: dict[str, Level],
    centroid: dict[str, float],
    profile_text: str,
    currencies: Mapping[str, str] | None = None,
) -> str:
    """Two or three sentences: who they are, what to do, and who they are demographically.

    Averages read as words ("an annual income of 88.2 k$"); ``currencies`` maps a column to
    the currency its values were written in, so money carries its symbol.
    """
    character, action = _character_action(levels)
    numbers = centre_words(centroid, currencies)
    character = f"{character.rstrip('.')} (on average {numbers})."
    sentences = [character, action]
    if profile_text:
        sentences.append(profile_text)
    return " ".join(sentences)


def _generic_text(levels: dict[str, Level]) -> tuple[str, str]:
    highs = [column_noun(c) for c, lv in levels.items() if lv == "high"]
    lows = [column_noun(c) for c, lv in levels.items() if lv == "low"]
    if highs and lows:
        text = f"Customers with high {_and(highs)} but low {_and(lows)}."
    elif highs:
        text = f"Customers with high {_and(highs)} compared with the rest."
    elif lows:
        text = f"Customers with low {_and(lows)} compared with the rest."
    else:
        text = "Customers close to the average on every measure."
    action = (
        "Tailor offers to what sets them apart, and test messages on this group first."
        if highs or lows
        else "Use them as the reference group when you test new offers."
    )
    return text, action


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _format_value(value: float) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def profile_segment(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
    """JSON-safe profile of the columns not clustered on, for the rows of one segment.

    Numbers get mean and median; categories get the shares of their top three values.
    """
    profile: dict[str, Any] = {}
    for col in columns:
        series = frame[col].dropna()
        if series.empty:
            continue
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            profile[str(col)] = {
                "mean": round(float(series.mean()), 2),
                "median": round(float(series.median()), 2),
            }
        else:
            shares = series.astype(str).value_counts(normalize=True).head(3)
            profile[str(col)] = {"top": {str(k): round(float(v), 3) for k, v in shares.items()}}
    return profile


def profile_sentence(profile: dict[str, Any]) -> str:
    """One sentence from a profile: 'Median age 32; 54% Female.'"""
    parts: list[str] = []
    for col, info in list(profile.items())[:3]:
        noun = column_noun(col)
        if "median" in info:
            parts.append(f"median {noun} {_format_value(info['median'])}")
        elif info.get("top"):
            value, share = next(iter(info["top"].items()))
            parts.append(
                f"{share:.0%} {value} ({noun})"
                if noun not in {"gender", "genre"}
                else f"{share:.0%} {value.lower()}"
            )
    if not parts:
        return ""
    return _capitalise("; ".join(parts)) + "."
