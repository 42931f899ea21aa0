"""Every segment named with a name that fits most of its customers (the rules are in
:mod:`.names`), qualified where two segments would share one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.explain.describe import level_of
from segmentation.model.rfm.measures import RFM_FEATURES
from segmentation.model.rfm.names import NAMES, Habits, assign_names, fit_shares, name_fits
from segmentation.result import Level

_NOUNS = {"recency_days": "recency", "frequency": "orders", "monetary": "spend"}
_BETTER = {"recency_days": "more recent", "frequency": "more orders", "monetary": "higher spend"}
_WORSE = {"recency_days": "less recent", "frequency": "fewer orders", "monetary": "lower spend"}


@dataclass(frozen=True)
class Naming:
    """The segments' names, levels and medians, and whom each name does not fit."""

    names: list[str]  # one per segment, unique (qualified where a name repeats)
    bases: list[str]  # the same without qualifiers
    levels: list[dict[str, Level]]
    medians: pd.DataFrame  # (k, measures) in plain units
    misfits: np.ndarray  # (n,) True where the segment's name does not fit the customer
    unfit: list[bool]  # no name fits most of the segment (it carries the best-fitting one)


def name_segments(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    labels: np.ndarray,
    fixed: dict[int, str],
    habits: Habits,
) -> Naming:
    """Name every segment with a name that fits most of its customers (see :mod:`.names`)."""
    k = int(labels.max()) + 1
    measures = [c for c in RFM_FEATURES if c in customers.columns]
    medians = customers.groupby(labels)[measures].median()
    # When one-time buyers are set apart, the repeat buyers' segments are measured among the
    # repeat buyers: against everyone, any second order reads as "high" frequency and the
    # one-time buyers' old orders make a long silence look "medium".
    repeat_rows = ~np.isin(labels, list(fixed))
    everyone = {c: np.sort(customers[c].to_numpy(dtype=np.float64)) for c in measures}
    among_repeat = (
        {c: np.sort(customers.loc[repeat_rows, c].to_numpy(dtype=np.float64)) for c in measures}
        if fixed
        else everyone
    )
    levels: list[dict[str, Level]] = []
    positions: list[tuple[float, float]] = []
    for i in range(k):
        ranked = everyone if i in fixed else among_repeat
        lv = {c: level_of(float(medians.at[i, c]), ranked[c]) for c in measures}
        levels.append({c: lv[c] for c in features})
        pos = {c: _mid_rank(float(medians.at[i, c]), ranked[c]) for c in measures}
        value = float(np.mean([pos[c] for c in ("frequency", "monetary") if c in pos]))
        positions.append((1.0 - pos["recency_days"], value))
    shares = fit_shares(labels, k, habits)
    assigned = assign_names(shares, positions, fixed)
    # A segment no name fits (possible only when k was given: otherwise it is split) takes
    # the name that fits most of it.
    bases = [a or NAMES[int(np.argmax(shares[i, :-1]))] for i, a in enumerate(assigned)]
    misfits = np.zeros(len(labels), dtype=bool)
    for name in set(bases):
        misfits |= np.isin(labels, [i for i, b in enumerate(bases) if b == name]) & ~name_fits(
            name, habits
        )
    names = _unique_names(bases, medians, customers)
    unfit = [a is None for a in assigned]
    return Naming(names, bases, levels, medians, misfits, unfit)


def _mid_rank(value: float, ranked: np.ndarray) -> float:
    """The value's mid-rank position among ``ranked`` (0..1), as :func:`level_of` measures it."""
    below = np.searchsorted(ranked, value, side="left")
    at_or_below = np.searchsorted(ranked, value, side="right")
    return float((below + at_or_below) / 2 / len(ranked))


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
