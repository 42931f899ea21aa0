"""RFM segments from an order log: cluster customers on recency, frequency and spend, and name
the segments the way marketers already do (Champions, At risk, Lost, ...).

When most customers bought only once, "one-time against repeat buyers" is the obvious split and
says nothing new; the one-time buyers then form their own segment(s) and the clustering is spent
on the repeat buyers, where the useful differences are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from segmentation.clustering import (
    K_RANGE,
    MIN_ROWS,
    SILHOUETTE_ROWS,
    WEAK_SILHOUETTE,
    Fit,
    fit_segments,
    refit_labels,
    silhouette_from_distances,
)
from segmentation.describe import level_of, profile_segment, segment_color
from segmentation.errors import InvalidOption, UnknownColumn
from segmentation.orders import CustomerTable, OrderColumns, build_customer_table, format_money
from segmentation.result import KSelection, Level, Options, Segment, SegmentationResult
from segmentation.stability import segment_stability, stability_warning

__all__ = ["segment_orders", "RFM_FEATURES", "ONE_TIME_MAJORITY"]

RFM_FEATURES = ("recency_days", "frequency", "monetary")
# From this share of one-time buyers on, they get their own segment(s) (CDNOW: 51%).
ONE_TIME_MAJORITY = 0.5
# Repeat buyers needed before it is worth clustering them on their own.
_MIN_REPEAT_BUYERS = 3 * MIN_ROWS
# One-time buyers are split into recent and lapsed only when each part is at least this share
# of all customers; a sliver is not worth a campaign of its own.
_MIN_SPLIT_SHARE = 0.05
# A measure with a skewness above this is log-scaled before clustering, so that a few very large
# customers do not decide the segments.
_SKEWED = 1.0
_MAX_SEGMENTS = K_RANGE.stop - 1
# When k is not given, RFM segments are chosen among 3 to 8: two segments only split good from
# bad customers, which every marketer knows already (and the silhouette favours two on skewed
# data), while more than eight are more campaigns than a team runs. Below this many customers
# to cluster the plain 2..10 search is kept, since small files rarely hold three real groups.
_FEWEST_USEFUL = 3
_MOST_USEFUL = 8
_MIN_CHOICE_ROWS = 200

_NOUNS = {"recency_days": "recency", "frequency": "orders", "monetary": "spend"}
_ALIASES = {
    "recency": "recency_days",
    "recency_days": "recency_days",
    "frequency": "frequency",
    "orders": "frequency",
    "monetary": "monetary",
    "spend": "monetary",
}

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
    "About to sleep": (
        "Occasional, low-spending customers who are going quiet.",
        "Revive their interest with popular products and a modest offer; don't spend much on "
        "reaching them.",
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

_BETTER = {"recency_days": "more recent", "frequency": "more orders", "monetary": "higher spend"}
_WORSE = {"recency_days": "less recent", "frequency": "fewer orders", "monetary": "lower spend"}


@dataclass(frozen=True)
class _Grouping:
    labels: np.ndarray  # (n,) final segment per customer, 0 = largest
    k_selection: KSelection
    one_time_groups: dict[int, str]  # final segment id -> fixed name, for one-time buyers
    repeat_k: int | None  # segments among repeat buyers when one-time buyers were set apart


def segment_orders(
    df: pd.DataFrame, cols: OrderColumns, options: Options, source_name: str
) -> SegmentationResult:
    """Segment the customers of an order log by recency, frequency and spend (RFM).

    Parameters
    ----------
    df : DataFrame of shape (n_rows, n_columns)
        The order log, one row per order or order line.
    cols : OrderColumns
        Its columns, from :func:`segmentation.orders.detect_order_log` or
        :func:`segmentation.orders.find_order_columns`.
    options : Options
        ``k`` (total number of segments) and ``seed``; ``columns`` may restrict the measures to
        some of recency, frequency and monetary.
    source_name : str
        The file's name, as the user knows it.

    Returns
    -------
    SegmentationResult
        ``mode="rfm"``, one row per customer in ``table`` with ``segment`` and
        ``segment_name``; ``rows`` counts orders and ``rows_used`` customers.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> df = pd.DataFrame({"customer": rng.integers(0, 100, n),
    ...                    "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(
    ...                        rng.integers(0, 300, n), unit="D"),
    ...                    "amount": rng.gamma(2, 20, n)})
    >>> cols = OrderColumns("customer", "date", "amount", None, None, None)
    >>> segment_orders(df, cols, Options(k=3), "orders.csv").k
    3
    """
    table = build_customer_table(df, cols)
    customers = table.customers
    features = _features(table, options)
    raw = customers[list(features)].to_numpy(dtype=np.float64)
    X, scaled = _transform(raw, features)

    frequency = customers["frequency"].to_numpy()
    recency = customers["recency_days"].to_numpy()
    one_time = frequency == 1
    one_share = float(one_time.mean())
    warnings = list(table.warnings)

    # K-means on a few thousand rows gains little from threads, and its OpenMP threads stall
    # badly when other jobs share the cores (CDNOW: 37 s instead of 4 s on a busy machine).
    with threadpool_limits(limits=1):
        grouping = _group(X, one_time, recency, options)
    labels = grouping.labels
    k = int(labels.max()) + 1
    silhouette = _overall_silhouette(X, labels, options.seed)

    segments = _describe(customers, features, labels, grouping, table)
    names = [s.name for s in segments]

    export = customers.copy()
    export["segment"] = labels
    export["segment_name"] = pd.array(np.asarray(names, dtype=object)[labels], dtype="str")

    y_col = "monetary" if "monetary" in customers.columns else "frequency"
    # The picture's axes speak the reader's words, not the table's column names.
    x_label = "Days since last order"
    y_label = (
        f"Total spend ({table.currency})"
        if y_col == "monetary" and table.currency
        else "Total spend"
        if y_col == "monetary"
        else "Orders"
    )
    points = pd.DataFrame(
        {
            x_label: customers["recency_days"].to_numpy(),
            y_label: customers[y_col].to_numpy(),
            "segment": labels,
        }
    )
    y_log = _skewness(customers[y_col].to_numpy(dtype=np.float64)) > _SKEWED
    y_words = "total spend" if y_col == "monetary" else "number of orders"
    plot_note = (
        f"Days since each customer's last order (left is recent) against their {y_words}"
        f"{' on a log scale' if y_log else ''}; one dot per customer, coloured by segment."
    )

    warnings += _one_time_warnings(one_share, int(one_time.sum()), grouping, segments, labels)
    if grouping.repeat_k is None:
        warnings += _trivial_split_warnings(segments, labels, one_time)
    if silhouette < WEAK_SILHOUETTE:
        warnings.append(
            f"These customers do not fall into clear groups (silhouette {silhouette:.2f}): the "
            "segments are cuts of a continuum, useful for targeting but not natural types."
        )

    # Stability (clusterboot) on the clustered features. The refit replays the grouping in
    # small: one-time buyers set apart stay in the groups the rule put them in (a rule, not a
    # fit, so they are as stable as the rule), and everyone else is refitted by K-means with the
    # same number of segments. Finer rules of the grouping are not replayed.
    fixed = np.full(len(labels), -1, dtype=np.int64)
    for seg_id in grouping.one_time_groups:
        fixed[labels == seg_id] = seg_id
    fitted_k = k - len(grouping.one_time_groups)

    def refit(M: np.ndarray) -> np.ndarray:
        out = M[:, -1].astype(np.int64)
        free = out < 0
        if free.sum() > fitted_k > 1:
            out[free] = k + refit_labels(M[free, :-1], k=fitted_k, seed=options.seed)
        elif free.any():
            out[free] = k
        return out

    stability = segment_stability(np.column_stack([X, fixed]), labels, refit, seed=options.seed)
    segments = [replace(s, stability=v) for s, v in zip(segments, stability, strict=True)]
    untrusted = stability_warning([(s.name, s.stability) for s in segments])
    if untrusted:
        warnings.append(untrusted)

    return SegmentationResult(
        source_name=source_name,
        mode="rfm",
        rows=table.orders,
        rows_used=table.customers_count,
        rows_dropped=table.rows_dropped,
        features=features,
        k=k,
        k_selection=grouping.k_selection,
        silhouette=silhouette,
        segments=tuple(segments),
        warnings=tuple(warnings),
        headline=_headline(table, k, features, one_share, grouping),
        table=export,
        points=points,
        plot_axes=(x_label, y_label),
        plot_note=plot_note,
        plot_log_axes=(False, bool(y_log)),
        details={
            "orders": table.orders,
            "orders_used": table.orders_used,
            "customers": table.customers_count,
            "first_date": table.first_date.strftime("%Y-%m-%d"),
            "last_date": table.last_date.strftime("%Y-%m-%d"),
            "refunds": table.refunds,
            "refunds_total": table.refunds_total,
            "cancelled": table.cancelled,
            "currency": table.currency,
            "one_time_share": round(one_share, 4),
            "log_scaled": list(scaled),
            "columns": {
                "customer": cols.customer,
                "date": cols.date,
                "amount": cols.amount,
                "quantity": cols.quantity,
                "order_id": cols.order_id,
                "status": cols.status,
            },
        },
    )


def _features(table: CustomerTable, options: Options) -> tuple[str, ...]:
    available = RFM_FEATURES if table.has_amount else RFM_FEATURES[:2]
    if options.columns is None:
        return available
    chosen: list[str] = []
    for name in options.columns:
        feature = _ALIASES.get(name.strip().lower())
        if feature is None or feature not in available:
            raise UnknownColumn(
                f"In an order log I segment on {', '.join(available)}; '{name.strip()}' is not "
                "one of them. Name some of these, or leave the column list out."
            )
        if feature not in chosen:
            chosen.append(feature)
    return tuple(f for f in available if f in chosen)


def _skewness(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    std = values.std()
    if len(values) < 3 or std == 0:
        return 0.0
    return float(np.mean(((values - values.mean()) / std) ** 3))


def _transform(raw: np.ndarray, features: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Log-scale the skewed measures (spend below zero counts as zero for clustering)."""
    X = np.clip(raw, 0.0, None)
    scaled = []
    for j, name in enumerate(features):
        if _skewness(X[:, j]) > _SKEWED:
            X[:, j] = np.log1p(X[:, j])
            scaled.append(name)
    return X, tuple(scaled)


