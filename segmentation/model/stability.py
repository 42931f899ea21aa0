"""How far each segment can be trusted: Hennig's clusterboot (bootstrap Jaccard per segment).

Each resample draws the customers with replacement, refits them with the same procedure and the
same number of segments, and asks, for every original segment, how well the best-matching new
segment covers the same customers (Jaccard: shared over either). The mean over resamples is the
segment's stability. Hennig (2007) reads 0.85 and over as highly stable and 0.75 as stable, while
a segment under 0.6 is one the data does not reproduce.

Only numpy is imported here, so the words can be used by front ends that stay light.

Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational Statistics & Data
Analysis 52, 258-271.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "segment_stability",
    "stability_words",
    "stability_warning",
    "RESAMPLES",
    "MAX_ROWS",
    "UNTRUSTED",
]

RESAMPLES = 30
# Bootstrap refits run on a fixed-seed sample of at most this many rows: K-means on a few thousand
# rows finds the same segments as on a million, and 30 refits of it cost well under a second.
MAX_ROWS = 2_000
VERY_STABLE = 0.85
STABLE = 0.75
UNTRUSTED = 0.6

Refit = Callable[[np.ndarray], np.ndarray]


def segment_stability(
    X: np.ndarray,
    labels: np.ndarray,
    refit: Refit,
    *,
    resamples: int = RESAMPLES,
    seed: int = 42,
    max_rows: int = MAX_ROWS,
) -> list[float | None]:
    """Mean bootstrap Jaccard of each segment with its best match in refits (clusterboot).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows as the segmentation saw them (its ``refit`` gets rows of this matrix).
    labels : ndarray of shape (n_samples,)
        Segment of each row, 0..k-1.
    refit : callable
        Maps a resampled matrix of shape (m, n_features) to m integer labels, with the same
        procedure and number of segments that produced ``labels``. It should be deterministic.
    resamples : int
        Bootstrap resamples (Hennig suggests at least 20; 30 by default).
    seed : int
        Seed for the row sample and the resamples: the same seed gives the same answer.
    max_rows : int
        Larger inputs are first reduced to a fixed-seed sample of this many rows.

    Returns
    -------
    list of float or None, length k
        Stability of segment i in 0..1, or None when the sample held none of its rows.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))]
    >>> labels = (X[:, 0] > 4).astype(int)
    >>> def refit(Xb):
    ...     return (Xb[:, 0] > Xb[:, 0].mean()).astype(int)
    >>> [round(s, 2) for s in segment_stability(X, labels, refit)]
    [1.0, 1.0]
    """
    X = np.asarray(X)
    labels = np.asarray(labels, dtype=np.int64)
    if X.ndim != 2 or len(X) != len(labels):
        raise ValueError(f"X of shape {X.shape} does not match labels of shape {labels.shape}")
    if resamples < 1:
        raise ValueError(f"resamples={resamples} should be >= 1")
    k = int(labels.max()) + 1 if len(labels) else 0
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, labels = X[keep], labels[keep]
    m = len(X)
    totals = np.zeros(k)
    counts = np.zeros(k)
    for _ in range(resamples):
        drawn = rng.integers(0, m, m)
        new = np.asarray(refit(X[drawn]), dtype=np.int64)
        # A row drawn twice is one customer; identical rows get the same label from the refit.
        rows, first = np.unique(drawn, return_index=True)
        best, present = _best_jaccard(labels[rows], new[first], k)
        totals[present] += best[present]
        counts[present] += 1
    return [float(totals[i] / counts[i]) if counts[i] else None for i in range(k)]


def _best_jaccard(old: np.ndarray, new: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each old segment, its largest Jaccard with any new segment, and whether it was seen."""
    new = np.unique(new, return_inverse=True)[1].ravel()
    k_new = int(new.max()) + 1
    table = np.bincount(old * k_new + new, minlength=k * k_new).reshape(k, k_new)
    old_size = table.sum(axis=1, keepdims=True)
    new_size = table.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = table / (old_size + new_size - table)
    return np.nan_to_num(jaccard).max(axis=1), old_size[:, 0] > 0


def stability_words(value: float | None) -> str:
    """The stability of one segment in words, e.g. ``"stable (0.82)"``; "" when unknown."""
    if value is None:
        return ""
    if value >= VERY_STABLE:
        words = "very stable"
    elif value >= STABLE:
        words = "stable"
    elif value >= UNTRUSTED:
        words = "shaky: the pattern is real but who belongs to it is uncertain"
    else:
        words = "not to be trusted"
    return f"{words} ({value:.2f})"


def stability_warning(named: Sequence[tuple[str, float | None]]) -> str | None:
    """One sentence for the warnings when any segment is under 0.6, else None.

    ``named`` holds (segment name, stability) pairs, one per segment.
    """
    weak = sorted(
        ((name, s) for name, s in named if s is not None and s < UNTRUSTED), key=lambda p: p[1]
    )
    if not weak:
        return None
    if len(weak) == 1:
        subject, pronoun = f"The segment '{weak[0][0]}' ({weak[0][1]:.2f}) is", "it"
    elif len(weak) <= 3:
        listed = ", ".join(f"'{name}' ({s:.2f})" for name, s in weak)
        subject, pronoun = f"The segments {listed} are", "them"
    else:
        name, s = weak[0]
        which = (
            f"All {len(weak)}" if len(weak) == len(named) else f"{len(weak)} of the {len(named)}"
        )
        subject = f"{which} segments (the least stable: '{name}', {s:.2f}) are"
        pronoun = "them"
    return (
        f"{subject} not to be trusted: refitting on resampled customers does not find {pronoun} "
        f"again (stability under {UNTRUSTED}). Ask for fewer segments, or segment on other "
        f"columns, before acting on {pronoun}."
    )
