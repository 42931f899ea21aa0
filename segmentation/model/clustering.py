"""Standardise, choose the number of segments, fit K-means.

Choosing k fits K-means for every candidate k, so it runs on a fixed-seed sample; the final model
is fitted on all rows, started from the best sample centres, which gives the quality of
``n_init=10`` on the full data at the price of one run.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances
from threadpoolctl import ThreadpoolController, threadpool_limits

from segmentation.errors import InvalidOption, TooFewRows
from segmentation.result import KSelection

__all__ = [
    "Fit",
    "fit_segments",
    "refit_labels",
    "order_by_size",
    "is_weak",
    "MIN_ROWS",
    "K_RANGE",
    "WEAK_SILHOUETTE",
    "CLEAR_SILHOUETTE",
]

MIN_ROWS = 10
K_RANGE = range(2, 11)
# Rows the k search fits on; the silhouette is scored on at most SILHOUETTE_ROWS of them,
# because it costs O(n^2) per k.
SELECTION_ROWS = 10_000
SILHOUETTE_ROWS = 4_000
N_INIT = 10
SEARCH_N_INIT = 3
SMALL_SEARCH_ROWS = 2_000
# Below this silhouette there is no substantial structure (Kaufman & Rousseeuw). A silhouette
# less than WEAK_MARGIN above what structureless data of the same spread gets is no better:
# K-means always cuts a blob into tidy-looking pieces.
WEAK_SILHOUETTE = 0.25
# Kaufman & Rousseeuw read an average silhouette over 0.5 as a reasonable, clear structure.
CLEAR_SILHOUETTE = 0.5
WEAK_MARGIN = 0.12


@dataclass(frozen=True)
class Fit:
    """A fitted segmentation of ``n`` rows into ``k`` segments.

    ``labels`` (n,) int with 0 the largest segment; ``centers`` (k, f) in the standardised space,
    row i for segment i.
    """

    labels: np.ndarray
    centers: np.ndarray
    k_selection: KSelection
    silhouette: float

    @property
    def k(self) -> int:
        return int(self.centers.shape[0])


def fit_segments(
    X: np.ndarray,
    *,
    k: int | None = None,
    seed: int = 42,
    choose_from: range | None = None,
    min_share: float = 0.0,
) -> Fit:
    """Standardise ``X`` and cluster it with K-means, choosing k by silhouette unless given.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite values, already transformed as the caller wants (e.g. log-scaled).
    k : int, optional
        Number of segments; chosen in 2..10 when None.
    seed : int
        Seed for sampling and K-means, so the same input gives the same labels.
    choose_from : range, optional
        When k is chosen, the candidates it may be chosen from (every k in 2..10 is still
        scored and reported); all of them when None or when none of them can be fitted.
    min_share : float
        When k is chosen: only among k whose segments each hold this share (when any does).

    Returns
    -------
    Fit

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[np.zeros((20, 2)), np.full((20, 2), 10.0)] + rng.random((40, 2))
    >>> fit_segments(X).k
    2
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    n = X.shape[0]
    _check_k(n, k)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    distinct = _distinct_points(Z, k)

    # One thread: on sample-sized fits OpenMP/BLAS threads cost more in hand-offs than they
    # save (12x slower when the cores are busy, as they are when the bot runs two jobs), and
    # on the final fit over a million rows two threads gain under 10%.
    with threadpool_limits(limits=1):
        search = _search_k(Z, k, seed, distinct, choose_from, min_share)
        chosen, Zs, best = search.chosen, search.sample, search.best
        if search.sample_idx is None:
            labels, centers = best.labels_, best.cluster_centers_
        else:
            final = KMeans(
                n_clusters=chosen, init=best.cluster_centers_, n_init=1, random_state=seed
            )
            final.fit(Z)
            labels, centers = final.labels_, final.cluster_centers_
        labels, centers = order_by_size(labels, centers)

        # The final labels are scored on the same rows as the search, so its distance matrix
        # serves again.
        silhouette = silhouette_from_distances(search.distances, labels[search.silhouette_rows])
        baseline = _baseline_silhouette(Zs, chosen, seed)

    selection = _k_selection(search, n, baseline)
    return Fit(labels=labels, centers=centers, k_selection=selection, silhouette=silhouette)


def _k_selection(search: _Search, n: int, baseline: float | None) -> KSelection:
    sample = len(search.sample)
    return KSelection(
        method=search.method,
        chosen=search.chosen,
        scores=search.scores,
        inertias=search.inertias,
        elbow=search.elbow,
        sample_size=sample,
        note=_selection_note(search.method, search.chosen, search.scores, search.elbow, sample, n),
        baseline_silhouette=baseline,
    )


def _check_k(n: int, k: int | None) -> None:
    """Refuse too few rows, or a k out of range, in a sentence naming the values."""
    if n < MIN_ROWS:
        raise TooFewRows(
            f"I need at least {MIN_ROWS} customers with values to find segments, "
            f"but only {n} rows could be used. Share a file with more customers."
        )
    if k is not None and not (K_RANGE.start <= k <= K_RANGE.stop - 1):
        raise InvalidOption(
            f"k={k} is out of range: ask for between {K_RANGE.start} and {K_RANGE.stop - 1} "
            "segments, or leave k out and I will choose."
        )