@dataclass(frozen=True)
class _Choice:
    """A fit of one group of customers, with how its number of segments was chosen."""

    fit: Fit
    method: Literal["silhouette", "given"]
    scores: dict[int, float]  # the candidates only, keyed by segments within the group
    inertias: dict[int, float]
    elbow: int | None
    sample_size: int
    floor: int  # the fewest segments that were a candidate
    coarser: tuple[int, float] | None  # a smaller k that scored better but was below the floor


def _fit_choosing_k(X: np.ndarray, k: int | None, seed: int, most: int) -> _Choice:
    """Fit ``X`` into ``k`` segments, or choose k by silhouette among the useful candidates.

    ``fit_segments`` scores every k in 2..10 and chooses among 3..8 (at most ``most``) when
    there are enough customers; the scores below the floor are kept to say what was passed over.
    """
    if k is not None:
        fit = fit_segments(X, k=k, seed=seed)
        sel = fit.k_selection
        return _Choice(fit, "given", sel.scores, sel.inertias, None, sel.sample_size, k, None)
    floor = _FEWEST_USEFUL if len(X) >= _MIN_CHOICE_ROWS else K_RANGE.start
    top = min(most, _MOST_USEFUL) if len(X) >= _MIN_CHOICE_ROWS else most
    fit = fit_segments(X, seed=seed, choose_from=range(floor, top + 1))
    sel = fit.k_selection
    candidates = {kk: v for kk, v in sel.scores.items() if floor <= kk <= top}
    if not candidates:
        # Too few distinct customers for three segments: take what the data allows.
        floor = K_RANGE.start
        candidates = {kk: v for kk, v in sel.scores.items() if kk <= most}
        if fit.k not in candidates:
            fit = fit_segments(X, k=max(candidates, key=lambda kk: candidates[kk]), seed=seed)
    chosen = fit.k
    below = {kk: v for kk, v in sel.scores.items() if kk < floor}
    coarser = None
    if below:
        best_below = max(below, key=lambda kk: below[kk])
        if below[best_below] > candidates[chosen]:
            coarser = (best_below, below[best_below])
    return _Choice(
        fit, "silhouette", candidates, sel.inertias, sel.elbow, sel.sample_size, floor, coarser
    )


