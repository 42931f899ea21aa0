"""What an RFM run says: each segment's character, numbers and action, the priority and
confidence lines, the warnings about one-time buyers, and the headline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.explain.describe import profile_segment, segment_color
from segmentation.explain.voice import confidence_line, orders_priority
from segmentation.model.clustering import CLEAR_SILHOUETTE, WEAK_SILHOUETTE
from segmentation.model.rfm.grouping import MIN_REPEAT_BUYERS, ONE_TIME_MAJORITY, Grouping
from segmentation.model.rfm.naming import Naming
from segmentation.model.rfm.prediction import SegmentOutlook
from segmentation.read.orders import CustomerTable, format_money
from segmentation.result import Segment

# Character and action for each name; the numbers sentence goes between them.
_TEXT: dict[str, tuple[str, str]] = {
    "Champions": (
        "Your best customers: they bought recently, buy often and spend the most.",
        "Reward them with early access, loyalty perks and referral asks; they need no discounts.",
    ),
    "Loyal": (
        "Regular customers who keep coming back and spend well.",
        "Keep them close with a loyalty programme and personal recommendations, and upsell "
        "higher-value products.",
    ),
    "Promising": (
        "Recent customers who have not bought much yet.",
        "Nurture them towards a habit: useful follow-ups and a reason to come back soon.",
    ),
    "New customers": (
        "They bought for the first time only recently.",
        "Welcome and onboard them, and give them a reason to place a second order soon.",
    ),
    "Needs attention": (
        "Middle-of-the-road customers who have not bought for a while.",
        "Reach out with limited-time offers and recommendations based on what they bought, "
        "before they drift away.",
    ),
    "At risk": (
        "They used to buy often and spend well, but have not ordered for a long time.",
        "Win them back with personal e-mails, reminders and a good reason to return before they "
        "are lost.",
    ),
    "Can't lose them": (
        "Some of your biggest customers, gone quiet for a long time.",
        "Win them back personally: ask what changed and make a strong offer; losing them costs "
        "the most.",
    ),
    "Hibernating": (
        "Customers who bought a little, long ago.",
        "Re-engage them with relevant offers through cheap channels only.",
    ),
    "Lost": (
        "They bought little and not for a very long time.",
        "Try one low-cost win-back campaign and otherwise leave them out of paid campaigns.",
    ),
    "One-time buyers": (
        "They bought once and never came back.",
        "Try a win-back offer aimed at a second order, and ask why they did not return.",
    ),
}


def describe_segments(
    customers: pd.DataFrame,
    labels: np.ndarray,
    naming: Naming,
    table: CustomerTable,
    outlooks: list[SegmentOutlook] | None = None,
) -> list[Segment]:
    """One Segment per label: its name, size, levels, medians and description, and with
    ``outlooks`` what the purchase model expects of it (in numbers and in the description)."""
    k = int(labels.max()) + 1
    n = len(customers)
    sizes = np.bincount(labels, minlength=k)
    names, levels, medians = naming.names, naming.levels, naming.medians
    profiled = [c for c in ("avg_order_value", "tenure_days", "items") if c in customers.columns]

    segments = []
    for i in range(k):
        base = next(b for b in _TEXT if names[i] == b or names[i].startswith(b + " ("))
        character, action = _TEXT[base]
        numbers = _numbers_sentence(medians.loc[i], table.currency)
        outlook = outlooks[i] if outlooks else None
        if outlook is not None:
            numbers += " " + outlook.words
        color, marker = segment_color(i)
        segments.append(
            Segment(
                id=i,
                name=names[i],
                size=int(sizes[i]),
                share=float(sizes[i] / n),
                levels=levels[i],
                centroid={c: float(medians.at[i, c]) for c in levels[i]},
                profile=profile_segment(customers.loc[labels == i], profiled),
                description=f"{character} {numbers} {action}",
                color=color,
                marker=marker,
                p_active=None if outlook is None else outlook.p_active,
                expected_orders=None if outlook is None else outlook.expected_orders,
                expected_spend=None if outlook is None else outlook.expected_spend,
                expected_spend_total=None if outlook is None else outlook.expected_spend_total,
            )
        )
    return segments


def priority_and_confidence(
    table: CustomerTable,
    labels: np.ndarray,
    naming: Naming,
    segments: list[Segment],
    grouping: Grouping,
    silhouette: float,
    before_split: int,
    outlooks: list[SegmentOutlook] | None = None,
) -> tuple[str, str]:
    """The priority line and the closing confidence line (see :mod:`segmentation.explain.voice`);
    the priority says what the purchase model expects of its segment when ``outlooks`` are
    given."""
    k = len(segments)
    customers, currency = table.customers, table.currency
    totals = (
        np.bincount(labels, weights=customers["monetary"].to_numpy(np.float64), minlength=k)
        if "monetary" in customers.columns
        else None
    )
    priority = orders_priority(
        segments,
        naming.bases,
        [_TEXT[b][1] for b in naming.bases],
        None if totals is None else [float(t) for t in totals],
        [float(v) for v in naming.medians["recency_days"]],
        currency,
        [o.words for o in outlooks] if outlooks else None,
    )
    if grouping.k_selection.method == "given":
        how = f"{k} segments because you asked for {k}"
    elif grouping.one_time_groups:
        how = "one-time buyers set apart, and the repeat buyers split where they separated best"
    else:
        how = f"{before_split} was the number that separated them best"
    if k > before_split:
        extra = k - before_split
        how += f", then {extra} more from segments that mixed different kinds of customers"
    confidence = confidence_line(
        weak=silhouette < WEAK_SILHOUETTE,
        clear=silhouette >= CLEAR_SILHOUETTE,
        k=k,
        how=how,
        stabilities=[s.stability for s in segments],
    )
    return priority, confidence


def _numbers_sentence(medians: pd.Series, currency: str | None) -> str:
    days = float(medians["recency_days"])
    orders = float(medians["frequency"])
    order_text = f"{orders:g} order" + ("" if orders == 1 else "s")
    text = (
        f"Typically {days:,.0f} {'day' if round(days) == 1 else 'days'} since the last order, "
        f"{order_text}"
    )
    if "monetary" in medians.index:
        spent = format_money(float(medians["monetary"]), currency)
        text += f" and {spent} spent in all"
    return text + "."


def one_time_warnings(
    one_share: float,
    one_count: int,
    grouping: Grouping,
    segments: list[Segment],
    labels: np.ndarray,
) -> list[str]:
    """What to know when most customers bought only once (empty otherwise)."""
    if one_share < ONE_TIME_MAJORITY:
        return []
    who = f"{one_share:.0%} of customers ({one_count:,}) bought only once"
    if grouping.repeat_k is None:
        if one_share == 1.0:
            return [
                "Every customer bought only once, so the number of orders separates no one; the "
                "segments differ by recency and spend only."
            ]
        repeat_count = len(labels) - one_count
        why = (
            f"with only {len(segments)} segments asked for they are not set apart (ask for 3 or "
            "more to see the repeat buyers split further)"
            if repeat_count >= MIN_REPEAT_BUYERS
            else "and too few bought again to segment the repeat buyers on their own"
        )
        return [
            f"{who}, {why}; expect one-time against repeat buyers to be much of what the "
            "segments show, which is obvious rather than an insight."
        ]
    apart = [s.name for s in segments if s.id in grouping.one_time_groups]
    repeat_count = int(np.isin(labels, list(grouping.one_time_groups), invert=True).sum())
    return [
        f"{who}. Setting them apart from repeat buyers is obvious, not an insight, so they form "
        f"{_quote_list(apart)} and the {repeat_count:,} repeat buyers are split into "
        f"{grouping.repeat_k} segments by recency, frequency and spend, whose levels (low, "
        "medium, high) are measured among the repeat buyers."
    ]


def trivial_split_warnings(
    segments: list[Segment], labels: np.ndarray, one_time: np.ndarray
) -> list[str]:
    """A warning when one segment is simply the one-time buyers."""
    if not one_time.any():
        return []
    for seg in segments:
        members = labels == seg.id
        if one_time[members].all() and one_time[members].sum() >= 0.9 * one_time.sum():
            return [
                f"The segment '{seg.name}' is simply the customers who bought once: that split "
                "is obvious; the other segments carry the real differences."
            ]
    return []


def _quote_list(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return "their own segment " + quoted[0]
    return "their own segments " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def headline(
    table: CustomerTable,
    k: int,
    features: tuple[str, ...],
    one_share: float,
    grouping: Grouping,
) -> str:
    """One line: customers, orders, dates, segments and the measures they are by."""
    words = {"recency_days": "recency", "frequency": "frequency", "monetary": "spend"}
    measures = [words[f] for f in features]
    by = measures[0] if len(measures) == 1 else ", ".join(measures[:-1]) + " and " + measures[-1]
    text = (
        f"{table.customers_count:,} customers from {table.orders_used:,} orders, "
        f"{table.first_date:%Y-%m-%d} to {table.last_date:%Y-%m-%d}: {k} segments by {by}"
    )
    if grouping.repeat_k is not None:
        text += f"; {one_share:.0%} bought only once and form their own segment"
        text += "s" if len(grouping.one_time_groups) > 1 else ""
    elif one_share >= ONE_TIME_MAJORITY:
        text += f"; {one_share:.0%} bought only once"
    return text + "."