def _distinct_points(Z: np.ndarray, k: int | None) -> int:
    """How many different points the standardised rows are (counted up to 11), refusing a
    k above it and a table with nothing to separate."""
    # Counted on what K-means sees: values that differ only below float precision after
    # scaling (0 and 1e-320, found by fuzzing) are one point, and asking K-means for more
    # segments than points makes it warn on the person's terminal.
    distinct = _count_distinct_rows(Z, limit=K_RANGE.stop)
    if k is not None and k > distinct:
        raise TooFewRows(
            f"k={k} segments were asked for, but the customers have only {distinct} different "
            f"combinations of values. Ask for at most {distinct} segments."
        )
    if distinct < 2:
        raise TooFewRows(
            "All customers have the same values in the chosen columns, so there is nothing to "
            "separate. Choose columns that vary between customers."
        )
    return distinct


@dataclass(frozen=True)
class _Search:
    chosen: int
    method: Literal["silhouette", "given"]
    scores: dict[int, float]
    inertias: dict[int, float]
    elbow: int | None
    sample: np.ndarray
    sample_idx: np.ndarray | None
    best: KMeans
    distances: np.ndarray  # between the silhouette rows, in the standardised space
    silhouette_rows: np.ndarray  # indices into all rows


def _search_k(
    Z: np.ndarray,
    k: int | None,
    seed: int,
    distinct: int,
    choose_from: range | None,
    min_share: float = 0.0,
) -> _Search:
    """Fit every candidate k on a fixed-seed sample and score it; return the chosen model."""
    n = len(Z)
    rng = np.random.default_rng(seed)
    sample_idx = None
    if n > SELECTION_ROWS:
        sample_idx = np.sort(rng.choice(n, SELECTION_ROWS, replace=False))
    Zs = Z if sample_idx is None else Z[sample_idx]
    sil_n = min(len(Zs), SILHOUETTE_ROWS)
    sil_idx = np.sort(rng.choice(len(Zs), sil_n, replace=False)) if len(Zs) > sil_n else None
    # One distance matrix serves the silhouette of every candidate k (float32 halves the cost;
    # the mean silhouette moves by under 1e-6).
    distances = pairwise_distances((Zs if sil_idx is None else Zs[sil_idx]).astype(np.float32))
    in_sample = np.arange(len(Zs)) if sil_idx is None else sil_idx
    sil_rows = in_sample if sample_idx is None else sample_idx[in_sample]

    # Small inputs get full n_init for every k (cheap, and exactly the classic analysis); big
    # ones search with fewer starts and give the chosen k its full n_init below.
    search_init = N_INIT if len(Zs) <= SMALL_SEARCH_ROWS else SEARCH_N_INIT
    max_k = min(K_RANGE.stop - 1, distinct, len(Zs) - 1)
    inertias: dict[int, float] = {1: float(((Zs - Zs.mean(axis=0)) ** 2).sum())}
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    for kk in range(K_RANGE.start, max_k + 1) if k is None else [k]:
        model = KMeans(n_clusters=kk, n_init=search_init, random_state=seed).fit(Zs)
        models[kk] = model
        inertias[kk] = float(model.inertia_)
        sil_labels = model.labels_ if sil_idx is None else model.labels_[sil_idx]
        scores[kk] = silhouette_from_distances(distances, sil_labels)

    allowed = {kk: v for kk, v in scores.items() if choose_from is None or kk in choose_from}
    allowed = allowed or scores
    # Segments big enough to act on: a k that isolates a handful of customers is not offered.
    sizable = {
        kk: v
        for kk, v in allowed.items()
        if np.bincount(models[kk].labels_, minlength=kk).min() >= min_share * len(Zs)
    }
    allowed = sizable or allowed
    chosen = k if k is not None else max(allowed, key=lambda kk: (round(allowed[kk], 6), -kk))
    best = models[chosen]
    if search_init < N_INIT:
        best = KMeans(n_clusters=chosen, n_init=N_INIT, random_state=seed).fit(Zs)
    return _Search(
        chosen=chosen,
        method="given" if k is not None else "silhouette",
        scores=scores,
        inertias=inertias,
        elbow=find_elbow(inertias) if k is None else None,
        sample=Zs,
        sample_idx=sample_idx,
        best=best,
        distances=distances,
        silhouette_rows=sil_rows,
    )


def is_weak(fit: Fit) -> bool:
    """True when the segments are cuts of a continuum rather than clear groups."""
    baseline = fit.k_selection.baseline_silhouette
    if fit.silhouette < WEAK_SILHOUETTE:
        return True
    return baseline is not None and fit.silhouette - baseline < WEAK_MARGIN


