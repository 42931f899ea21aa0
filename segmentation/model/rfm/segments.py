"""RFM segments from an order log: cluster customers on recency, frequency and spend, and name
the segments the way marketers already do (Champions, At risk, Lost, ...).

When most customers bought only once, "one-time against repeat buyers" is the obvious split and
says nothing new; the one-time buyers then form their own segment(s) and the clustering is spent
on the repeat buyers, where the useful differences are.

A segment carries a name only when the name fits most of its customers one by one (the rules
are in ``rfm_names``), and the silhouette's choice of k is not the last word: customers that
their segment's name does not fit, when they are many and another kind, get a segment of their
own, so that a group a marketer would act on (regulars gone quiet) is never hidden in another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from segmentation.errors import InvalidOption, UnknownColumn
from segmentation.explain.describe import level_of, profile_segment, segment_color
from segmentation.explain.voice import confidence_line, orders_priority
from segmentation.model.clustering import (
    CLEAR_SILHOUETTE,
    K_RANGE,
    MIN_ROWS,
    SILHOUETTE_ROWS,
    WEAK_SILHOUETTE,
    Fit,
    fit_segments,
    refit_labels,
    silhouette_from_distances,
)
from segmentation.model.rfm.names import (
    NAMES,
    Habits,
    assign_names,
    customer_habits,
    fit_shares,
    name_fits,
)
from segmentation.model.stability import segment_stability, stability_warning
from segmentation.read.orders import CustomerTable, OrderColumns, build_customer_table, format_money
from segmentation.result import KSelection, Level, Options, Segment, SegmentationResult

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
# Customers a segment's name does not fit become a segment of their own when they are at least
# this share of the segment and _MIN_HIDDEN_SHARE of all customers (and MIN_ROWS).
_HIDDEN_SHARE = 0.25
_MIN_HIDDEN_SHARE = 0.03
# Names that may hide a sharper kind worth a campaign of its own, and how clearly apart in spend
# that kind must stand (see _sharper_part).
_SHARPER = {"At risk": "Can't lose them", "Loyal": "Champions"}
_CLEAR_GAP = 4.0

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
        Its columns, from :func:`segmentation.read.orders.detect_order_log` or
        :func:`segmentation.read.orders.find_order_columns`.
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
    habits = customer_habits(customers)

    frequency = customers["frequency"].to_numpy()
    one_time = frequency == 1
    one_share = float(one_time.mean())
    warnings = list(table.warnings)

    # K-means on a few thousand rows gains little from threads, and its OpenMP threads stall
    # badly when other jobs share the cores (CDNOW: 37 s instead of 4 s on a busy machine).
    with threadpool_limits(limits=1):
        space = _cluster_space(X, features, habits)
        grouping = _group(space, one_time, habits, options)
    before_split = int(grouping.labels.max()) + 1
    if options.k is None:
        grouping = _split_hidden_groups(customers, features, grouping, habits)
    else:
        grouping = _rename_within_k(customers, features, grouping, habits, space)
    labels = grouping.labels
    k = int(labels.max()) + 1
    silhouette = _overall_silhouette(space, labels, options.seed)

    naming = _name_segments(customers, features, labels, grouping.one_time_groups, habits)
    segments = _describe(customers, labels, naming, table)
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
        # The number is in --json and report.md; the message says what it means.
        warnings.append(
            "These customers do not fall into clear groups: the segments are cuts of a "
            "continuum, useful for targeting but not natural types."
        )

    # Stability (clusterboot) in the space the segments were clustered in. The refit replays
    # the grouping in small: one-time buyers set apart stay in the groups the rule put them in
    # (a rule, not a fit, so they are as stable as the rule), and everyone else is refitted by
    # K-means with the same number of segments. Finer rules of the grouping are not replayed.
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

    stability = segment_stability(np.column_stack([space, fixed]), labels, refit, seed=options.seed)
    segments = [replace(s, stability=v) for s, v in zip(segments, stability, strict=True)]
    untrusted = stability_warning([(s.name, s.stability) for s in segments])
    if untrusted:
        warnings.append(untrusted)
    priority, confidence = _voice(
        customers, labels, naming, segments, grouping, table.currency, silhouette, before_split
    )

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
        priority=priority,
        confidence=confidence,
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
                "refunded": cols.refunded,
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


def _cluster_space(X: np.ndarray, features: tuple[str, ...], habits: Habits) -> np.ndarray:
    """The measures plus, with recency, recency in units of each customer's own purchase cycle
    (log-scaled): a regular silent for six times their usual gap is at risk even where six
    months of silence is common, and plain recency cannot tell."""
    if "recency_days" not in features:
        return X
    return np.column_stack([X, np.log1p(habits.overdue)])


def _group(
    X: np.ndarray,
    one_time: np.ndarray,
    habits: Habits,
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
    recent_once = one_time & habits.recent
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

    remap = _by_size(provisional)
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


def _split_hidden_groups(
    customers: pd.DataFrame, features: tuple[str, ...], grouping: _Grouping, habits: Habits
) -> _Grouping:
    """Give the customers a segment's name does not fit a segment of their own, while they are
    many: a regular gone quiet among champions, new customers among regulars."""
    labels = grouping.labels.copy()
    fixed = dict(grouping.one_time_groups)
    n = len(labels)
    smallest = max(MIN_ROWS, int(np.ceil(_MIN_HIDDEN_SHARE * n)))
    split: list[str] = []
    settled = set(fixed)
    naming = _name_segments(customers, features, labels, fixed, habits)
    while int(labels.max()) + 1 < _MAX_SEGMENTS:
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
        renamed = _name_segments(customers, features, trial, fixed, habits)
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
    remap = _by_size(labels)
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
    return _Grouping(remap[labels], selection, one_time, repeat_k)


def _by_size(labels: np.ndarray) -> np.ndarray:
    """New segment numbers by size, largest first (ties by old number), as everywhere else:
    ``remap[old]`` is the new number of segment ``old``."""
    sizes = np.bincount(labels)
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    remap = np.empty(len(sizes), dtype=np.int64)
    remap[order] = np.arange(len(sizes))
    return remap


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


def _rename_within_k(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    grouping: _Grouping,
    habits: Habits,
    space: np.ndarray,
) -> _Grouping:
    """With k given, a segment that no name fits is split in two (the customers its best name
    fits, and the others) and the two closest segments that a name still fits together are
    merged, so that k stays what was asked for."""
    labels = grouping.labels.copy()
    fixed = dict(grouping.one_time_groups)
    std = space.std(axis=0)
    Z = space / np.where(std > 0, std, 1.0)
    fits = np.column_stack([name_fits(name, habits) for name in NAMES[:-1]]).astype(np.float64)
    changed = False
    for _ in range(_MAX_SEGMENTS):
        naming = _name_segments(customers, features, labels, fixed, habits)
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
    remap = _by_size(labels)
    one_time = {int(remap[j]): name for j, name in fixed.items()}
    note = (
        f"{grouping.k_selection.note} A segment that no single name fitted was split and the "
        "two closest segments merged, so that each name fits most of its customers."
    )
    selection = replace(grouping.k_selection, note=note)
    return _Grouping(remap[labels], selection, one_time, grouping.repeat_k)


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


@dataclass(frozen=True)
class _Naming:
    names: list[str]  # one per segment, unique (qualified where a name repeats)
    bases: list[str]  # the same without qualifiers
    levels: list[dict[str, Level]]
    medians: pd.DataFrame  # (k, measures) in plain units
    misfits: np.ndarray  # (n,) True where the segment's name does not fit the customer
    unfit: list[bool]  # no name fits most of the segment (it carries the best-fitting one)


def _name_segments(
    customers: pd.DataFrame,
    features: tuple[str, ...],
    labels: np.ndarray,
    fixed: dict[int, str],
    habits: Habits,
) -> _Naming:
    """Name every segment with a name that fits most of its customers (see ``rfm_names``)."""
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
        pos = {c: _position(float(medians.at[i, c]), ranked[c]) for c in measures}
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
    return _Naming(names, bases, levels, medians, misfits, unfit)


def _describe(
    customers: pd.DataFrame,
    labels: np.ndarray,
    naming: _Naming,
    table: CustomerTable,
) -> list[Segment]:
    k = int(labels.max()) + 1
    n = len(customers)
    sizes = np.bincount(labels, minlength=k)
    names, levels, medians = naming.names, naming.levels, naming.medians
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
                centroid={c: float(medians.at[i, c]) for c in levels[i]},
                profile=profile_segment(customers.loc[labels == i], profiled),
                description=f"{character} {numbers} {action}",
                color=color,
                marker=marker,
            )
        )
    return segments


def _voice(
    customers: pd.DataFrame,
    labels: np.ndarray,
    naming: _Naming,
    segments: list[Segment],
    grouping: _Grouping,
    currency: str | None,
    silhouette: float,
    before_split: int,
) -> tuple[str, str]:
    """The priority line and the closing confidence line (see :mod:`segmentation.explain.voice`)."""
    k = len(segments)
    totals = (
        np.bincount(labels, weights=customers["monetary"].to_numpy(np.float64), minlength=k)
        if "monetary" in customers.columns
        else None
    )
    priority = orders_priority(
        segments,
        naming.bases,
        [_TEXT[b][1] for b in naming.bases],
        None if totals is None else [float(t) for t in totals],
        [float(v) for v in naming.medians["recency_days"]],
        currency,
    )
    if grouping.k_selection.method == "given":
        how = f"{k} segments because you asked for {k}"
    elif grouping.one_time_groups:
        how = "one-time buyers set apart, and the repeat buyers split where they separated best"
    else:
        how = f"{before_split} was the number that separated them best"
    if k > before_split:
        extra = k - before_split
        how += f", then {extra} more from segments that mixed different kinds of customers"
    confidence = confidence_line(
        weak=silhouette < WEAK_SILHOUETTE,
        clear=silhouette >= CLEAR_SILHOUETTE,
        k=k,
        how=how,
        stabilities=[s.stability for s in segments],
    )
    return priority, confidence


def _position(value: float, ranked: np.ndarray) -> float:
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