def _choice_note(choice: _Choice, who: str, offset: int) -> str:
    """How k was chosen, in totals (``offset`` segments are set apart before clustering)."""
    fit = choice.fit
    if choice.method == "given":
        return ""
    lo, hi = min(choice.scores), max(choice.scores)
    tried = f"{lo} to {hi}" if lo < hi else f"{lo}"
    text = f"I tried {tried} segments for {who}"
    if offset:
        text += f" ({lo + offset} to {hi + offset} in all)" if lo < hi else ""
    text += f" and {fit.k} separated them best (silhouette {choice.scores[fit.k]:.2f})"
    if offset:
        text += f", {fit.k + offset} segments in all"
    text += "."
    if choice.floor >= _FEWEST_USEFUL:
        text += (
            f" RFM segments need at least {_FEWEST_USEFUL} groups to be actionable: two only "
            "split good from poor customers"
        )
        if choice.coarser is not None:
            kk, score = choice.coarser
            text += f", although {kk} would score higher (silhouette {score:.2f})"
        text += "."
    if choice.elbow is None:
        text += " The inertia curve has no clear elbow to compare with."
    elif choice.elbow == fit.k:
        text += f" The elbow of the inertia curve agrees: {choice.elbow}."
    else:
        text += f" The elbow of the inertia curve is at {choice.elbow}."
    return text


