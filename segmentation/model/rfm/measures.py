"""The measures RFM clusters on (recency, frequency, spend), which of them the user asked for,
and the space they are clustered in: skewed measures log-scaled, recency against each
customer's own purchase cycle.
"""

from __future__ import annotations

import numpy as np

from segmentation.errors import UnknownColumn
from segmentation.model.rfm.names import Habits
from segmentation.read.orders import CustomerTable
from segmentation.result import Options

__all__ = ["RFM_FEATURES"]

RFM_FEATURES = ("recency_days", "frequency", "monetary")
# A measure with a skewness above this is log-scaled before clustering, so that a few very large
# customers do not decide the segments.
SKEWED = 1.0
_ALIASES = {
    "recency": "recency_days",
    "recency_days": "recency_days",
    "frequency": "frequency",
    "orders": "frequency",
    "monetary": "monetary",
    "spend": "monetary",
}


def choose_measures(table: CustomerTable, options: Options) -> tuple[str, ...]:
    """The measures to cluster on: all three (two without amounts), or those the user named."""
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


def skewness(values: np.ndarray) -> float:
    """The sample skewness of the finite values (0 for fewer than three or no spread)."""
    values = values[np.isfinite(values)]
    std = values.std()
    if len(values) < 3 or std == 0:
        return 0.0
    return float(np.mean(((values - values.mean()) / std) ** 3))


def transform(raw: np.ndarray, features: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Log-scale the skewed measures (spend below zero counts as zero for clustering)."""
    X = np.clip(raw, 0.0, None)
    scaled = []
    for j, name in enumerate(features):
        if skewness(X[:, j]) > SKEWED:
            X[:, j] = np.log1p(X[:, j])
            scaled.append(name)
    return X, tuple(scaled)


def cluster_space(X: np.ndarray, features: tuple[str, ...], habits: Habits) -> np.ndarray:
    """The measures plus, with recency, recency in units of each customer's own purchase cycle
    (log-scaled): a regular silent for six times their usual gap is at risk even where six
    months of silence is common, and plain recency cannot tell."""
    if "recency_days" not in features:
        return X
    return np.column_stack([X, np.log1p(habits.overdue)])
