"""The silhouette's k is not the last word: customers their segment's name does not fit get a
segment of their own when they are many (k chosen); with k given, a segment no name fits is
split and the two closest segments merged, so that k stays what was asked for. Last, customers
whose segment's name does not fit them join the segment whose name does, so that a customer
whose behaviour did not change keeps their name from one month's file to the next.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from segmentation.model.clustering import MIN_ROWS
from segmentation.model.rfm.grouping import MAX_SEGMENTS, Grouping, by_size
from segmentation.model.rfm.names import NAMES, Habits, name_fits
from segmentation.model.rfm.naming import name_segments

# Customers a segment's name does not fit become a segment of their own when they are at least
# this share of the segment and _MIN_HIDDEN_SHARE of all customers (and MIN_ROWS).
_HIDDEN_SHARE = 0.25
_MIN_HIDDEN_SHARE = 0.03
# Names that may hide a sharper kind worth a campaign of its own, and how clearly apart in spend
# that kind must stand (see _sharper_part).
_SHARPER = {"At risk": "Can't lose them", "Loyal": "Champions"}
_CLEAR_GAP = 4.0
# The least spread of log spend counted within a part (a tenth: about 10% in spend).
_MIN_SPREAD = 0.1
# Moving customers changes the segments' medians and so, rarely, a name; a few rounds settle it.
_MOVE_ROUNDS = 3


def split_hidden_groups(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    grouping: Grouping,
    habits: Habits,
    space: np.ndarray,
) -> Grouping:
    """Give the customers a segment's name does not fit a segment of their own, while they are
    many: a regular gone quiet among champions, new customers among regulars, champions among
    the loyal. Then move the few left to the segments whose names fit them (``space`` is the
    clustered space, shape (n, measures)); see :func:`move_to_fitting_names`."""
    grouping = _split_hidden(customers, features, grouping, habits)
    return move_to_fitting_names(customers, features, grouping, habits, space)


def _smallest_part(n: int) -> int:
    """The fewest customers worth a segment, or a block worth moving, among ``n``."""
    return max(MIN_ROWS, int(np.ceil(_MIN_HIDDEN_SHARE * n)))


def _split_hidden(
    customers: pd.DataFrame, features: tuple[str, ...], grouping: Grouping, habits: Habits
) -> Grouping:
    labels = grouping.labels.copy()
    fixed = dict(grouping.one_time_groups)
    smallest = _smallest_part(len(labels))
    split: list[str] = []
    settled = set(fixed)
    naming = name_segments(customers, features, labels, fixed, habits)
    while int(labels.max()) + 1 < MAX_SEGMENTS:
        k = int(labels.max()) + 1
        sizes = np.bincount(labels, minlength=k)
        hidden = np.bincount(labels[naming.misfits], minlength=k)
        worthy = (hidden >= smallest) & (hidden >= _HIDDEN_SHARE * sizes)
        # A segment no name fits is split however small the part that does not fit.
        worthy |= np.asarray(naming.unfit) & (hidden >= MIN_ROWS)
        worthy[list(settled)] = False
        parts = {int(j): (labels == j) & naming.misfits for j in np.flatnonzero(worthy)}
        if not parts:
            for j in set(range(k)) - settled:
                part = _sharper_part(labels == j, naming.bases[j], habits, smallest)
                if part is not None:
                    parts[j] = part
        if not parts:
            break
        i = max(parts, key=lambda j: (int(parts[j].sum()), -j))
        trial = labels.copy()
        trial[parts[i]] = k
        renamed = name_segments(customers, features, trial, fixed, habits)
        # A split is kept only when it reveals another kind of customer: the same name twice
        # ("At risk (more recent)", "At risk (less recent)") is a cut of a continuum. A
        # segment no name fits is split all the same.
        if not naming.unfit[i] and (
            renamed.bases[k] in (renamed.bases[i], naming.bases[i])
            or len(set(renamed.bases)) < len(renamed.bases)
        ):
            settled.add(i)
            continue
        split.append(naming.bases[i])
        labels, naming = trial, renamed
    if not split:
        return grouping
    remap = by_size(labels)
    total = len(remap)
    note = (
        f"{grouping.k_selection.note} Then {_count(len(split), 'segment')} that mixed customers "
        f"of different kinds ({', '.join(dict.fromkeys(split))}) "
        f"{'was' if len(split) == 1 else 'were'} split, so that each segment's name fits most "
        f"of its customers: {total} segments in all."
    )
    selection = replace(grouping.k_selection, chosen=total, note=note)
    one_time = {int(remap[i]): name for i, name in fixed.items()}
    # The one-time buyers' segments never split: every new segment is among repeat buyers.
    repeat_k = None if grouping.repeat_k is None else grouping.repeat_k + len(split)
    return Grouping(remap[labels], selection, one_time, repeat_k)


def _sharper_part(
    members: np.ndarray, base: str, habits: Habits, smallest: int
) -> np.ndarray | None:
    """The big spenders of a segment named ``base`` who stand clearly apart from the rest in
    spend (orders without amounts) and whom a sharper name fits (champions among the loyal,
    can't-lose customers among the at risk), when they are at least ``smallest``; else None.

    The block is the top of the segment by spend among the customers its name fits, cut where
    the two sides stand furthest apart in log spend; "clearly" is a gap of at least _CLEAR_GAP
    pooled standard deviations. One group cut at its widest gives about 2.7 (normal) and up to
    3.7 (log of a gamma's spend, skewed); steady champions among the loyal of the generated
    shops stand 4.8 to 5.7 apart. The sharper name
    must fit most of the block.
    """
    sharper = _SHARPER.get(base)
    if sharper is None:
        return None
    value = habits.frequency if habits.monetary is None else habits.monetary
    # Among the customers the segment's own name fits: the others (new customers among the
    # loyal) widen its spread without being what the block hides in.
    rows = np.flatnonzero(members & name_fits(base, habits))
    if len(rows) < 2 * smallest:
        return None
    v = np.log1p(np.clip(value[rows], 0.0, None))
    order = np.argsort(v, kind="stable")
    gap, cut = _widest_cut(v[order], smallest)
    if gap < _CLEAR_GAP:
        return None
    block = np.zeros_like(members)
    block[rows[order[cut:]]] = True
    if name_fits(sharper, habits)[block].mean() <= 0.5:
        return None
    return block


def _widest_cut(v: np.ndarray, smallest: int) -> tuple[float, int]:
    """Where sorted ``v`` splits into a lower and upper part (each at least ``smallest``) whose
    means stand furthest apart in pooled standard deviations: (that distance, first upper index).
    """
    n = len(v)
    cuts = np.arange(smallest, n - smallest + 1)
    total, total_sq = np.cumsum(v), np.cumsum(v * v)
    lo_n, hi_n = cuts.astype(np.float64), (n - cuts).astype(np.float64)
    lo_sum, lo_sq = total[cuts - 1], total_sq[cuts - 1]
    hi_sum, hi_sq = total[-1] - lo_sum, total_sq[-1] - lo_sq
    lo_mean, hi_mean = lo_sum / lo_n, hi_sum / hi_n
    # Within-part sums of squares, pooled over both parts.
    within = (lo_sq - lo_n * lo_mean**2) + (hi_sq - hi_n * hi_mean**2)
    # A floor on the spread: whole numbers of orders (no amounts) leave parts with none.
    pooled = np.maximum(np.sqrt(np.clip(within, 0.0, None) / n), _MIN_SPREAD)
    gaps = (hi_mean - lo_mean) / pooled
    best = int(np.argmax(gaps))
    return float(gaps[best]), int(cuts[best])


def move_to_fitting_names(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    grouping: Grouping,
    habits: Habits,
    space: np.ndarray,
) -> Grouping:
    """Move customers whose segment's name does not fit them to the segment whose name does
    (the nearest in ``space``, shape (n, measures), when several do), and a block of champions
    hidden among the loyal (can't-lose customers among the at risk, see :func:`_sharper_part`)
    to the segment named for them. The number of segments stays; one-time buyers set apart
    stay where the rule put them.

    K-means draws its borders where the distances say; the names follow rules about each
    customer. Left alone, a steady champion lands with the regulars one month and with the
    champions the next, and the answer reports movement where there was none.
    """
    labels = grouping.labels.copy()
    fixed = set(grouping.one_time_groups)
    std = space.std(axis=0)
    Z = space / np.where(std > 0, std, 1.0)
    smallest = _smallest_part(len(labels))
    fits = {name: name_fits(name, habits) for name in NAMES}
    moved = np.zeros(len(labels), dtype=bool)
    for _ in range(_MOVE_ROUNDS):
        naming = name_segments(customers, features, labels, grouping.one_time_groups, habits)
        k = int(labels.max()) + 1
        free = [j for j in range(k) if j not in fixed]
        target = np.full(len(labels), -1)
        for j in free:
            sharper = _SHARPER.get(naming.bases[j])
            home = [s for s in free if naming.bases[s] == sharper]
            block = _sharper_part(labels == j, naming.bases[j], habits, smallest) if home else None
            if block is not None:
                target[block] = home[0]
        centres = np.stack([Z[labels == j].mean(axis=0) for j in range(k)])
        for j in free:
            if naming.unfit[j]:
                continue
            lost = np.flatnonzero((labels == j) & naming.misfits & (target < 0))
            homes = [s for s in free if s != j and not naming.unfit[s]]
            if not len(lost) or not homes:
                continue
            fit = np.column_stack([fits[naming.bases[s]][lost] for s in homes])
            dist = np.linalg.norm(Z[lost, None, :] - centres[None, homes, :], axis=2)
            dist[~fit] = np.inf
            best = np.argmin(dist, axis=1)
            ok = np.isfinite(dist[np.arange(len(lost)), best])
            target[lost[ok]] = np.asarray(homes)[best[ok]]
        going = target >= 0
        if not going.any():
            break
        labels[going] = target[going]
        moved |= going
    if not moved.any():
        return grouping
    remap = by_size(labels)
    count = int(moved.sum())
    note = (
        f"{grouping.k_selection.note} {count:,} {'customer' if count == 1 else 'customers'} whose "
        "segment's name did not fit them "
        f"{'were' if count > 1 else 'was'} moved to the segment whose name does."
    )
    selection = replace(grouping.k_selection, note=note)
    one_time = {int(remap[i]): name for i, name in grouping.one_time_groups.items()}
    return Grouping(remap[labels], selection, one_time, grouping.repeat_k)


def rename_within_k(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    grouping: Grouping,
    habits: Habits,
    space: np.ndarray,
) -> Grouping:
    """With k given, a segment that no name fits is split in two (the customers its best name
    fits, and the others) and the two closest segments that a name still fits together are
    merged, so that k stays what was asked for; then customers move to the segments whose names
    fit them (:func:`move_to_fitting_names`)."""
    grouping = _rename_within_k(customers, features, grouping, habits, space)
    return move_to_fitting_names(customers, features, grouping, habits, space)


def _rename_within_k(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    grouping: Grouping,
    habits: Habits,
    space: np.ndarray,
) -> Grouping:
    labels = grouping.labels.copy()
    fixed = dict(grouping.one_time_groups)
    std = space.std(axis=0)
    Z = space / np.where(std > 0, std, 1.0)
    fits = np.column_stack([name_fits(name, habits) for name in NAMES[:-1]]).astype(np.float64)
    changed = False
    for _ in range(MAX_SEGMENTS):
        naming = name_segments(customers, features, labels, fixed, habits)
        unfit = [i for i, u in enumerate(naming.unfit) if u]
        k = int(labels.max()) + 1
        if not unfit:
            break
        i = unfit[0]
        trial = labels.copy()
        trial[(labels == i) & naming.misfits] = k
        merge = _closest_nameable_pair(trial, Z, fits, set(fixed))
        if merge is None:
            break
        keep, gone = merge
        trial[trial == gone] = keep
        # Close the gap left by the merged segment.
        trial[trial > gone] -= 1
        fixed = {j - (j > gone): name for j, name in fixed.items()}
        labels, changed = trial, True
    if not changed:
        return grouping
    remap = by_size(labels)
    one_time = {int(remap[j]): name for j, name in fixed.items()}
    note = (
        f"{grouping.k_selection.note} A segment that no single name fitted was split and the "
        "two closest segments merged, so that each name fits most of its customers."
    )
    selection = replace(grouping.k_selection, note=note)
    return Grouping(remap[labels], selection, one_time, grouping.repeat_k)


def _closest_nameable_pair(
    labels: np.ndarray, Z: np.ndarray, fits: np.ndarray, fixed: set[int]
) -> tuple[int, int] | None:
    """The two segments with the nearest centres whose customers one name fits most of."""
    k = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    centres = np.stack([Z[labels == j].mean(axis=0) for j in range(k)])
    fitted = np.stack([fits[labels == j].sum(axis=0) for j in range(k)])
    best: tuple[float, int, int] | None = None
    for a in range(k):
        for b in range(a + 1, k):
            if a in fixed or b in fixed:
                continue
            if ((fitted[a] + fitted[b]) / (sizes[a] + sizes[b])).max() <= 0.5:
                continue
            d = float(np.linalg.norm(centres[a] - centres[b]))
            if best is None or d < best[0]:
                best = (d, a, b)
    return None if best is None else (best[1], best[2])


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
