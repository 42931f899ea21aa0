"""Numbers as people write them: currency before or after, thousands separators, decimal
commas, percentages, accounting brackets; and the currency a money column is written in.
"""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_object_dtype, is_string_dtype

__all__ = ["MAX_MAGNITUDE", "parse_number_column"]

# Values beyond this magnitude are treated as missing: no customer table measures anything
# that large, and squares and sums of them over millions of rows would overflow float64
# (1e308 squared is inf), which breaks standardising. 1e100**2 * 5e6 rows is still finite.
MAX_MAGNITUDE = 1e100
# A column is numbers when at least this share of its non-blank values are numbers.
_NUMBER_SHARE = 0.95
# The cheap first look at a text column: this many values, and a looser share, so that a
# column of names is rejected without touching a million rows.
_NUMBER_SAMPLE = 500
NUMBER_SAMPLE_SHARE = 0.8
# The lookahead lets a digit skip the list of codes at once (about 1.6x faster overall).
_CURRENCY = (
    r"(?:[€$£¥₹₩₽¢₪₺]|(?=[A-Za-zł])(?:(?:US|CA|AU|NZ|HK|MX|[ACRS])\$"
    r"|(?i:usd|eur|gbp|jpy|chf|cad|aud|nzd|cny|rmb|inr|sek|nok|dkk|pln|czk|huf|brl|mxn|zar"
    r"|sgd|hkd|krw|rub|try|ils|aed|kr|zł)))"
)
# Apostrophes (Swiss 1'000) and the spaces people use (incl. no-break and narrow no-break)
# are never decimal marks, so they are thousands separators in both readings.
_GROUP_MARKS = "'’ \u00a0\u202f\u2009"
# Reading A: decimal point, comma or a space/apostrophe between groups of three digits.
_NUMBER_POINT = rf"(?:[1-9]\d{{0,2}}(?:[,{_GROUP_MARKS}]\d{{3}})+|\d+)(?:\.\d+)?|\.\d+"
# Reading B: decimal comma, dot or a space/apostrophe between groups of three digits.
_NUMBER_COMMA = rf"(?:[1-9]\d{{0,2}}(?:[.{_GROUP_MARKS}]\d{{3}})+|\d+)(?:,\d+)?|,\d+"


def _value_pattern(number: str) -> str:
    core = (
        rf"(?:[-+−]\s*(?:{_CURRENCY}\s*)?|{_CURRENCY}\s*(?:[-−]\s*)?)?"
        rf"(?:{number})(?:\s*(?:{_CURRENCY}|%))?"
    )
    return rf"\s*(?:\(\s*{core}\s*\)|{core})\s*"


_VALUE_POINT = _value_pattern(_NUMBER_POINT)
_VALUE_COMMA = _value_pattern(_NUMBER_COMMA)
# A field that is a number in either reading (for telling a header from a row of values).
NUMERIC_FIELD = re.compile(f"{_VALUE_POINT}|{_VALUE_COMMA}")
# 00123 or 0123: a code (customer number, ZIP), not a quantity.
_LEADING_ZERO = r"[^\d.,]*0\d"
# +44 20 7946 0958: a phone number even if its groups happen to look like thousands.
_PHONE = r"\s*\+\s*\d+\s+\d"
_BLANKS = frozenset({"", "-", "–", "—"})
# Everything but digits, signs and the decimal mark goes; the patterns above already
# guaranteed that what goes is decoration (currency, grouping, percent, brackets).
_DECORATION = {
    ord(c): None for c in string.ascii_letters + "ł€$£¥₹₩₽¢₪₺%()" + _GROUP_MARKS + "\t\n\r\x0b\x0c"
}
_DECORATION[ord("−")] = "-"
_TRANSLATE_POINT = str.maketrans({**_DECORATION, ord(","): None})
_TRANSLATE_COMMA = str.maketrans({**_DECORATION, ord("."): None, ord(","): "."})


