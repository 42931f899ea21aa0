"""Money: amounts as numbers, the currency they are in, and amounts written for people."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_string_dtype,
)

from segmentation.orders._common import header_words, sample_values

__all__ = ["amount_values", "detect_currency", "format_money", "CURRENCY_SYMBOLS", "MAX_AMOUNT"]

_CURRENCY_WORDS = {
    "usd": "$",
    "dollar": "$",
    "dollars": "$",
    "eur": "€",
    "euro": "€",
    "euros": "€",
    "gbp": "£",
    "pound": "£",
    "pounds": "£",
    "jpy": "¥",
    "yen": "¥",
    "inr": "₹",
    "rupees": "₹",
    "chf": "CHF ",
}
CURRENCY_SYMBOLS = {"$": "$", "€": "€", "£": "£", "¥": "¥", "₹": "₹"}
# Beyond a trillion per order an amount is a typo or a placeholder: it cannot be summed.
MAX_AMOUNT = 1e12


def amount_values(series: pd.Series) -> pd.Series | None:
    """The column as float money values, or None when it does not hold numbers."""
    if is_bool_dtype(series):
        return None
    if is_numeric_dtype(series):
        return series.astype(np.float64)
    if is_datetime64_any_dtype(series):
        return None
    # Imported here: the loader imports the core's modules, and this keeps import order free.
    from segmentation.loading import parse_number_column

    parsed = parse_number_column(series)
    if parsed is None:
        return None
    return parsed.astype(np.float64)


def detect_currency(df: pd.DataFrame, amount: str | None) -> str | None:
    """The currency symbol of the amount column ``amount``, from its header or its values."""
    if amount is None:
        return None
    header = str(amount)
    for symbol, shown in CURRENCY_SYMBOLS.items():
        if symbol in header:
            return shown
    words, _ = header_words(header)
    for word in words:
        if word in _CURRENCY_WORDS:
            return _CURRENCY_WORDS[word]
    series = df[amount]
    attrs_currency = series.attrs.get("currency") or df.attrs.get("currency", {})
    if isinstance(attrs_currency, dict):
        attrs_currency = attrs_currency.get(amount)
    if isinstance(attrs_currency, str) and attrs_currency:
        return attrs_currency
    if is_string_dtype(series):
        sample = " ".join(sample_values(series, 200).astype(str))
        for symbol, shown in CURRENCY_SYMBOLS.items():
            if symbol in sample:
                return shown
    return None


def format_money(value: float, currency: str | None) -> str:
    """Money for people: ``$1,234``, ``€12.50``, ``−$340``; a bare number without a currency."""
    sign = "−" if value < 0 else ""
    amount = abs(value)
    digits = f"{amount:,.2f}" if amount < 100 and amount != round(amount) else f"{amount:,.0f}"
    return f"{sign}{currency or ''}{digits}"
