"""What a column of a customer table is, read from its values first and its header second.

A marketer segments on value and behaviour (spend, how often, how recently, what they can
afford) and describes the segments by everything else. Codes and flags (a channel 1/2, a region
1/2/3, children at home 0/1/2, a 0/1 campaign response) are categories, never amounts; a signup
date is a tenure and a birth year an age, not personal data.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from segmentation.read.orders.dates import DATE_LIKE, parse_dates

__all__ = [
    "MEASURE_KINDS",
    "REASONS",
    "RoleKind",
    "column_kind",
    "is_code_like",
    "skewness",
    "with_category_labels",
]

RoleKind = Literal[
    "code",
    "flag",
    "category",
    "text",
    "date",
    "birth_year",
    "spend",
    "frequency",
    "recency",
    "capacity",
    "measure",
    "demographic",
    "other",
]
# Numbers that may be segmented on (in this order of preference when there are many).
MEASURE_KINDS: tuple[RoleKind, ...] = ("spend", "frequency", "recency", "capacity", "measure")

# Why a column is not clustered, in a few words (shown under "Not used for segments").
REASONS: dict[str, str] = {
    "code": "a code: profiled per segment as shares, not clustered as an amount",
    "flag": "a yes/no flag: profiled per segment as shares, not clustered as an amount",
    "category": "a category: profiled per segment",
    "text": "text with many different values",
    "date": "a date: profiled as tenure (time since it), not clustered",
    "birth_year": "a birth year: profiled as age, not clustered",
    "demographic": "demographic: profiled, not clustered",
    "other": "not a behaviour or value column: profiled, not clustered",
    "unchosen": "a measure beyond the few that shape the segments: profiled, not clustered",
    "not_asked": "not among the columns asked for: profiled, not clustered",
}

# A code repeats: each of its values on at least this many rows on average.
_CODE_REPEATS = 5
_CODE_MOST_VALUES = 10
_TEXT_CATEGORY_VALUES = 30

_RECENCY = {"recency", "since", "ago", "last"}
_COUNT = {"frequency", "freq", "num", "count", "trx", "times", "nb"}
_SPEND = {
    "spend", "spending", "spent", "mnt", "amount", "revenue", "sales", "monetary",
    "expenditure", "value", "basket", "aov", "ltv", "clv", "profit", "margin", "turnover",
}  # fmt: skip
_CAPACITY = {"income", "salary", "wage", "wages", "earnings", "wealth", "limit", "budget"}
_EVENTS = {
    "orders", "order", "visits", "visit", "purchases", "purchase", "transactions",
    "transaction", "sessions", "logins", "clicks", "calls", "bookings", "trips",
}  # fmt: skip
_MEASURE = {
    "score", "points", "loyalty", "balance", "payments", "payment", "credit", "tenure",
    "days", "minutes", "usage", "quantity", "qty", "items", "units", "total", "avg",
    "average", "views", "bought", "advance", "cash", "lifetime", "installment",
}  # fmt: skip
_DEMOGRAPHIC = {
    "age", "gender", "genre", "sex", "city", "country", "region", "state", "province", "town",
    "marital", "married", "education", "occupation", "profession", "job", "children", "kids",
    "kid", "kidhome", "teenhome", "family", "household", "dependents", "nationality",
    "language", "ethnicity", "religion", "generation", "location", "area", "store", "channel",
}  # fmt: skip
_BIRTH = {"birth", "born", "yob", "birthyear"}


def column_kind(series: pd.Series, words: set[str]) -> RoleKind:
    """The role of a column that is neither personal, constant nor an identifier.

    ``words`` are the header's lower-case tokens (``MntWines`` -> {"mnt", "wines"}).
    """
    if is_bool_dtype(series):
        return "flag"
    if is_datetime64_any_dtype(series):
        return "date"
    if not is_numeric_dtype(series):
        if _holds_dates(series):
            return "date"
        return "category" if series.nunique(dropna=True) <= _TEXT_CATEGORY_VALUES else "text"
    values = series.dropna()
    if _is_birth_year(values, words):
        return "birth_year"
    distinct = values.nunique()
    if distinct == 2 and set(values.unique().tolist()) <= {0, 1}:
        return "flag"
    measure = _measure_kind(values, words)
    if is_code_like(values, distinct) and measure in ("demographic", "other"):
        return "code"
    return measure


def is_code_like(values: pd.Series, distinct: int | None = None) -> bool:
    """Few distinct whole numbers, each repeated: a channel, a region, children at home."""
    distinct = values.nunique() if distinct is None else distinct
    if not 2 <= distinct <= _CODE_MOST_VALUES or len(values) < _CODE_REPEATS * distinct:
        return False
    sample = values.to_numpy(dtype=float)[:5_000]
    return bool((sample == np.round(sample)).all())


def _measure_kind(values: pd.Series, words: set[str]) -> RoleKind:
    if words & _RECENCY:
        return "recency"
    if words & _COUNT:
        return "frequency"
    if words & _SPEND:
        return "spend"
    if words & _CAPACITY:
        return "capacity"
    if words & _EVENTS:
        # "purchases" is money in a card statement (cents) and a count in a shop's export.
        return "spend" if _looks_like_money(values) else "frequency"
    if words & _MEASURE:
        return "measure"
    if words & _DEMOGRAPHIC:
        return "demographic"
    return "other"


def _looks_like_money(values: pd.Series) -> bool:
    sample = values.to_numpy(dtype=float)[:5_000]
    if sample.size == 0:
        return False
    fractional = float((sample != np.round(sample)).mean())
    return fractional > 0.2 or float(np.median(sample)) >= 100


def _is_birth_year(values: pd.Series, words: set[str]) -> bool:
    if not words & _BIRTH and not ({"year"} <= words and words & {"birth", "born"}):
        return False
    if values.empty:
        return False
    middle = float(values.median())
    return 1890 <= middle <= 2030


def _holds_dates(series: pd.Series) -> bool:
    sample = series.dropna().astype(str).head(200)
    if sample.empty or float(sample.str.contains(DATE_LIKE).mean()) < 0.9:
        return False
    parsed, _ = parse_dates(sample)
    return float(parsed.notna().mean()) >= 0.9


def skewness(values: np.ndarray) -> float:
    """Sample skewness of finite ``values`` (0 when they do not vary)."""
    finite = values[np.isfinite(values)]
    if finite.size < 3:
        return 0.0
    spread = finite.std()
    if spread == 0:
        return 0.0
    return float((((finite - finite.mean()) / spread) ** 3).mean())


def with_category_labels(frame: pd.DataFrame, categories: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with its code and flag columns as labels, so profiles give shares.

    A flag reads "yes"/"no"; a bare code reads with its header ("Channel 2"), since only the
    header can say what the number means.
    """
    present = [c for c in categories if c in frame.columns]
    if not present:
        return frame
    out = frame.copy()
    for column in present:
        values = out[column]
        known = values.dropna()
        numbers = known.astype(float) if is_numeric_dtype(known) else None
        if numbers is not None and set(numbers.unique().tolist()) <= {0.0, 1.0}:
            labels = numbers.map({0.0: "no", 1.0: "yes"})
        elif numbers is not None:
            labels = numbers.map(lambda v, c=column: f"{c} {v:g}")
        else:
            labels = known.map({True: "yes", False: "no"})
        out[column] = labels.reindex(values.index)
    return out