def parse_number_column(values: pd.Series, *, decimal_comma: bool = False) -> pd.Series | None:
    """Turn a column of numbers written as text into float64, or say it is not numbers.

    Understands currency symbols and codes before or after the number (``€15,000``,
    ``$1,200.50``, ``1.200 EUR``), thousands separators (``,`` ``.`` spaces incl. no-break
    spaces, apostrophes), decimal commas (``1.234,56``, ``12,5``), percentages (``12%`` is
    12.0: the value stays in percent points), accounting negatives (``(30.00)`` is -30.0) and
    signs (``-5``). Blank cells and lone dashes become NaN.

    Whether ``,`` or ``.`` is the decimal mark is decided once for the whole column: the
    reading under which more values are numbers wins. When both readings fit every value
    (only values like ``1,234`` or ``1.234``), a comma with exactly three digits after it is
    a thousands separator, and a dot is a decimal point unless ``decimal_comma`` says the
    file writes decimals with a comma (a ``;``-separated file).

    Parameters
    ----------
    values : pandas.Series
        Any column, shape ``(n,)``.
    decimal_comma : bool
        The file's convention, used only to break the tie described above.

    Returns
    -------
    pandas.Series or None
        Float64, shape ``(n,)``, same index and name, NaN where blank or not a number; None
        when fewer than 95% of the non-blank values are numbers, or the column holds codes
        with leading zeros (``00123``) or phone numbers, which are text.

    Examples
    --------
    >>> parse_number_column(pd.Series(["€15,000", "(30.00)", "12%"])).tolist()
    [15000.0, -30.0, 12.0]
    >>> parse_number_column(pd.Series(["Ada", "Grace"])) is None
    True
    """
    if is_bool_dtype(values.dtype):
        return None
    if is_numeric_dtype(values.dtype):
        return finite(values.astype("float64"))
    if not (is_string_dtype(values.dtype) or is_object_dtype(values.dtype)):
        return None  # datetimes, categoricals, ...: not text we should reinterpret
    text = values.astype("str")
    non_blank = text.dropna()
    if non_blank.empty:
        return None
    # The cheap look first: most text columns (names, cities, dates) fail here. Placeholders
    # ("-", blanks) say nothing either way, so the sample skips them.
    if len(non_blank) > _NUMBER_SAMPLE:
        head = non_blank.iloc[: 10 * _NUMBER_SAMPLE]
        sample = head[~head.str.strip().isin(_BLANKS).to_numpy(dtype=bool)].iloc[:_NUMBER_SAMPLE]
        if len(sample) and _parse_numbers(sample, decimal_comma, NUMBER_SAMPLE_SHARE) is None:
            return None
    # Hashing pays off unless nearly every value differs (amounts with cents); a big enough
    # head of the column tells, where 500 values could not (5,000 prices look all distinct).
    lead = non_blank.iloc[:20_000]
    repetitive = lead.nunique() < 0.5 * len(lead)
    parsed = _parse_numbers(text, decimal_comma, _NUMBER_SHARE, deduplicate=repetitive)
    if parsed is None:
        return None
    return pd.Series(parsed, index=values.index, name=values.name, dtype="float64")


def _parse_numbers(
    text: pd.Series, decimal_comma: bool, share: float, *, deduplicate: bool = True
) -> np.ndarray | None:
    """Float values for ``text`` (str Series), or None when it is not a number column."""
    if deduplicate:
        # Work on the distinct values only: real columns repeat a lot, and every string
        # operation below is a Python-level loop inside pandas.
        codes, uniques = pd.factorize(text)
    else:
        # Nearly all values differ (amounts with cents): hashing them would cost more than
        # it saves. Every present value is its own "distinct" entry.
        present = text.notna().to_numpy(dtype=bool)
        uniques = text[present].to_numpy()
        codes = np.full(len(text), -1, dtype=np.intp)
        codes[present] = np.arange(len(uniques))
    if len(uniques) == 0:
        return None
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    distinct = pd.Series(uniques, dtype="str").str.strip()
    blank = distinct.isin(_BLANKS).to_numpy()
    weight = np.where(blank, 0, counts)
    total = weight.sum()
    if total == 0:
        return None

    point_ok = distinct.str.fullmatch(_VALUE_POINT).to_numpy(dtype=bool) & ~blank
    point_share = weight[point_ok].sum() / total
    comma_ok = np.zeros_like(point_ok)
    comma_share = 0.0
    if point_share < share or decimal_comma:
        comma_ok = distinct.str.fullmatch(_VALUE_COMMA).to_numpy(dtype=bool) & ~blank
        comma_share = weight[comma_ok].sum() / total
    if max(point_share, comma_share) < share:
        return None

    number_like = point_ok | comma_ok
    candidates = distinct[number_like]
    if candidates.str.match(_LEADING_ZERO).any():
        return None
    signed = candidates[candidates.str.contains("+", regex=False).to_numpy(dtype=bool)]
    if signed.str.match(_PHONE).any():
        return None

    if point_share != comma_share:
        use_comma = comma_share > point_share
    elif candidates.str.contains(",", regex=False).any():
        # Both readings fit every value, so every comma has exactly three digits after it:
        # a thousands separator (1,234), whatever the file's decimal convention.
        use_comma = False
    else:
        use_comma = decimal_comma
    valid = comma_ok if use_comma else point_ok
    table = _TRANSLATE_COMMA if use_comma else _TRANSLATE_POINT

    numbers = np.full(len(distinct), np.nan)
    chosen = distinct[valid]
    converted = pd.to_numeric(chosen.str.translate(table), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    # Valid values only hold a bracket when the whole value is in brackets: (30.00).
    negative = chosen.str.contains("(", regex=False).to_numpy(dtype=bool)
    numbers[valid] = np.where(negative, -converted, converted)
    with np.errstate(invalid="ignore"):
        numbers[~(np.abs(numbers) <= MAX_MAGNITUDE)] = np.nan

    result = np.full(len(codes), np.nan)
    present = codes >= 0
    result[present] = numbers[codes[present]]
    return result


def finite(values: pd.Series) -> pd.Series:
    """Infinity from a text 'inf', or a value too large to compute with (1e308), is not a
    measurement: treat it as missing."""
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        unusable = np.abs(numbers) > MAX_MAGNITUDE
    return values.mask(unusable) if unusable.any() else values


_SYMBOLS = {"€": "€", "$": "$", "£": "£", "¥": "¥", "₹": "₹", "USD": "$", "EUR": "€", "GBP": "£"}


def currency_symbol(values: pd.Series) -> str | None:
    """The currency written in a money column's first values, when they all agree."""
    head = values.dropna().head(200).astype(str).str.upper()
    found = {
        shown for code, shown in _SYMBOLS.items() if head.str.contains(code, regex=False).any()
    }
    return found.pop() if len(found) == 1 else None
