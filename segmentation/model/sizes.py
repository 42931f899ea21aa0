"""Segments big enough to act on.

When segbot chooses the number of segments itself, no segment holds under 2% of the customers:
a handful of exceptional customers (far beyond everyone else on some measure) is set aside while
the segments are found, said in one line, then put in the closest segment so the labelled file
keeps them; a segment that still comes out too small joins its nearest neighbour. On three
columns or more and 200 customers or more, k is chosen among 3 to 10 unless two segments stand
clearly apart: on a wide table two segments only split big customers from small ones, which
says nothing a marketer can act on. A k the user asked for is honoured as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from segmentation.model.clustering import Fit, fit_segments, order_by_size

__all__ = ["MIN_SHARE", "SizedFit", "fit_sized"]

MIN_SHARE = 0.02
# Robust z (distance from the median in scaled median absolute deviations) beyond which a
# customer is exceptional; a normal distribution of a million customers reaches about 5.
_EXCEPTIONAL_Z = 6.0
_SAMPLE = 100_000
# Wide tables (this many clustered columns and customers) choose k among 3 to 10 ...
_WIDE_COLUMNS = 3
_WIDE_ROWS = 200
_WIDE_CHOICE = range(3, 11)
# ... unless two segments score at least this silhouette, this far ahead of every other k.
_CLEAR_TWO = 0.5
_CLEAR_TWO_LEAD = 0.05


@dataclass(frozen=True)
class SizedFit:
    """A fit over every row, the rows set aside as exceptional, and the line that says so."""

    fit: Fit
    exceptional: np.ndarray  # (n,) bool
    line: str


def fit_sized(
    X: np.ndarray, *, k: int | None, seed: int, words: list[str], bounded: list[bool]
) -> SizedFit:
    """Fit ``X`` (n, f) so that, when k is chosen, every segment holds at least 2% of rows.

    ``words`` name each feature in the line about exceptional customers ("Grocery");
    ``bounded`` marks features (shares of spend) no customer can be exceptional on.
    """
    if k is not None:
        fit = fit_segments(X, k=k, seed=seed)
        return SizedFit(fit, np.zeros(len(X), dtype=bool), "")
    watched = ~np.asarray(bounded, dtype=bool)
    exceptional = (
        _exceptional_rows(X[:, watched]) if watched.any() else np.zeros(len(X), dtype=bool)
    )
    core = X[~exceptional] if exceptional.any() else X
    fit = _fit_choosing_k(core, X.shape, seed)
    small = np.bincount(fit.labels, minlength=fit.k) < MIN_SHARE * len(X)
    if not exceptional.any() and not small.any():
        return SizedFit(fit, exceptional, "")  # the common case: nothing to move
    labels = np.empty(len(X), dtype=np.int64)
    labels[~exceptional] = fit.labels
    mean, scale = _scaling(core)
    if exceptional.any():
        labels[exceptional] = _nearest(
            (X[exceptional] - mean) / scale, _centres((core - mean) / scale, fit.labels, fit.k)
        )
    labels = _merge_small((X - mean) / scale, labels, fit.k)
    k_after = int(labels.max()) + 1
    centres = _centres((X - mean) / scale, labels, k_after)
    labels, centres = order_by_size(labels, centres)
    selection = fit.k_selection
    if k_after != fit.k:
        selection = replace(selection, chosen=k_after)
    sized = Fit(labels=labels, centers=centres, k_selection=selection, silhouette=fit.silhouette)
    watched_words = [w for w, keep in zip(words, watched, strict=True) if keep]
    line = _exceptional_line(X[:, watched], exceptional, watched_words) if exceptional.any() else ""
    return SizedFit(sized, exceptional, line)


def _fit_choosing_k(core: np.ndarray, shape: tuple[int, int], seed: int) -> Fit:
    """The fit with k chosen by silhouette; among 3 to 10 on a wide table (``shape``, rows by
    clustered columns), unless two segments stand clearly apart."""
    rows, columns = shape
    if columns < _WIDE_COLUMNS or rows < _WIDE_ROWS:
        return fit_segments(core, seed=seed, min_share=MIN_SHARE)
    fit = fit_segments(core, seed=seed, min_share=MIN_SHARE, choose_from=_WIDE_CHOICE)
    scores = fit.k_selection.scores
    two, others = scores.get(2), [v for kk, v in scores.items() if kk in _WIDE_CHOICE]
    if two is None or not others or fit.k == 2:
        return fit
    if two >= _CLEAR_TWO and two - max(others) >= _CLEAR_TWO_LEAD:
        return fit_segments(core, seed=seed, min_share=MIN_SHARE)
    if two <= scores[fit.k]:
        return fit
    note = (
        f"{fit.k_selection.note} Two segments would score higher (silhouette {two:.2f}), but "
        f"on {columns} columns two segments are too coarse to act on, so I chose among "
        f"{_WIDE_CHOICE.start} to {_WIDE_CHOICE.stop - 1}."
    )
    return replace(fit, k_selection=replace(fit.k_selection, note=note))


def _scaling(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def _robust_z(X: np.ndarray) -> np.ndarray:
    # Medians of an evenly spread sample: the same answer at a fraction of a million-row sort.
    sample = X[:: max(1, len(X) // _SAMPLE)]
    median = np.median(sample, axis=0)
    mad = 1.4826 * np.median(np.abs(sample - median), axis=0)
    std = sample.std(axis=0)
    scale = np.where(mad > 0, mad, np.where(std > 0, std, 1.0))
    return (X - median) / scale


def _exceptional_rows(X: np.ndarray) -> np.ndarray:
    """Rows far beyond everyone else on some measure: a handful (at most 2%), else none."""
    # Only the high side: on a log scale a customer who barely buys one category sits far
    # below the rest without being exceptional to a marketer.
    z = _robust_z(X).max(axis=1)
    far = z > _EXCEPTIONAL_Z
    if far.sum() > MIN_SHARE * len(X) or len(X) - far.sum() < 10:
        return np.zeros(len(X), dtype=bool)  # a long tail, not a handful of exceptions
    return far


def _centres(Z: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.stack([np.bincount(labels, weights=Z[:, j], minlength=k) for j in range(Z.shape[1])])
    return sums.T / np.maximum(counts, 1.0)[:, None]


def _nearest(Z: np.ndarray, centres: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    distances = ((Z[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    if allowed is not None:
        distances[:, ~allowed] = np.inf
    return distances.argmin(axis=1)


def _merge_small(Z: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Members of a segment under 2% of rows join their nearest other segment, until none is."""
    labels = labels.copy()
    alive = np.ones(k, dtype=bool)
    while alive.sum() > 2:
        sizes = np.bincount(labels, minlength=k)
        small = np.flatnonzero(alive & (sizes < MIN_SHARE * len(labels)))
        if small.size == 0:
            break
        worst = small[np.argmin(sizes[small])]
        alive[worst] = False
        members = labels == worst
        centres = _centres(Z, labels, k)
        labels[members] = _nearest(Z[members], centres, alive)
    # Renumber the segments left as 0..k'-1.
    remap = np.cumsum(alive) - 1
    return remap[labels].astype(np.int64)


def _exceptional_line(X: np.ndarray, mask: np.ndarray, words: list[str]) -> str:
    z = _robust_z(X)[mask]
    typical = np.median(z, axis=0)
    j = int(np.argmax(typical))
    how = "very high"
    n = int(mask.sum())
    who, was, them = ("customer", "was", "it") if n == 1 else ("customers", "were", "them")
    return (
        f"{n:,} exceptional {who} with {how} {words[j]} {was} set aside while the segments were "
        f"found, then put in the closest segment (the labelled file has {them})."
    )
