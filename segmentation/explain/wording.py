"""Headers read as words, whatever their case: ``MntWines`` -> "wine spend".

Exports name their columns for machines: CamelCase (``NumWebPurchases``), SHOUTING_CASE
(``PURCHASES_TRX``), snake_case (``cash_advance_frequency``), with the abbreviations database
schemas are full of (Mnt, Num, Amt, Qty, Avg, Pct, Freq, Cnt, Trx). A sentence, a segment name
and a person's request need the words behind them; tables, the JSON and the picture keep the
file's own headers.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "header_words",
    "concept_of",
    "same_concept",
    "is_year_column",
    "is_share_column",
    "number_kind",
]

# Abbreviation -> the word a marketer says. "num"/"cnt"/"no" say "a count of", which the plural
# noun after them already says ("web purchases").
_ABBREVIATIONS = {
    "amt": "amount",
    "qty": "quantity",
    "avg": "average",
    "pct": "share",
    "prc": "share",
    "perc": "share",
    "freq": "frequency",
    "trx": "transactions",
    "txn": "transactions",
    "txns": "transactions",
    "dt": "date",
    "yr": "year",
    "mth": "month",
    "oneoff": "one-off",
    "prods": "products",
    "cmp": "campaign",
    "qtr": "quarter",
    "kidhome": "kids at home",
    "teenhome": "teens at home",
}
# Prefixes that name the measure of what follows: "MntWines" is the spend on wine,
# "prc_full_payment" the share of full payments.
_MEASURE_PREFIXES = {"mnt": "spend", "pct": "share", "prc": "share", "perc": "share"}
_COUNT_WORDS = frozenset({"num", "cnt", "no", "nb", "nbr", "count"})
# Measures that follow the thing they measure: "purchases frequency" reads "purchase frequency".
_MEASURES = frozenset(
    {
        "frequency",
        "transactions",
        "amount",
        "count",
        "total",
        "rate",
        "value",
        "limit",
        "score",
        "share",
        "quantity",
        "spend",
        "average",
        "installment",
    }
)
# The measure taken of a thing, not the thing: "purchase frequency" is about purchases.
_CONCEPT_MEASURES = frozenset(
    {"frequency", "transaction", "share", "rate", "count", "quantity", "value", "score"}
)
# Per-period counts: "NumWebVisitsMonth" -> "web visits a month".
_PERIODS = frozenset({"month", "week", "day", "year"})
# Acronyms that stay in capitals even in a SHOUTING_CASE header.
_ACRONYMS = frozenset({"aov", "ltv", "clv", "rfm", "nps", "sms", "id", "vip", "roi", "cac"})
# Words too general to tell two columns apart ("total", "number"): not a concept of their own.
_GENERAL = frozenset(
    {"total", "number", "amount", "average", "count", "a", "of", "per", "the", "and", "&"}
)


def _split(header: str) -> list[str]:
    """Word tokens of a header in their own case: CamelCase, snake_case, SHOUTING_CASE, digits."""
    text = re.sub(r"\([^)]*\)\s*$", "", str(header))
    # "NumWebPurchases" -> "Num Web Purchases"; "AOVValue" -> "AOV Value"; "Cmp3" -> "Cmp 3".
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"([A-Za-z])(\d)", r"\1 \2", text)
    return [t for t in re.split(r"[^A-Za-z0-9]+", text) if t]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_plural(word: str) -> bool:
    return _singular(word) != word


def header_words(header: str) -> str:
    """A header as the words a marketer says, lower case except acronyms.

    Examples
    --------
    >>> [header_words(h) for h in ("MntWines", "NumWebPurchases", "PURCHASES_TRX")]
    ['wine spend', 'web purchases', 'purchase transactions']
    >>> header_words("Detergents_Paper"), header_words("NumWebVisitsMonth")
    ('detergents & paper', 'web visits a month')
    >>> header_words("Annual Income (k$)"), header_words("prc_full_payment")
    ('annual income', 'full payment share')
    """
    raw = _split(header)
    if not raw:
        return str(header).strip()
    shouting = all(not t.isalpha() or t.isupper() for t in raw)
    words: list[str] = []
    for t in raw:
        low = t.lower()
        if low in _ACRONYMS:
            words.append(t.upper())
        elif t.isupper() and 1 < len(t) <= 4 and not shouting and low not in _ABBREVIATIONS:
            # An acronym in a mixed-case header ("AOV"); a longer capitalised word is a
            # SHOUTING_CASE header with a word of ours after it ("ONEOFF_PURCHASES share").
            words.append(t)
        else:
            words.append(low)
    measure = _MEASURE_PREFIXES.get(words[0]) if len(words) > 1 else None
    if measure or (len(words) > 1 and words[0] in _COUNT_WORDS):
        words = words[1:]
    words = [_ABBREVIATIONS.get(w, w) for w in words]
    if measure:
        # "MntMeatProducts" -> "meat spend": the product is what they spent on.
        kept = [w for w in words if w not in {"products", "product"}] or words
        if len(kept) > 1 and kept[-1] in _MEASURES:
            # "MntWines share" is the share of spend on wine: its own measure stands.
            kept[-2] = _singular(kept[-2])
            words = kept
        else:
            kept[-1] = _singular(kept[-1])
            words = [*kept, measure]
    if len(words) == 2 and words[0] in {"year", "date"}:
        words = [words[1], words[0]]  # "Year_Birth" -> "birth year"
    # A plural thing before its measure reads singular: "purchases frequency", and so does a
    # kind of purchase: "deals purchases".
    for i in range(len(words) - 1):
        follows = words[i + 1] in _MEASURES or words[i + 1] in {"purchases", "visits", "orders"}
        if follows and _is_plural(words[i]) and words[i] != "sales":
            words[i] = _singular(words[i])
    if len(words) > 1 and words[-1] in _PERIODS and _is_plural(words[-2]):
        words = [*words[:-1], "a", words[-1]]
    if len(words) == 2 and _is_plural(words[0]) and words[1] not in _MEASURES | _PERIODS:
        # Two goods side by side, such as "Detergents_Paper": one category of both.
        if "_" in str(header) or " " in str(header):
            words = [words[0], "&", words[1]]
    return " ".join(words)


def concept_of(header: str) -> frozenset[str]:
    """What a column is about: its words, singular, without the measure taken of it
    ("purchase frequency" is about purchases). See :func:`same_concept`.

    >>> sorted(concept_of("purchases_frequency")), sorted(concept_of("MntWines"))
    (['purchase'], ['spend', 'wine'])
    """
    words = [_singular(w) for w in header_words(header).lower().split() if not w.isdigit()]
    about = frozenset(w for w in words if w not in _GENERAL and w not in _CONCEPT_MEASURES)
    return about or frozenset(words)


def same_concept(a: str, b: str) -> bool:
    """Two headers about the same thing: one's concept holds the other's ("purchases" and
    "one-off purchases", "balance" and "balance frequency"); "web purchases" and "catalog
    purchases" are two things.

    >>> same_concept("purchases", "oneoff_purchases")
    True
    >>> same_concept("NumWebPurchases", "NumCatalogPurchases")
    False
    """
    ca, cb = concept_of(a), concept_of(b)
    return ca <= cb or cb <= ca


def is_year_column(header: str, low: float, high: float) -> bool:
    """A column of calendar years (a birth year, a year joined): written 1973, never 1,973."""
    words = set(header_words(header).lower().split())
    return bool(words & {"year", "birth", "yob", "born"}) and 1800 <= low and high <= 2100


def is_share_column(header: str, low: float, high: float) -> bool:
    """A column of shares between 0 and 1 (a frequency score, a percentage of something):
    written as a percentage."""
    words = set(header_words(header).lower().split())
    shareish = words & {"frequency", "share", "rate", "ratio", "percent", "percentage"}
    return bool(shareish) and 0.0 <= low and high <= 1.0


def number_kind(header: str, values: np.ndarray, currency: str | None = None) -> str:
    """How a column's numbers read, for :func:`segmentation.explain.number_words.format_value`:
    ``"money"`` (the column has a currency), ``"year"``, ``"share"`` (a share between 0 and 1,
    or a 0/1 flag, whose average is the share of customers who have it) or ``"number"``.

    >>> number_kind("AcceptedCmp1", np.array([0, 1, 1])), number_kind("Kidhome", np.array([0, 2]))
    ('share', 'number')
    """
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    if currency:
        return "money"
    if is_year_column(header, low, high):
        return "year"
    if is_share_column(header, low, high):
        return "share"
    if len(finite) and low == 0.0 and high == 1.0 and np.isin(finite, (0.0, 1.0)).all():
        return "share"
    return "number"
