"""What to cluster: a small, meaningful set of value and behaviour measures.

With a handful of measures every one of them is used (the Mall Customers file: income and
spending score). With many, a marketer picks spend first (several spend-per-category columns as
their total and their mix), then how often and how recently customers buy, then what they can
afford; near-duplicates are collapsed, and long-tailed amounts are clustered on a log scale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from segmentation.model.roles import MEASURE_KINDS, REASONS, RoleKind, skewness
from segmentation.read.orders.dates import parse_dates

__all__ = ["Choice", "Derived", "add_derived", "choose_measures", "derive_profiles"]

# Up to this many measures are all used; beyond it a few are chosen.
FEW_MEASURES = 4
# Rank correlation above which two measures say the same thing.
NEAR_DUPLICATE = 0.9
# A non-negative measure is clustered on a log scale when its upper tail (median to 95th
# percentile) is more than this many times its lower one (5th percentile to median).
LONG_TAIL = 2.0
# A part of spend takes part in the mix when it holds at least this share of all spend.
MIX_SHARE = 0.15
_MIX_MOST = 3
_SAMPLE = 5_000
_TAIL_SAMPLE = 100_000


@dataclass(frozen=True)
class Derived:
    """A column computed from the file's own: a total, a share of a total, an age, a tenure.

    ``sources`` are the file's columns it is computed from; ``reference`` is the year ages are
    counted at, or the date (as days since 1970) tenures are counted to.
    """

    name: str
    how: Literal["sum", "share", "age", "tenure"]
    sources: tuple[str, ...]
    reference: float = 0.0


@dataclass(frozen=True)
class Choice:
    """The measures to cluster, the columns computed for them, and why, in one sentence."""

    features: tuple[str, ...]
    derived: tuple[Derived, ...]
    log_scale: tuple[str, ...]
    reason: str
    excluded: dict[str, str]


def choose_measures(df: pd.DataFrame, kinds: dict[str, RoleKind]) -> Choice:
    """Choose what to cluster among the measure columns of ``df`` (by ``kinds``)."""
    kinds = _spend_without_headers(df, kinds)
    measures = [c for c, k in kinds.items() if k in MEASURE_KINDS]
    numbers = [c for c, k in kinds.items() if k in (*MEASURE_KINDS, "demographic", "other")]
    codes = [c for c, k in kinds.items() if k in ("code", "flag")]
    if not numbers and any(kinds[c] == "code" for c in codes):
        # Nothing but codes (a survey of 1-5 answers): segmented on its categories.
        excluded = {c: REASONS[k] for c, k in kinds.items() if c not in codes and k in REASONS}
        reason = (
            "The file has no measures of value or behaviour, so segments use its codes and "
            f"flags: {_join(codes[:10])}" + (" and more." if len(codes) > 10 else ".")
        )
        return Choice(tuple(codes), (), (), reason, excluded)
    if len(measures) <= FEW_MEASURES:
        features = (
            measures
            if len(measures) >= 2
            else [c for c, k in kinds.items() if k in (*MEASURE_KINDS, "demographic", "other")]
        )
        excluded = {c: REASONS[k] for c, k in kinds.items() if c not in features and k in REASONS}
        logged = _long_tailed(df, features)
        return Choice(tuple(features), (), logged, _few_reason(features, logged), excluded)
    return _design(df, kinds, measures)


def _design(df: pd.DataFrame, kinds: dict[str, RoleKind], measures: list[str]) -> Choice:
    by_kind = {k: [c for c in measures if kinds[c] == k] for k in MEASURE_KINDS}
    derived: list[Derived] = []
    chosen: list[str] = []
    said: list[str] = []
    spend, spend_derived, spend_words = _spend_design(df, by_kind["spend"])
    derived += spend_derived
    chosen += spend
    said += spend_words
    frequency = _representative(df, by_kind["frequency"], prefer=_words_of(by_kind["spend"]))
    for role, column in (
        ("how often they buy", frequency),
        ("how recently they bought", by_kind["recency"][0] if by_kind["recency"] else None),
        ("what they can afford", by_kind["capacity"][0] if by_kind["capacity"] else None),
    ):
        if column is not None:
            chosen.append(column)
            said.append(f"{role} ({column})")
    if not chosen:  # measures, but none of value or behaviour: use them, minus duplicates
        chosen = list(by_kind["measure"])
        said = [", ".join(chosen)]
    frame = add_derived(df, derived)
    chosen, duplicates = _collapse(frame, chosen)
    excluded = {c: REASONS[k] for c, k in kinds.items() if c not in chosen and k in REASONS}
    for column in measures:
        if column not in chosen and not any(column in d.sources for d in derived):
            excluded[column] = REASONS["unchosen"]
    excluded.update(duplicates)
    for d in derived:
        for part in d.sources:
            if part not in chosen:
                excluded[part] = f"part of {_spend_total(derived, chosen)}: profiled, not clustered"
    logged = _long_tailed(frame, chosen)
    reason = (
        f"Segments are shaped by {_join(said)}: spend first, then how customers buy"
        + (" (long-tailed amounts on a log scale)" if logged else "")
        + "; the other measures are profiled."
    )
    return Choice(tuple(chosen), tuple(derived), logged, reason, excluded)


def _spend_total(derived: list[Derived], chosen: list[str]) -> str:
    """The spend total that a part of spend adds up to."""
    sums = [d.name for d in derived if d.how == "sum"]
    return sums[0] if sums else chosen[0]


def _spend_design(df: pd.DataFrame, spend: list[str]) -> tuple[list[str], list[Derived], list[str]]:
    """Spend as one total plus the mix of its largest parts."""
    if not spend:
        return [], [], []
    if len(spend) == 1:
        return [spend[0]], [], [f"spend ({spend[0]})"]
    total, parts = _total_and_parts(df, spend)
    derived: list[Derived] = []
    if total is None:
        total = _unused_name(df, "Total spend")
        derived.append(Derived(total, "sum", tuple(parts)))
    sums = df[parts].clip(lower=0).sum()
    shares = sums / max(float(sums.sum()), 1e-12)
    big = [p for p in parts if shares[p] >= MIX_SHARE][:_MIX_MOST]
    if len(parts) == 2 or len(big) == len(parts):
        big = big[:-1]  # the last share is what the others leave
    for part in big:
        derived.append(Derived(_unused_name(df, f"{part} share"), "share", tuple([part, *parts])))
    features = [total] + [d.name for d in derived if d.how == "share"]
    words = [
        f"total spend ({total}"
        + (f", the sum of {', '.join(parts)})" if derived and derived[0].how == "sum" else ")")
    ]
    if big:
        words.append("the spend mix (share of " + _join(big) + ")")
    return features, derived, words


def _total_and_parts(df: pd.DataFrame, spend: list[str]) -> tuple[str | None, list[str]]:
    """A column that is the sum of the others (card ``purchases`` = one-off + instalments)."""
    values = df[spend].iloc[:_SAMPLE].astype(float)
    for total in spend:
        others = [c for c in spend if c != total]
        gap = (values[total] - values[others].sum(axis=1)).abs()
        scale = max(float(values[total].abs().median()), 1.0)
        if float(gap.median()) <= 0.01 * scale and float(gap.quantile(0.9)) <= 0.05 * scale:
            return total, others
    return None, spend


def _representative(df: pd.DataFrame, columns: list[str], prefer: set[str]) -> str | None:
    """The column that agrees most with the others of its kind."""
    if not columns:
        return None
    related = [c for c in columns if _words_of([c]) & prefer] or columns
    if len(related) == 1:
        return related[0]
    ranks = df[related].iloc[:_SAMPLE].rank().fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(ranks, rowvar=False))
    agreement = np.abs(corr).sum(axis=0)
    return related[int(np.argmax(agreement))]


def _collapse(frame: pd.DataFrame, chosen: list[str]) -> tuple[list[str], dict[str, str]]:
    """Drop a measure that ranks customers as an earlier one does (rank correlation > 0.9)."""
    ranks = frame[chosen].iloc[:_SAMPLE].rank().fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(ranks, rowvar=False)) if len(chosen) > 1 else None
    kept: list[int] = []
    dropped: dict[str, str] = {}
    for j, column in enumerate(chosen):
        twin = next(
            (i for i in kept if corr is not None and abs(corr[i, j]) > NEAR_DUPLICATE), None
        )
        if twin is None:
            kept.append(j)
        else:
            dropped[column] = f"a near-duplicate of {chosen[twin]}: profiled, not clustered"
    return [chosen[i] for i in kept], dropped


def _spend_without_headers(df: pd.DataFrame, kinds: dict[str, RoleKind]) -> dict[str, RoleKind]:
    """Three or more unnamed long-tailed amounts (Fresh, Milk, ...) are spend per category."""
    amounts = [c for c, k in kinds.items() if k == "other" and _is_amount(df[c])]
    if len(amounts) < 3 or any(k == "spend" for k in kinds.values()):
        return kinds
    return {c: ("spend" if c in amounts else k) for c, k in kinds.items()}


def _is_amount(series: pd.Series) -> bool:
    values = series.dropna().to_numpy(dtype=float)
    if values.size < 10 or (values < 0).any():
        return False
    return (
        float(np.median(values)) >= 10
        and len(np.unique(values[:_SAMPLE])) >= min(50, values.size // 5)
        and skewness(values) > 1.0
    )


def _long_tailed(frame: pd.DataFrame, features: list[str]) -> tuple[str, ...]:
    """Non-negative measures whose upper tail reaches far beyond their lower one (spend,
    credit limits); one extreme value alone (an income of 666,666) does not make a tail."""
    out = []
    for column in features:
        values = frame[column].to_numpy(dtype=float)
        values = values[:: max(1, len(values) // _TAIL_SAMPLE)]
        finite = values[np.isfinite(values)]
        if finite.size < 10 or finite.min() < 0 or finite.max() <= 1:
            continue
        low, middle, high = np.percentile(finite, [5, 50, 95])
        if high - middle > LONG_TAIL * max(middle - low, 1e-12):
            out.append(column)
    return tuple(out)


def add_derived(df: pd.DataFrame, derived: tuple[Derived, ...] | list[Derived]) -> pd.DataFrame:
    """``df`` with the derived columns appended (a copy only when there are any)."""
    if not derived:
        return df
    extra = {d.name: _compute(df, d) for d in derived}
    return pd.concat([df, pd.DataFrame(extra, index=df.index)], axis=1)


def _compute(df: pd.DataFrame, d: Derived) -> pd.Series:
    if d.how == "sum":
        return df[list(d.sources)].astype(float).sum(axis=1, min_count=len(d.sources))
    if d.how == "share":
        part = df[d.sources[0]].astype(float).clip(lower=0)
        total = df[list(d.sources[1:])].astype(float).clip(lower=0).sum(axis=1)
        overall = float(part.sum()) / max(float(total.sum()), 1e-12)
        # Customers who spent nothing have no mix; they sit at the base's overall share.
        return (part / total.where(total > 0)).fillna(overall).where(part.notna())
    if d.how == "age":
        return d.reference - df[d.sources[0]].astype(float)
    days = parse_dates(df[d.sources[0]])[0]
    since = (d.reference - days.astype("int64") / 86_400e9).where(days.notna())
    return (since / 30.44).round(1)


def derive_profiles(df: pd.DataFrame, kinds: dict[str, RoleKind]) -> tuple[Derived, ...]:
    """An age for each birth-year column, a tenure (in months) for each date column."""
    dates = [c for c, k in kinds.items() if k == "date"]
    parsed = {c: parse_dates(df[c])[0] for c in dates}
    latest = [p.max() for p in parsed.values() if p.notna().any()]
    reference = max(latest) if latest else None
    out: list[Derived] = []
    for column, kind in kinds.items():
        if kind == "birth_year":
            year = reference.year if reference is not None else pd.Timestamp.today().year
            name = "Age" if "age" not in {str(c).lower() for c in df.columns} else f"Age ({column})"
            out.append(Derived(name, "age", (column,), float(year)))
        elif kind == "date" and reference is not None and parsed[column].notna().any():
            days = reference.value / 86_400e9
            out.append(
                Derived(
                    _unused_name(df, f"Tenure (months since {column})"), "tenure", (column,), days
                )
            )
    return tuple(out)


def _unused_name(df: pd.DataFrame, name: str) -> str:
    taken = {str(c).casefold() for c in df.columns}
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate, n = f"{name} {n}", n + 1
    return candidate


def _words_of(columns: list[str]) -> set[str]:
    out: set[str] = set()
    for c in columns:
        spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(c))
        out |= {t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if len(t) > 3}
    return out


def _few_reason(features: list[str], logged: tuple[str, ...]) -> str:
    scale = f" ({_join(list(logged))} on a log scale: a few very large values)" if logged else ""
    return f"Segments use every measure of value or behaviour found: {_join(features)}{scale}."


def _join(parts: list[str]) -> str:
    return "".join(parts) if len(parts) <= 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
