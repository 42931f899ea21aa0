"""RFM segments from an order log: cluster customers on recency, frequency and spend, and name
the segments the way marketers already do (Champions, At risk, Lost, ...).

When most customers bought only once, "one-time against repeat buyers" is the obvious split and
says nothing new; the one-time buyers then form their own segment(s) and the clustering is spent
on the repeat buyers, where the useful differences are.

A segment carries a name only when the name fits most of its customers one by one (the rules
are in :mod:`.names`), and the silhouette's choice of k is not the last word: customers that
their segment's name does not fit, when they are many and another kind, get a segment of their
own, so that a group a marketer would act on (regulars gone quiet) is never hidden in another.

The stages are modules of their own: :mod:`.measures`, :mod:`.grouping`, :mod:`.regroup`,
:mod:`.naming` and :mod:`.words`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from segmentation.model.clustering import (
    SILHOUETTE_ROWS,
    WEAK_SILHOUETTE,
    refit_labels,
    silhouette_from_distances,
)
from segmentation.model.rfm.grouping import Grouping, group_customers
from segmentation.model.rfm.measures import (
    SKEWED,
    choose_measures,
    cluster_space,
    skewness,
    transform,
)
from segmentation.model.rfm.names import Habits, customer_habits
from segmentation.model.rfm.naming import name_segments
from segmentation.model.rfm.prediction import PREDICTION_COLUMNS, Outlook, predict_purchases
from segmentation.model.rfm.regroup import rename_within_k, split_hidden_groups
from segmentation.model.rfm.words import (
    describe_segments,
    headline,
    one_time_warnings,
    priority_and_confidence,
    trivial_split_warnings,
)
from segmentation.model.stability import segment_stability, stability_warning
from segmentation.read.orders import CustomerTable, OrderColumns, build_customer_table
from segmentation.result import Options, Segment, SegmentationResult

__all__ = ["segment_orders", "segment_customer_table"]


def segment_orders(
    df: pd.DataFrame, cols: OrderColumns, options: Options, source_name: str
) -> SegmentationResult:
    """Segment the customers of an order log by recency, frequency and spend (RFM).

    Parameters
    ----------
    df : DataFrame of shape (n_rows, n_columns)
        The order log, one row per order or order line.
    cols : OrderColumns
        Its columns, from :func:`segmentation.read.orders.detect_order_log` or
        :func:`segmentation.read.orders.find_order_columns`.
    options : Options
        ``k`` (total number of segments) and ``seed``; ``columns`` may restrict the measures to
        some of recency, frequency and monetary; ``as_of`` ends the log on a day, as if it were
        today; ``horizon_days`` is how far ahead purchases are predicted (0: not at all).
    source_name : str
        The file's name, as the user knows it.

    Returns
    -------
    SegmentationResult
        ``mode="rfm"``, one row per customer in ``table`` with ``segment`` and
        ``segment_name`` (and predicted purchases, see :mod:`.prediction`); ``rows`` counts
        orders and ``rows_used`` customers.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"customer": rng.integers(0, 100, 400),
    ...                    "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(
    ...                        rng.integers(0, 300, 400), unit="D"),
    ...                    "amount": rng.gamma(2, 20, 400)})
    >>> cols = OrderColumns("customer", "date", "amount", None, None, None)
    >>> segment_orders(df, cols, Options(k=3), "orders.csv").k
    3
    """
    table = build_customer_table(df, cols, options.as_of and pd.Timestamp(options.as_of))
    return segment_customer_table(table, cols, options, source_name)


def segment_customer_table(
    table: CustomerTable, cols: OrderColumns, options: Options, source_name: str
) -> SegmentationResult:
    """Segment an order log already summarised per customer (here, or where the data lies)."""
    customers = table.customers
    features = choose_measures(table, options)
    habits = customer_habits(customers)
    one_time = customers["frequency"].to_numpy() == 1
    one_share = float(one_time.mean())
    space, grouping, before_split, scaled = _group(customers, features, habits, one_time, options)
    labels, k = grouping.labels, int(grouping.labels.max()) + 1
    silhouette = _overall_silhouette(space, labels, options.seed)

    naming = name_segments(customers, features, labels, grouping.one_time_groups, habits)
    outlook, notes = predict_purchases(table, options.horizon_days)
    outlooks = None if outlook is None else outlook.per_segment(labels, k)
    segments = describe_segments(customers, labels, naming, table, outlooks)
    segments = _with_stability(segments, space, grouping, options.seed)
    warnings = [*table.warnings, *_warnings(one_time, grouping, segments, silhouette), *notes]
    priority, confidence = priority_and_confidence(
        table, labels, naming, segments, grouping, silhouette, before_split, outlooks
    )
    picture = _picture(customers, labels, table.currency)
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
        headline=headline(table, k, features, one_share, grouping),
        table=_labelled(customers, labels, segments, outlook),
        points=picture.points,
        plot_axes=picture.axes,
        plot_note=picture.note,
        plot_log_axes=(False, picture.y_log),
        priority=priority,
        confidence=confidence,
        details=_details(table, cols, one_share, scaled),
        prediction=None if outlook is None else outlook.block,
    )


def _group(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    habits: Habits,
    one_time: np.ndarray,
    options: Options,
) -> tuple[np.ndarray, Grouping, int, tuple[str, ...]]:
    """The cluster space, the final grouping, how many segments there were before the
    segments that mixed kinds of customers were split, and the measures log-scaled."""
    X, scaled = transform(customers[list(features)].to_numpy(dtype=np.float64), features)
    # K-means on a few thousand rows gains little from threads, and its OpenMP threads stall
    # badly when other jobs share the cores (CDNOW: 37 s instead of 4 s on a busy machine).
    with threadpool_limits(limits=1):
        space = cluster_space(X, features, habits)
        grouping = group_customers(space, one_time, habits, options)
    before_split = int(grouping.labels.max()) + 1
    if options.k is None:
        grouping = split_hidden_groups(customers, features, grouping, habits, space)
    else:
        grouping = rename_within_k(customers, features, grouping, habits, space)
    return space, grouping, before_split, scaled


def _labelled(
    customers: pd.DataFrame, labels: np.ndarray, segments: list[Segment], outlook: Outlook | None
) -> pd.DataFrame:
    """The per-customer table with each customer's segment number and name, and their
    predicted purchases when there are predictions."""
    names = [s.name for s in segments]
    export = customers.copy()
    export["segment"] = labels
    export["segment_name"] = pd.array(np.asarray(names, dtype=object)[labels], dtype="str")
    if outlook is not None:
        digits = {"p_active": 4, "expected_orders": 3, "expected_spend": 2}
        for col in PREDICTION_COLUMNS:
            if col in outlook.customers:
                export[col] = np.round(outlook.customers[col].to_numpy(float), digits[col])
    return export


@dataclass(frozen=True)
class _Picture:
    points: pd.DataFrame  # (n_customers, 3): x, y and segment
    axes: tuple[str, str]
    note: str
    y_log: bool


def _picture(customers: pd.DataFrame, labels: np.ndarray, currency: str | None) -> _Picture:
    """Recency against spend (or orders), in the reader's words rather than column names."""
    y_col = "monetary" if "monetary" in customers.columns else "frequency"
    x_label = "Days since last order"
    y_label = (
        f"Total spend ({currency})"
        if y_col == "monetary" and currency
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
    y_log = skewness(customers[y_col].to_numpy(dtype=np.float64)) > SKEWED
    y_words = "total spend" if y_col == "monetary" else "number of orders"
    note = (
        f"Days since each customer's last order (left is recent) against their {y_words}"
        f"{' on a log scale' if y_log else ''}; one dot per customer, coloured by segment."
    )
    return _Picture(points, (x_label, y_label), note, bool(y_log))


def _warnings(
    one_time: np.ndarray, grouping: Grouping, segments: list[Segment], silhouette: float
) -> list[str]:
    """What a marketer should know: one-time buyers, unclear groups, unstable segments."""
    labels = grouping.labels
    one_share = float(one_time.mean())
    warnings = one_time_warnings(one_share, int(one_time.sum()), grouping, segments, labels)
    if grouping.repeat_k is None:
        warnings += trivial_split_warnings(segments, labels, one_time)
    if silhouette < WEAK_SILHOUETTE:
        # The number is in --json and report.md; the message says what it means.
        warnings.append(
            "These customers do not fall into clear groups: the segments are cuts of a "
            "continuum, useful for targeting but not natural types."
        )
    untrusted = stability_warning([(s.name, s.stability) for s in segments])
    if untrusted:
        warnings.append(untrusted)
    return warnings


def _with_stability(
    segments: list[Segment], space: np.ndarray, grouping: Grouping, seed: int
) -> list[Segment]:
    """The segments with their stability (clusterboot), in the space they were clustered in.

    The refit replays the grouping in small: one-time buyers set apart stay in the groups the
    rule put them in (a rule, not a fit, so they are as stable as the rule), and everyone else
    is refitted by K-means with the same number of segments. Finer rules of the grouping are
    not replayed.
    """
    labels = grouping.labels
    k = len(segments)
    fixed = np.full(len(labels), -1, dtype=np.int64)
    for seg_id in grouping.one_time_groups:
        fixed[labels == seg_id] = seg_id
    fitted_k = k - len(grouping.one_time_groups)

    def refit(M: np.ndarray) -> np.ndarray:
        out = M[:, -1].astype(np.int64)
        free = out < 0
        if free.sum() > fitted_k > 1:
            out[free] = k + refit_labels(M[free, :-1], k=fitted_k, seed=seed)
        elif free.any():
            out[free] = k
        return out

    stability = segment_stability(np.column_stack([space, fixed]), labels, refit, seed=seed)
    return [replace(s, stability=v) for s, v in zip(segments, stability, strict=True)]


def _details(
    table: CustomerTable, cols: OrderColumns, one_share: float, scaled: tuple[str, ...]
) -> dict[str, Any]:
    """What the run read from the order log, for --json and the run history."""
    return {
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
        "as_of": f"{table.as_of:%Y-%m-%d}" if table.as_of is not None else None,
        "orders_after_as_of": table.orders_after,
        "log_scaled": list(scaled),
        "columns": {
            "customer": cols.customer,
            "date": cols.date,
            "amount": cols.amount,
            "quantity": cols.quantity,
            "order_id": cols.order_id,
            "status": cols.status,
            "refunded": cols.refunded,
        },
    }


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
