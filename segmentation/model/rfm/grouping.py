"""The first grouping of customers: one-time buyers set apart when they are most customers,
and K-means with k chosen among the useful numbers of RFM segments (3 to 8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from segmentation.errors import InvalidOption
from segmentation.model.clustering import K_RANGE, MIN_ROWS, Fit, fit_segments
from segmentation.model.rfm.names import Habits
from segmentation.result import KSelection, Options

__all__ = ["ONE_TIME_MAJORITY"]

# From this share of one-time buyers on, they get their own segment(s) (CDNOW: 51%).
ONE_TIME_MAJORITY = 0.5
# Repeat buyers needed before it is worth clustering them on their own.
MIN_REPEAT_BUYERS = 3 * MIN_ROWS
# One-time buyers are split into recent and lapsed only when each part is at least this share
# of all customers; a sliver is not worth a campaign of its own.
_MIN_SPLIT_SHARE = 0.05
MAX_SEGMENTS = K_RANGE.stop - 1
# When k is not given, RFM segments are chosen among 3 to 8: two segments only split good from
# bad customers, which every marketer knows already (and the silhouette favours two on skewed
# data), while more than eight are more campaigns than a team runs. Below this many customers
# to cluster the plain 2..10 search is kept, since small files rarely hold three real groups.
_FEWEST_USEFUL = 3
_MOST_USEFUL = 8
_MIN_CHOICE_ROWS = 200


@dataclass(frozen=True)
class Grouping:
    """A grouping of customers, and how its number of segments was chosen."""

    labels: np.ndarray  # (n,) final segment per customer, 0 = largest
    k_selection: KSelection
    one_time_groups: dict[int, str]  # final segment id -> fixed name, for one-time buyers
    repeat_k: int | None  # segments among repeat buyers when one-time buyers were set apart


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


def group_customers(
    X: np.ndarray,
    one_time: np.ndarray,
    habits: Habits,
    options: Options,
) -> Grouping:
    """The first grouping: everyone clustered together, or, when most customers bought only
    once (and enough bought again), one-time buyers set apart and the repeat buyers clustered.

    ``X`` is the cluster space, shape ``(n_customers, n_measures)``; ``one_time`` flags the
    customers with one order. Raises InvalidOption when ``options.k`` is out of range.
    """
    k = options.k
    if k is not None and not (K_RANGE.start <= k <= MAX_SEGMENTS):
        raise InvalidOption(
            f"k={k} is out of range: ask for between {K_RANGE.start} and {MAX_SEGMENTS} "
            "segments, or leave k out and I will choose."
        )
    set_apart = (
        float(one_time.mean()) >= ONE_TIME_MAJORITY
        and int((~one_time).sum()) >= MIN_REPEAT_BUYERS
        and (k is None or k >= 3)
    )
    if not set_apart:
        return _group_everyone(X, k, options.seed)
    return _group_one_time_apart(X, one_time, habits, k, options.seed)


def _group_everyone(X: np.ndarray, k: int | None, seed: int) -> Grouping:
    """All customers clustered together, k given or chosen."""
    n = len(X)
    choice = _fit_choosing_k(X, k, seed, MAX_SEGMENTS)
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
    return Grouping(choice.fit.labels, selection, {}, None)


def _group_one_time_apart(
    X: np.ndarray, one_time: np.ndarray, habits: Habits, k: int | None, seed: int
) -> Grouping:
    """One-time buyers in one or two segments of their own, the repeat buyers clustered."""
    n = len(X)
    repeat = ~one_time
    # One-time buyers: recent ones are new customers to nurture, the others lapsed; split them
    # only when both parts are big enough to act on.
    recent_once = one_time & habits.recent
    lapsed_once = one_time & ~recent_once
    split = min(recent_once.sum(), lapsed_once.sum()) >= _MIN_SPLIT_SHARE * n
    groups = 2 if split else 1
    if k is not None and k - groups < 2:
        groups = 1
    repeat_k = None if k is None else k - groups

    # The total stays within the palette and the range people are offered.
    choice = _fit_choosing_k(X[repeat], repeat_k, seed, MAX_SEGMENTS - groups)
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

    remap = by_size(provisional)
    labels = remap[provisional]
    one_time_groups = {int(remap[i]): name for i, name in fixed_names.items()}
    selection = _selection_one_time_apart(choice, groups, float(one_time.mean()), int(repeat.sum()))
    return Grouping(labels, selection, one_time_groups, fit.k)


def _selection_one_time_apart(
    choice: _Choice, groups: int, one_share: float, repeat_count: int
) -> KSelection:
    """How k was chosen, in totals: the ``groups`` one-time segments count among them."""
    fit = choice.fit
    total = fit.k + groups
    apart = "one segment" if groups == 1 else "two segments (recent and lapsed)"
    note = f"{one_share:.0%} of customers bought only once; they form {apart} of their own. "
    if choice.method == "given":
        note += f"You asked for {total} segments, so the repeat buyers were split into {fit.k}."
    else:
        where = (
            f"a sample of {choice.sample_size:,} of the {repeat_count:,} repeat buyers"
            if choice.sample_size < repeat_count
            else f"the {repeat_count:,} repeat buyers"
        )
        note += _choice_note(choice, where, groups)
    return KSelection(
        method=choice.method,
        chosen=total,
        # Keyed by the total number of segments, one-time groups included, and never more
        # than are offered.
        scores={kk + groups: v for kk, v in choice.scores.items() if kk + groups <= MAX_SEGMENTS},
        inertias={
            kk + groups: v for kk, v in choice.inertias.items() if kk + groups <= MAX_SEGMENTS
        },
        elbow=(
            choice.elbow + groups
            if choice.elbow is not None and choice.elbow + groups <= MAX_SEGMENTS
            else None
        ),
        sample_size=choice.sample_size,
        note=note,
        baseline_silhouette=fit.k_selection.baseline_silhouette,
    )


def by_size(labels: np.ndarray) -> np.ndarray:
    """New segment numbers by size, largest first (ties by old number), as everywhere else:
    ``remap[old]`` is the new number of segment ``old``."""
    sizes = np.bincount(labels)
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    remap = np.empty(len(sizes), dtype=np.int64)
    remap[order] = np.arange(len(sizes))
    return remap
