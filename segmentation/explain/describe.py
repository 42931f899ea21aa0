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

from segmentation.explain.naming import AVERAGE_NAME, apart_phrase, distinctive_columns, name_parts
from segmentation.explain.number_words import format_number
from segmentation.explain.voice import centre_words, column_words
from segmentation.explain.wording import concept_of, header_words, is_year_column
from segmentation.model.features import tokens
from segmentation.result import Level

__all__ = [
    "PALETTE",
    "segment_color",
    "level_of",
    "column_noun",
    "name_segments",
    "describe_segment",
    "describe_wide_segment",
    "segment_action",
    "value_level",
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
    (frozenset({"frequency"}), "purchase frequency"),
    (frozenset({"recency"}), "recency"),
    (frozenset({"visits", "visit", "sessions"}), "visits"),
    (frozenset({"age"}), "age"),
    (frozenset({"tenure"}), "tenure"),
    (frozenset({"revenue", "sales"}), "revenue"),
    (frozenset({"balance"}), "balance"),
)
# Words around a concept that do not change it: "Annual Income", "Spending Score".
_AROUND = frozenset({"annual", "yearly", "monthly", "score", "total", "customer", "k", "the"})
_SPEND_TOKENS = frozenset({"amount", "value", "basket", "aov", "mnt"})
_COUNT_TOKENS = frozenset({"frequency", "orders", "purchases", "transactions", "trx"})


def column_noun(column: str) -> str:
    """A short noun for a column header: 'Annual Income (k$)' -> 'income', 'MntWines' ->
    'wine spend'. A header that is one classic concept takes its short name; any other
    reads as its words."""
    base = re.sub(r"\([^)]*\)\s*$", "", str(column))
    toks = set(tokens(base)) - _AROUND
    for keys, noun in _NOUNS:
        if toks and toks <= keys:
            return noun
    return header_words(column) or str(column)


def _role(column: str) -> str | None:
    noun = column_noun(column)
    toks = set(tokens(column))
    if noun == "income":
        return "income"
    if noun in {"spend", "revenue"} or _SPEND_TOKENS & toks or "spend" in noun.split():
        return "spend"
    if noun == "visits" or {"visits", "visit", "sessions"} & toks:
        return "visits"
    if noun == "purchase frequency" or _COUNT_TOKENS & toks:
        return "frequency"
    return None


def name_segments(
    levels: Sequence[dict[str, Level]],
    distinctiveness: Sequence[dict[str, float]],
) -> list[str]:
    """A short plain-language name per segment, unique within the result.

    ``levels[i]`` maps each clustered column to its level for segment i; ``distinctiveness[i]``
    maps it to how far the segment's centre is from the base (in standard deviations). Two
    columns name every segment by both ("High income, low spend"); more name it by the ones
    that set it apart most (see :mod:`segmentation.explain.naming`).
    """
    if levels and len(levels[0]) > 2:
        parts = name_parts(levels, distinctiveness, column_noun)
        names = [_capitalise(", ".join(p)) if p else AVERAGE_NAME for p in parts]
    else:
        names = [_capitalise(", ".join(f"{lv[c]} {column_noun(c)}" for c in lv)) for lv in levels]
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
    """The column that measures what customers spend, when one of ``columns`` does (a total
    before its parts: "TotalSpend" before "MntWines")."""
    spend = [c for c in columns if _role(c) == "spend"]
    return next((c for c in spend if "total" in tokens(c)), spend[0] if spend else None)


_SCORE = {"low": 0, "medium": 1, "high": 2}


def value_level(levels: Mapping[str, Level]) -> Level | None:
    """How much a segment is worth, from its spend: the level of the spend column (of the
    total, or the middle of the parts' levels when the file splits spend by product); from
    the count of all orders when one such column is all there is; None when nothing measures
    it.
    Value words ("most valuable", "bring in little") follow this and nothing else."""
    spend = [c for c in levels if _role(c) == "spend"]
    if len(spend) > 1:
        total = spend_column(spend)
        if total is not None and "total" in tokens(total):
            return levels[total]
        mean = float(np.mean([_SCORE[levels[c]] for c in spend]))
        return "high" if mean > 4 / 3 else ("low" if mean < 2 / 3 else "medium")
    if spend:
        return levels[spend[0]]
    # A count of all orders (not of one channel's: "catalog purchases" is a habit, not worth).
    counts = [c for c in levels if _role(c) == "frequency" and len(concept_of(c)) == 1]
    return levels[counts[0]] if len(counts) == 1 else None


def _character_action(levels: dict[str, Level]) -> tuple[str, str]:
    roles = {_role(c): c for c in levels}
    income, spend = roles.get("income"), roles.get("spend")
    if income is not None and spend is not None:
        return _PAIR_TEXT[(levels[income], levels[spend])]
    value = value_level(levels)
    if value is not None:
        return _SPEND_TEXT[value]
    return _generic_text(levels)


def segment_action(levels: dict[str, Level], distinct: Mapping[str, float] | None = None) -> str:
    """The suggested action for a segment with these levels (the second sentence);
    ``distinct`` (its centre in standard deviations) as for :func:`describe_wide_segment`."""
    if len(levels) > 2:
        return _wide_lead_action(levels, distinct)[1]
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


_VALUE_LEAD: dict[Level, str] = {
    "high": "Among your most valuable customers",
    "medium": "A steady middle group",
    "low": "They bring in little today",
}


def _wide_lead_action(
    levels: Mapping[str, Level], distinct: Mapping[str, float] | None = None
) -> tuple[str, str]:
    value = value_level(levels)
    if value is not None:
        return _VALUE_LEAD[value], _SPEND_TEXT[value][1]
    apart = distinctive_columns(levels, distinct, len(levels)) if distinct is not None else []
    if not apart:
        return "What sets them apart", _generic_text(dict(levels))[1]
    # Without a spend column nothing says what they are worth: the action builds on what
    # sets them apart (what they do most, else what they do least), so each gets its own.
    highs = [c for c in apart if levels[c] == "high"]
    if highs:
        action = f"Lead with {column_words(highs[0])}, where they stand out, and test offers here."
    else:
        words = column_words(apart[0])
        verb = "are" if re.search(r"[^s]s$", words) else "is"  # "web purchases are low"
        action = f"Find out why {words} {verb} low for them before spending on them."
    return "What sets them apart", action


def describe_wide_segment(
    levels: dict[str, Level],
    centroid: dict[str, float],
    distinct: dict[str, float],
    kinds: Mapping[str, str],
    currencies: Mapping[str, str] | None = None,
) -> str:
    """One breath for a segment of more than two columns: what sets it apart (at most three
    columns with their numbers, against the average) and what to do.

    ``distinct`` is the centre in standard deviations from the average; ``kinds`` says how
    each column's numbers read ("year", "share", "money", "number").
    """
    lead, action = _wide_lead_action(levels, distinct)
    apart = apart_phrase(levels, centroid, distinct, kinds, currencies or {}, column_words)
    return f"{lead}: {apart}. {action}"


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
            median = info["median"]
            year = is_year_column(col, median, median)
            parts.append(f"median {noun} {round(median) if year else format_number(median)}")
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
