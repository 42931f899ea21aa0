"""The silhouette's k is not the last word: customers their segment's name does not fit get a
segment of their own when they are many (k chosen); with k given, a segment no name fits is
split and the two closest segments merged, so that k stays what was asked for.
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


def split_hidden_groups(
    customers: pd.DataFrame, features: tuple[str, ...], grouping: Grouping, habits: Habits
) -> Grouping:
    """Give the customers a segment's name does not fit a segment of their own, while they are
    many: a regular gone quiet among champions, new customers among regulars."""
    labels = grouping.labels.copy()
    fixed = dict(grouping.one_time_groups)
    n = len(labels)
    smallest = max(MIN_ROWS, int(np.ceil(_MIN_HIDDEN_SHARE * n)))
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
    """The customers of a segment named ``base`` whom a sharper name fits (can't-lose customers
    among the at risk, champions among the loyal), when they are many but not nearly all and
    stand clearly apart in spend (orders without amounts); else None.

    "Clearly" is a gap of at least _CLEAR_GAP pooled standard deviations of log spend: on the
    generated shops, cutting one planted group by the sharper name's rule gives 2.0 to 3.2,
    lapsed regulars who spent ~800 next to lapsed big spenders who spent ~4,000 give 5.3 to 6.3
    (a normal distribution cut at its top third gives about 2.4).
    """
    sharper = _SHARPER.get(base)
    if sharper is None:
        return None
    part = members & name_fits(sharper, habits)
    size, hidden = int(members.sum()), int(part.sum())
    if hidden < smallest or not _HIDDEN_SHARE * size <= hidden <= (1 - _HIDDEN_SHARE) * size:
        return None
    value = habits.frequency if habits.monetary is None else habits.monetary
    v = np.log1p(np.clip(value, 0.0, None))
    inside, rest = v[part], v[members & ~part]
    pooled = np.sqrt((inside.var() * len(inside) + rest.var() * len(rest)) / size)
    if pooled == 0 or (inside.mean() - rest.mean()) / pooled < _CLEAR_GAP:
        return None
    return part


def rename_within_k(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    grouping: Grouping,
    habits: Habits,
    space: np.ndarray,
) -> Grouping:
    """With k given, a segment that no name fits is split in two (the customers its best name
    fits, and the others) and the two closest segments that a name still fits together are
    merged, so that k stays what was asked for."""
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