def _group(
    X: np.ndarray,
    one_time: np.ndarray,
    recency: np.ndarray,
    options: Options,
) -> _Grouping:
    n = len(X)
    repeat = ~one_time
    k = options.k
    if k is not None and not (K_RANGE.start <= k <= _MAX_SEGMENTS):
        raise InvalidOption(
            f"k={k} is out of range: ask for between {K_RANGE.start} and {_MAX_SEGMENTS} "
            "segments, or leave k out and I will choose."
        )
    set_apart = (
        float(one_time.mean()) >= ONE_TIME_MAJORITY
        and int(repeat.sum()) >= _MIN_REPEAT_BUYERS
        and (k is None or k >= 3)
    )
    if not set_apart:
        choice = _fit_choosing_k(X, k, options.seed, _MAX_SEGMENTS)
        where = (
            f"a sample of {choice.sample_size:,} customers"
            if choice.sample_size < n
            else f"the {n:,} customers"
        )
        note = _choice_note(choice, where, 0) or f"You asked for {choice.fit.k} segments."
        selection = KSelection(
            method=choice.method,
            chosen=choice.fit.k,
            scores=choice.scores,
            inertias=choice.inertias,
            elbow=choice.elbow,
            sample_size=choice.sample_size,
            note=note,
            baseline_silhouette=choice.fit.k_selection.baseline_silhouette,
        )
        return _Grouping(choice.fit.labels, selection, {}, None)

    # One-time buyers: recent ones are new customers to nurture, the others lapsed; split them
    # only when both parts are big enough to act on.
    recent_cut = float(np.quantile(recency, 1 / 3))
    recent_once = one_time & (recency < recent_cut)
    lapsed_once = one_time & ~recent_once
    split = min(recent_once.sum(), lapsed_once.sum()) >= _MIN_SPLIT_SHARE * n
    groups = 2 if split else 1
    if k is not None and k - groups < 2:
        groups = 1
    repeat_k = None if k is None else k - groups

    # The total stays within the palette and the range people are offered.
    choice = _fit_choosing_k(X[repeat], repeat_k, options.seed, _MAX_SEGMENTS - groups)
    fit = choice.fit

    provisional = np.empty(n, dtype=np.int64)
    provisional[repeat] = fit.labels + groups
    fixed_names: dict[int, str] = {}
    if groups == 2:
        provisional[recent_once] = 0
        provisional[lapsed_once] = 1
        fixed_names = {0: "New customers", 1: "One-time buyers"}
    else:
        provisional[one_time] = 0
        fixed_names = {0: "One-time buyers"}

    # Number segments by size, largest first, as everywhere else.
    sizes = np.bincount(provisional)
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    remap = np.empty(len(sizes), dtype=np.int64)
    remap[order] = np.arange(len(sizes))
    labels = remap[provisional]
    one_time_groups = {int(remap[i]): name for i, name in fixed_names.items()}

    total = fit.k + groups
    repeat_count = int(repeat.sum())
    apart = "one segment" if groups == 1 else "two segments (recent and lapsed)"
    note = f"{one_time.mean():.0%} of customers bought only once; they form {apart} of their own. "
    if choice.method == "given":
        note += f"You asked for {total} segments, so the repeat buyers were split into {fit.k}."
    else:
        where = (
            f"a sample of {choice.sample_size:,} of the {repeat_count:,} repeat buyers"
            if choice.sample_size < repeat_count
            else f"the {repeat_count:,} repeat buyers"
        )
        note += _choice_note(choice, where, groups)
    selection = KSelection(
        method=choice.method,
        chosen=total,
        # Keyed by the total number of segments, one-time groups included, and never more
        # than are offered.
        scores={kk + groups: v for kk, v in choice.scores.items() if kk + groups <= _MAX_SEGMENTS},
        inertias={
            kk + groups: v for kk, v in choice.inertias.items() if kk + groups <= _MAX_SEGMENTS
        },
        elbow=(
            choice.elbow + groups
            if choice.elbow is not None and choice.elbow + groups <= _MAX_SEGMENTS
            else None
        ),
        sample_size=choice.sample_size,
        note=note,
        baseline_silhouette=fit.k_selection.baseline_silhouette,
    )
    return _Grouping(labels, selection, one_time_groups, fit.k)