def _baseline_silhouette(Z: np.ndarray, k: int, seed: int) -> float | None:
    """The silhouette of k segments on a Gaussian with the same mean and covariance as ``Z``."""
    if Z.shape[0] <= k + 1:
        return None
    rng = np.random.default_rng(seed + 1)
    n = min(len(Z), SILHOUETTE_ROWS)
    rows, columns = Z.shape
    if columns < rows:
        cov = np.atleast_2d(np.cov(Z, rowvar=False))
        reference = rng.multivariate_normal(Z.mean(axis=0), cov, size=n, method="eigh")
    else:
        # Wider than long (a survey with hundreds of questions): the covariance has rank below
        # rows, and its eigendecomposition costs columns**3 (15 s at 5,000 columns). Gaussian
        # mixtures of the centred rows have exactly that covariance, at rows x columns each.
        centred = Z - Z.mean(axis=0)
        weights = rng.standard_normal((n, rows)) / np.sqrt(rows - 1)
        reference = Z.mean(axis=0) + weights @ centred
    labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(reference)
    return silhouette_from_distances(pairwise_distances(reference.astype(np.float32)), labels)


def find_elbow(inertias: dict[int, float]) -> int | None:
    """The k where the inertia curve bends most (largest distance below the chord).

    Both axes are scaled to 0..1 first, so the answer does not depend on units. None when the
    curve has fewer than three points or no point lies clearly below the chord.
    """
    ks = sorted(inertias)
    if len(ks) < 3:
        return None
    x = np.array(ks, dtype=float)
    y = np.array([inertias[k] for k in ks], dtype=float)
    if y[0] == y[-1]:
        return None
    xn = (x - x[0]) / (x[-1] - x[0])
    yn = (y - y[-1]) / (y[0] - y[-1])
    # For a decreasing convex curve the chord runs from (0, 1) to (1, 0); the elbow is the point
    # furthest below it.
    gap = (1.0 - xn) - yn
    i = int(np.argmax(gap))
    if gap[i] < 0.05:
        return None
    return int(ks[i])


def silhouette_from_distances(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette from a square distance matrix, as sklearn's silhouette_score computes it.

    The per-segment distance sums come from one matrix product, so scoring many k on the same
    rows costs one distance matrix. Rows alone in their segment score 0.
    """
    n = len(labels)
    k = int(labels.max()) + 1
    if len(np.unique(labels)) < 2:
        return 0.0
    onehot = np.zeros((n, k), dtype=distances.dtype)
    onehot[np.arange(n), labels] = 1.0
    sums = distances @ onehot
    counts = onehot.sum(axis=0)
    own = counts[labels]
    a = sums[np.arange(n), labels] / np.maximum(own - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / counts
    means[:, counts == 0] = np.inf
    means[np.arange(n), labels] = np.inf
    b = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(s).mean())


def order_by_size(labels: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments renumbered largest first (``labels`` (n,), ``centers`` (k, f))."""
    k = centers.shape[0]
    sizes = np.bincount(labels, minlength=k)
    # Largest first; ties broken by the centre's coordinates so the order is deterministic.
    order = sorted(range(k), key=lambda i: (-sizes[i], tuple(centers[i])))
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    return remap[labels].astype(np.int64), centers[order]


def _count_distinct_rows(X: np.ndarray, limit: int) -> int:
    """Distinct rows, counted up to ``limit`` (enough to bound k) without a full sort."""
    head = X[: min(len(X), 50_000)]
    count = len(np.unique(head, axis=0))
    if count >= limit or len(X) == len(head):
        return min(count, limit)
    return min(len(np.unique(X, axis=0)), limit)


def _selection_note(
    method: str,
    chosen: int,
    scores: dict[int, float],
    elbow: int | None,
    sample_size: int,
    n: int,
) -> str:
    if method == "given":
        return f"You asked for {chosen} segments."
    where = f"a sample of {sample_size:,} customers" if sample_size < n else "all customers"
    best = scores[chosen]
    text = (
        f"I tried 2 to {max(scores)} segments on {where} and {chosen} separated the customers "
        f"best (silhouette {best:.2f})."
    )
    if elbow is None:
        return text + " The inertia curve has no clear elbow to compare with."
    if elbow == chosen:
        return text + f" The elbow of the inertia curve agrees: {elbow}."
    alt = scores.get(elbow)
    alt_text = f" (silhouette {alt:.2f})" if alt is not None else ""
    return text + (
        f" The elbow of the inertia curve is at {elbow}{alt_text}; I kept {chosen} because its "
        "segments are better separated, while the elbow only marks where adding segments stops "
        "paying off much."
    )


def refit_labels(X: np.ndarray, *, k: int, seed: int = 42) -> np.ndarray:
    """Labels from the procedure :func:`fit_segments` follows for a given ``k`` on a small input.

    Standardise, then K-means with ``N_INIT`` starts; used to refit resamples when measuring how
    stable the segments are. Returns an array of shape (n_samples,).
    """
    std = X.std(axis=0)
    std[std == 0] = 1.0
    Z = (X - X.mean(axis=0)) / std
    with _threadpools().limit(limits=1), warnings.catch_warnings():
        # A resample can hold fewer distinct rows than k; K-means then says so, and the missing
        # segments simply count as not found again.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit_predict(Z)


@functools.cache
def _threadpools() -> ThreadpoolController:
    # Built once: building one scans the loaded libraries, a few ms that 30 refits would repeat.
    return ThreadpoolController()
