"""Order dates written in any common way, read once per distinct value."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from segmentation.read.orders._common import sample_values

__all__ = ["parse_dates", "DATE_LIKE"]

_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", "T%H:%M", "T%H:%M:%S")
_DAY_FIRST = tuple(
    d + t
    for d in ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y")
    for t in _TIMES
)
_MONTH_FIRST = tuple(
    d + t for d in ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%m-%d-%y") for t in _TIMES
)
_OTHER_FORMATS = tuple(
    d + t
    for d in (
        "%Y.%m.%d",
        "%d %b %Y",
        "%d %B %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%b %d %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
    )
    for t in _TIMES[:3]
) + ("%a, %d %b %Y %H:%M:%S", "%a, %d %b %Y %H:%M")
# Something like a date: 2024-03-14, 14/03/24, 14.3.2024, 20240314, 14 Mar 2024, Mar 14.
DATE_LIKE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\s*\d{8}\b|\d{1,2}[ -][A-Za-z]{3}|[A-Za-z]{3}[a-z]* \d{1,2}"
)
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})[/.\-]\d{2,4}")
_EARLIEST = pd.Timestamp("1900-01-01")
_LATEST = pd.Timestamp("2100-12-31")
# Beyond this many unreadable distinct values, trying every other format costs more than it
# can find: the values are not dates.
_RETRY_LIMIT = 50_000


def parse_dates(values: pd.Series) -> tuple[pd.Series, str | None]:
    """Dates and timestamps written in any common way, as naive UTC ``datetime64`` values.

    ISO 8601 (with times, offsets and ``Z``; mixed offsets are converted to UTC), US
    ``03/14/2024``, European ``14/03/2024`` and ``14.03.2024``, ``14 Mar 2024`` and
    ``20240314``. Day-first or month-first is decided once per column from the data (a first
    field above 12 proves day-first). Unreadable values become ``NaT``. The note is a plain
    sentence when the order of day and month had to be guessed, else None.

    Examples
    --------
    >>> parse_dates(pd.Series(["14/03/2024", "01/02/2024"]))[0].dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-14', '2024-02-01']
    """
    index = values.index
    if is_datetime64_any_dtype(values):
        out = values
        if getattr(values.dt, "tz", None) is not None:
            out = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return _in_range(out), None
    if is_bool_dtype(values):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"), None
    if is_numeric_dtype(values):
        return _numeric_dates(values), None

    codes, uniques = pd.factorize(values)
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    # "10:00:00 UTC" and "... GMT" name the zone we convert to anyway.
    text = text.str.replace(r"\s+(?:UTC|GMT)$", "", regex=True)
    parsed, note = _parse_distinct(text)
    taken = parsed.to_numpy(dtype="datetime64[ns]")
    out = np.where(codes >= 0, taken[np.maximum(codes, 0)], np.datetime64("NaT"))
    return pd.Series(out, index=index, dtype="datetime64[ns]"), note


def _numeric_dates(values: pd.Series) -> pd.Series:
    """Numbers that are dates: 20240314, or Unix seconds or milliseconds."""
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    finite = np.isfinite(v)
    median = float(np.median(v[finite])) if finite.any() else 0.0
    if 19_000_101 <= median <= 21_001_231:
        text = pd.Series(np.where(finite, v, 0).astype(np.int64).astype(str), index=values.index)
        out = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    elif 3e8 <= median <= 4.2e9 or 3e11 <= median <= 4.2e12:
        unit = "s" if median <= 4.2e9 else "ms"
        seconds = np.where(finite, v, np.nan)
        out = pd.Series(pd.to_datetime(seconds, unit=unit, errors="coerce"), index=values.index)
    out = out.where(finite)
    return _in_range(out)


def _day_first(text: pd.Series) -> tuple[bool | None, str | None]:
    """True/False when the data proves day-first/month-first; None when there are no d/m dates."""
    parts = sample_values(text, 20_000).str.extract(_NUMERIC_DATE)
    parts = parts.dropna()
    if parts.empty:
        return None, None
    first = parts[0].astype(np.int64)
    second = parts[2].astype(np.int64)
    day_first_seen = int((first > 12).sum())
    month_first_seen = int((second > 12).sum())
    if day_first_seen and not month_first_seen:
        return True, None
    if month_first_seen and not day_first_seen:
        return False, None
    if day_first_seen and month_first_seen:
        choice = day_first_seen >= month_first_seen
        way = "day first" if choice else "month first"
        return choice, (
            f"Some dates look day-first and others month-first; I read them {way}, as most are. "
            "Check the dates in the file."
        )
    # No field above 12 anywhere: dots are a European habit, slashes an American one.
    if (parts[1] == ".").mean() > 0.5:
        return True, None
    return False, (
        "Every date could be read day-first or month-first (no day above 12); I read them "
        "month-first, as in 03/14/2024."
    )


def _parse_distinct(text: pd.Series) -> tuple[pd.Series, str | None]:
    day_first, note = _day_first(text)
    if day_first is None:
        numeric = ()
    else:
        numeric = _DAY_FIRST if day_first else _MONTH_FIRST
        if not day_first:  # dotted dates are day-first even in a US-looking column
            numeric = numeric + tuple(f for f in _DAY_FIRST if f.startswith("%d.%m"))
    candidates = ("ISO8601", *numeric, *_OTHER_FORMATS, "%Y%m%d")

    # Try the formats on a sample first and use those that work, most successful first.
    sample = sample_values(text, 300)
    # Skip formats whose separators or parts never occur in the sample: most of the list.
    seen = set("".join(sample.iloc[:300].tolist()))
    candidates = tuple(f for f in candidates if _could_match(f, seen))
    hits = [
        (int(_try_format(sample, fmt).notna().sum()), i, fmt) for i, fmt in enumerate(candidates)
    ]
    ordered = [fmt for n, _, fmt in sorted(hits, key=lambda h: (-h[0], h[1])) if n > 0]
    rest = [fmt for fmt in candidates if fmt not in ordered]

    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    missing = np.ones(len(text), dtype=bool)
    for i, fmt in enumerate(ordered + rest):
        if not missing.any():
            break
        if i >= len(ordered) and missing.sum() > _RETRY_LIMIT:
            break
        parsed = _try_format(text[missing], fmt)
        got = parsed.notna().to_numpy()
        if got.any():
            result.loc[parsed.index[got]] = parsed[got]
            missing[np.flatnonzero(missing)[got]] = False
    if note is not None and result.notna().sum() == 0:
        note = None
    return result, note


def _could_match(fmt: str, seen: set[str]) -> bool:
    if fmt == "ISO8601":
        return "-" in seen or "/" in seen or any(c.isdigit() for c in seen)
    literal = re.sub(r"%[A-Za-z]", "", fmt)
    if any(ch not in seen for ch in set(literal) - {" "}):
        return False
    has_letters = any(c.isalpha() for c in seen - {"T", "Z"})
    return has_letters or not any(d in fmt for d in ("%b", "%B", "%p"))


def _try_format(text: pd.Series, fmt: str) -> pd.Series:
    if fmt == "ISO8601":
        # utc=True turns every offset into UTC; values without an offset are kept as written.
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.dt.tz_localize(None)
    else:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    return _in_range(parsed)


def _in_range(parsed: pd.Series) -> pd.Series:
    # Year 1 or 9999 is a placeholder or a typo, not an order date (and overflows nanoseconds).
    inside = parsed.where((parsed >= _EARLIEST) & (parsed <= _LATEST))
    return inside.astype("datetime64[ns]")