def _overall_silhouette(X: np.ndarray, labels: np.ndarray, seed: int) -> float:
    """Silhouette of the final segments (one-time groups included), on a fixed-seed sample."""
    std = X.std(axis=0)
    std[std == 0] = 1.0
    Z = (X - X.mean(axis=0)) / std
    if len(Z) > SILHOUETTE_ROWS:
        idx = np.sort(np.random.default_rng(seed).choice(len(Z), SILHOUETTE_ROWS, replace=False))
        Z, labels = Z[idx], labels[idx]
    if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(Z):
        return 0.0
    return silhouette_from_distances(pairwise_distances(Z.astype(np.float32)), labels)


def _describe(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    labels: np.ndarray,
    grouping: _Grouping,
    table: CustomerTable,
) -> list[Segment]:
    k = int(labels.max()) + 1
    n = len(customers)
    sizes = np.bincount(labels, minlength=k)
    medians = customers.groupby(labels)[list(RFM_FEATURES[: 3 if table.has_amount else 2])]
    medians = medians.median()
    measured = [*medians.columns, "tenure_days"]
    # When one-time buyers are set apart, the repeat buyers' segments are measured among the
    # repeat buyers: against everyone, any second order reads as "high" frequency and the
    # one-time buyers' old orders make a long silence look "medium".
    one_time_ids = list(grouping.one_time_groups)
    repeat_rows = ~np.isin(labels, one_time_ids)
    everyone = {c: np.sort(customers[c].to_numpy(dtype=np.float64)) for c in measured}
    among_repeat = (
        {c: np.sort(customers.loc[repeat_rows, c].to_numpy(dtype=np.float64)) for c in measured}
        if one_time_ids
        else everyone
    )
    tenure_medians = customers.groupby(labels)["tenure_days"].median()
    levels: list[dict[str, Level]] = []
    primary: list[str] = []
    positions: list[tuple[float, float]] = []
    tenure_low: list[bool] = []
    for i in range(k):
        ranked = everyone if i in grouping.one_time_groups else among_repeat
        lv = {c: level_of(float(medians.at[i, c]), ranked[c]) for c in medians.columns}
        levels.append({c: lv[c] for c in features})
        tenure_level = level_of(float(tenure_medians.at[i]), ranked["tenure_days"])
        tenure_low.append(tenure_level == "low")
        primary.append(grouping.one_time_groups.get(i) or _rfm_name(lv, tenure_level))
        pos = {c: _position(float(medians.at[i, c]), ranked[c]) for c in medians.columns}
        value = float(np.mean([pos[c] for c in ("frequency", "monetary") if c in pos]))
        positions.append((1.0 - pos["recency_days"], value))
    names = _assign_names(primary, positions, tenure_low, grouping.one_time_groups)
    names = _unique_names(names, medians, customers)
    profiled = [c for c in ("avg_order_value", "tenure_days", "items") if c in customers.columns]

    segments = []
    for i in range(k):
        base = next(b for b in _TEXT if names[i] == b or names[i].startswith(b + " ("))
        character, action = _TEXT[base]
        numbers = _numbers_sentence(medians.loc[i], table.currency)
        color, marker = segment_color(i)
        segments.append(
            Segment(
                id=i,
                name=names[i],
                size=int(sizes[i]),
                share=float(sizes[i] / n),
                levels=levels[i],
                centroid={c: float(medians.at[i, c]) for c in features},
                profile=profile_segment(customers.loc[labels == i], profiled),
                description=f"{character} {numbers} {action}",
                color=color,
                marker=marker,
            )
        )
    return segments


