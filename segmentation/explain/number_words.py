"""Numbers, shares and years as people read them, written by Babel (CLDR's locale rules).

One place for the digits in a sentence: grouping ("1,204"), at most three significant figures
under a hundred ("0.0693", "88.2"), shares as percentages ("96%"), years as years ("1973").
Money keeps :func:`segmentation.read.orders.money.format_money`, so a file's amounts read the same
in every sentence of an answer.
"""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

from segmentation.read.orders.money import format_money

__all__ = ["LOCALE", "format_number", "format_share", "format_value"]

# The locale of every answer; the bot and the CLI speak English.
LOCALE = "en_US"


def format_number(value: float) -> str:
    """Whole above a hundred, three significant figures below: ``1,204``, ``88.2``, ``0.0693``.

    >>> format_number(12345.6), format_number(30.03), format_number(0.06934)
    ('12,346', '30', '0.0693')
    """
    if abs(value) >= 100 or float(value).is_integer():
        return format_decimal(round(value), format="#,##0", locale=LOCALE)
    return format_decimal(value, format="@##", locale=LOCALE)


def format_share(value: float) -> str:
    """A share between 0 and 1 as a percentage: ``0.956`` -> ``96%``.

    >>> format_share(0.956), format_share(0.004)
    ('96%', '0.4%')
    """
    pattern = "#,##0%" if value == 0 or abs(value) >= 0.01 else "#,##0.#%"
    return format_percent(value, format=pattern, locale=LOCALE)


def format_value(value: float, kind: str, currency: str | None = None) -> str:
    """A column's value by its kind: ``"year"``, ``"share"``, ``"money"`` (in ``currency``)
    or ``"number"``.

    >>> format_value(1973.2, "year"), format_value(1220.0, "money", "$")
    ('1973', '$1,220')
    """
    if kind == "year":
        return str(round(value))
    if kind == "share":
        return format_share(value)
    if kind == "money" and currency:
        return format_money(value, currency)
    return format_number(value)
