"""Money: amounts as numbers, the currency they are in, and amounts written for people."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_string_dtype,
)

from segmentation.read.orders._common import header_words, sample_values

__all__ = [
    "amount_values",
    "detect_currency",
    "currency_from_column",
    "format_money",
    "CURRENCY_SYMBOLS",
    "MAX_AMOUNT",
]

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
# ISO 4217 codes as a currency column writes them (Shopify's "Currency": USD, EUR...). Codes
# without a symbol everyone reads the same way are written as the code ("CHF 1,200").
_ISO_CODES = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "MXN": "MX$",
    "CHF": "CHF ",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "PLN": "PLN ",
    "BRL": "R$",
    "ZAR": "R ",
}
# Written after the amount with a space, as people in the euro area write it: "745 €".
_SYMBOL_AFTER = frozenset({"€"})
_CURRENCY_HEADERS = frozenset({"currency", "currency code", "currency_code", "curr", "ccy"})
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
    from segmentation.read.numbers import parse_number_column

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
    return currency_from_column(df)


def currency_from_column(df: pd.DataFrame) -> str | None:
    """The symbol of the one currency a ``Currency`` column names (``USD`` -> ``$``).

    None when there is no such column, or when it names several currencies: amounts in mixed
    currencies get no symbol rather than a wrong one.
    """
    for column in df.columns:
        if str(column).strip().lower() not in _CURRENCY_HEADERS:
            continue
        codes = {str(v).strip().upper() for v in sample_values(df[column], 500)} - {"", "NAN"}
        if len(codes) != 1:
            return None
        code = codes.pop()
        if code in _ISO_CODES:
            return _ISO_CODES[code]
        if code in CURRENCY_SYMBOLS:
            return CURRENCY_SYMBOLS[code]
        return f"{code} " if re.fullmatch(r"[A-Z]{3}", code) else None
    return None


def format_money(value: float, currency: str | None, *, approximate: bool = False) -> str:
    """Money for people: ``$1,234``, ``12.50 €``, ``−$340``; a bare number without a currency.

    Cents only under 100 (an order value; a total of thousands is not that precise).
    ``approximate`` rounds to three significant figures, for totals said with "about" or "in
    all": ``$96,437`` -> ``$96,400``.

    Examples
    --------
    >>> format_money(96437, "$", approximate=True), format_money(745, "€")
    ('$96,400', '745 €')
    """
    sign = "−" if value < 0 else ""
    amount = abs(value)
    if approximate and amount >= 1000:
        amount = float(f"{amount:.3g}")
    digits = f"{amount:,.2f}" if amount < 100 and amount != round(amount) else f"{amount:,.0f}"
    if not currency:
        return f"{sign}{digits}"
    if currency in _SYMBOL_AFTER:
        return f"{sign}{digits} {currency}"
    return f"{sign}{currency}{digits}"