def _rfm_name(levels: dict[str, Level], tenure_level: Level) -> str:
    """The marketers' name for a segment from its recency, frequency and spend levels."""
    # Recency counts days, so few days (a "low" level) is good.
    r = {"low": 3, "medium": 2, "high": 1}[levels["recency_days"]]
    score = {"low": 1, "medium": 2, "high": 3}
    value = float(np.mean([score[levels[c]] for c in ("frequency", "monetary") if c in levels]))
    if r == 3:
        if value >= 3:
            return "Champions"
        if value >= 2:
            return "Loyal"
        if value >= 1.5 or tenure_level != "low":
            return "Promising"
        return "New customers"
    if r == 2:
        if value >= 2.5:
            return "Loyal"
        return "Needs attention" if value >= 1.5 else "About to sleep"
    if value >= 2.5:
        return "Can't lose them"
    if value >= 2:
        return "At risk"
    return "Hibernating" if value >= 1.5 else "Lost"


# Where each name sits, as (recency, value) mid-rank positions from 0 (worst) to 1 (best):
# recency is 1 for the most recent, value averages the positions of orders and spend. These
# follow the usual RFM grid (R against FM scores) that Klaviyo-style segment maps draw.
_PROTOTYPES: dict[str, tuple[float, float]] = {
    "Champions": (0.85, 0.85),
    "Loyal": (0.6, 0.7),
    "Promising": (0.8, 0.4),
    "New customers": (0.9, 0.15),
    "Needs attention": (0.5, 0.5),
    "About to sleep": (0.5, 0.2),
    "At risk": (0.2, 0.6),
    "Can't lose them": (0.15, 0.9),
    "Hibernating": (0.2, 0.35),
    "Lost": (0.1, 0.1),
}
# A segment may take another name than its levels give only when that name's place is this
# close to the segment's own (a third of the scale, one level): a near neighbour, never a leap.
_NAME_REACH = 1 / 3
# What taking a neighbour's name costs on top of the squared distance: enough that a segment
# keeps its own name when it is free, small enough that distances decide who moves.
_BORROW_COST = 0.1


def _position(value: float, ranked: np.ndarray) -> float:
    """The value's mid-rank position among ``ranked`` (0..1), as :func:`level_of` measures it."""
    below = np.searchsorted(ranked, value, side="left")
    at_or_below = np.searchsorted(ranked, value, side="right")
    return float((below + at_or_below) / 2 / len(ranked))


def _assign_names(
    primary: list[str],
    positions: list[tuple[float, float]],
    tenure_low: list[bool],
    fixed: dict[int, str],
) -> list[str]:
    """One marketer name per segment, each name used once where the levels allow it.

    An assignment of least cost (Hungarian method): a segment's own name (from its levels)
    costs its squared distance to the name's place; a neighbouring name within reach costs a
    little more (a champion-like group with fewer orders becomes "Loyal", and a Loyal group may
    move on to "Promising" to make room); keeping the own name although another segment holds
    it costs more than any neighbour, so ``_unique_names`` qualifies names only as a last
    resort.
    """
    free = [i for i in range(len(primary)) if i not in fixed]
    names = [n for n in _PROTOTYPES if n not in fixed.values()]
    if not free:
        return [fixed[i] for i in range(len(primary))]
    impossible = 1e6
    # Columns: the free names, then one "keep the own name anyway" column per segment.
    cost = np.full((len(free), len(names) + len(free)), impossible)
    for row, i in enumerate(free):
        r, v = positions[i]
        for col, name in enumerate(names):
            pr, pv = _PROTOTYPES[name]
            distance = float(np.hypot(r - pr, v - pv))
            # Squared distances keep the order: of two segments, the better one gets the
            # better of two names.
            if name == primary[i]:
                cost[row, col] = distance**2
            elif distance <= _NAME_REACH and (name != "New customers" or tenure_low[i]):
                cost[row, col] = _BORROW_COST + distance**2
        cost[row, len(names) + row] = 3.0
    rows, cols = linear_sum_assignment(cost)
    out = [fixed.get(i, primary[i]) for i in range(len(primary))]
    for row, col in zip(rows, cols, strict=True):
        if col < len(names):
            out[free[row]] = names[col]
    return out


def _unique_names(names: list[str], medians: pd.DataFrame, customers: pd.DataFrame) -> list[str]:
    """Add a qualifier where two segments would share a name ("At risk (higher spend)")."""
    out = list(names)
    spread = customers[list(medians.columns)].std().replace(0, 1.0)
    for name in dict.fromkeys(names):
        same = [i for i, n in enumerate(names) if n == name]
        if len(same) < 2:
            continue
        z = medians.loc[same] / spread
        col = str((z.max() - z.min()).idxmax())
        # Rank from worst to best; for recency fewer days is better.
        sign = -1.0 if col == "recency_days" else 1.0
        ranked = sorted(same, key=lambda i: sign * float(medians.at[i, col]))
        for rank, i in enumerate(ranked):
            if rank == len(ranked) - 1:
                word = _BETTER[col]
            elif rank == 0:
                word = _WORSE[col]
            else:
                word = f"mid-range {_NOUNS[col]}"
            out[i] = f"{name} ({word})"
    for i, n in enumerate(out):
        if out.count(n) > 1:
            out[i] = f"{n} #{i + 1}"
    return out


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


def _one_time_warnings(
    one_share: float,
    one_count: int,
    grouping: _Grouping,
    segments: list[Segment],
    labels: np.ndarray,
) -> list[str]:
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
            if repeat_count >= _MIN_REPEAT_BUYERS
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


def _trivial_split_warnings(
    segments: list[Segment], labels: np.ndarray, one_time: np.ndarray
) -> list[str]:
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


def _headline(
    table: CustomerTable,
    k: int,
    features: tuple[str, ...],
    one_share: float,
    grouping: _Grouping,
) -> str:
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
