"""Recognise an order log: which column holds the customer, the date, the amount, and so on.

Each role is scored on every column from its header's words and a sample of its values; the
best column wins, the leftmost on a tie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_string_dtype,
)

from segmentation.errors import NoUsableColumns
from segmentation.read.orders._common import (
    SAMPLE,
    columns_sentence,
    has_word,
    header_words,
    sample_values,
)
from segmentation.read.orders.dates import DATE_LIKE, parse_dates
from segmentation.read.orders.money import CURRENCY_SYMBOLS, amount_values

__all__ = ["OrderColumns", "detect_order_log", "find_order_columns", "holds_order_numbers"]
__all__ += ["MIN_REPEAT_SHARE", "order_columns_in_sample"]


@dataclass(frozen=True)
class OrderColumns:
    """Which column of an order log plays which part (exact header names).

    ``amount_is_unit_price`` is True when ``amount`` is a price per unit (e.g. "UnitPrice"),
    so that a line's spend is quantity times price. ``cancelled_at`` is a column such as
    Shopify's "Cancelled at": an order with a value there was cancelled. ``refunded`` is a
    column such as Shopify's "Refunded Amount": money returned on an order, deducted from it.
    """

    customer: str
    date: str
    amount: str | None
    quantity: str | None
    order_id: str | None
    status: str | None
    amount_is_unit_price: bool = False
    cancelled_at: str | None = None
    refunded: str | None = None


_CUSTOMER_WORDS = (
    "customer",
    "client",
    "buyer",
    "shopper",
    "member",
    "email",
    "mail",
    "user",
    "account",
    "cust",
    "consumer",
    "patron",
    "purchaser",
    "contact",
)
# Headers that mention the customer but describe something else about them.
_CUSTOMER_NOT = {
    "city",
    "country",
    "state",
    "region",
    "zip",
    "postcode",
    "postal",
    "address",
    "age",
    "gender",
    "sex",
    "segment",
    "type",
    "group",
    "since",
    "date",
    "time",
    "created",
    "count",
    "total",
    "spend",
    "spent",
    "amount",
    "value",
    "score",
    "rating",
    "status",
    "tier",
    "level",
    "orders",
    "agent",
    "note",
    "notes",
    "comment",
}
_KEY_WORDS = {"id", "key", "no", "nr", "num", "number", "code", "ref", "reference", "uid"}

_DATE_WORDS = (
    "date",
    "time",
    "timestamp",
    "datetime",
    "created",
    "ordered",
    "purchased",
    "purchase",
    "day",
    "when",
    "placed",
)
_DATE_GOOD = {"order", "ordered", "purchase", "purchased", "invoice", "transaction", "created"}
_DATE_BAD = {
    "birth",
    "dob",
    "birthday",
    "ship",
    "shipped",
    "shipping",
    "delivery",
    "delivered",
    "due",
    "signup",
    "registered",
    "registration",
    "since",
    "updated",
    "modified",
    "expiry",
    "expires",
}

_AMOUNT_STRONG = ("amount", "total", "revenue", "sales", "spend", "spent", "subtotal", "turnover")
_AMOUNT_WORDS = _AMOUNT_STRONG + (
    "price",
    "value",
    "net",
    "gross",
    "paid",
    "payment",
    "sum",
    "cost",
    "money",
    "charge",
    "usd",
    "eur",
    "gbp",
)
_AMOUNT_BAD = {"tax", "vat", "shipping", "discount", "fee", "fees", "tip", "id", "count", "qty"}
_AMOUNT_BAD |= {"refund", "refunded", "refunds"}
_REFUND_WORDS = ("refund", "refunded", "refunds")
_UNIT_WORDS = {"unit", "each", "per", "list"}

_QUANTITY_WORDS = ("qty", "quantity", "items", "units", "pieces", "pcs", "count")
_ORDER_WORDS = (
    "order",
    "invoice",
    "transaction",
    "receipt",
    "basket",
    "txn",
    "checkout",
    "ticket",
    "bill",
    "purchase",
)
# "order_status", "order_type", "invoice_count": about an order, but not its id.
_ORDER_NOT = {
    "status",
    "state",
    "date",
    "time",
    "total",
    "amount",
    "value",
    "qty",
    "quantity",
    "count",
    "type",
    "channel",
    "source",
    "method",
    "note",
    "notes",
    "line",
    "item",
    "items",
}
_STATUS_WORDS = ("status", "state", "fulfillment", "fulfilment", "outcome")
# Whether the money arrived says more about a cancelled order than whether it shipped.
_PAYMENT_STATUS_WORDS = {"financial", "payment", "paid", "pay"}
_CANCEL_WORDS = ("cancelled", "canceled", "cancellation", "cancel")
_WHEN_WORDS = {"at", "on", "date", "time", "when", "timestamp", "datetime"}
# Shopify, WooCommerce and others write the order number as "#1001" in a column called "Name".
_ORDER_NUMBER = re.compile(r"^\s*#\s*[A-Za-z]*-?\d")

# Any recognisable order status, to tell a status column from a US "state" column.
_ANY_STATUS = re.compile(
    r"cancel|refund|return|void|fail|declin|reject|complete|paid|ship|deliver|pending|process|"
    r"fulfil|open|closed|success|placed|confirm|hold|partial|authori",
    re.IGNORECASE,
)

# An order log has repeat buyers: at least this share of its customers on two rows or more.
MIN_REPEAT_SHARE = 0.1
_QUICK_REPEAT_ROWS = 200_000


def _is_fractional(series: pd.Series) -> bool:
    if not is_numeric_dtype(series) or is_bool_dtype(series):
        return False
    values = sample_values(series).to_numpy(dtype=np.float64)
    return bool(np.any(values != np.floor(values)))


def _customer_score(header: object, series: pd.Series) -> float:
    words, compact = header_words(header)
    if not words or set(words) & _CUSTOMER_NOT:
        return 0.0
    named = has_word(words, compact, _CUSTOMER_WORDS)
    if not named and words != ["name"]:
        return 0.0
    if not named and holds_order_numbers(series):
        return 0.0  # Shopify's "Name" is the order number, not the customer's name
    if is_datetime64_any_dtype(series) or _is_fractional(series):
        return 0.0
    if series.notna().mean() < 0.5:
        return 0.0
    score = 1.0 if named else 0.5
    if set(words) & _KEY_WORDS or compact.endswith("id"):
        score += 3
    elif "email" in compact or "mail" in words:
        score += 2
    elif "name" in words:
        score += 1
    return score


def _date_score(header: object, series: pd.Series, min_share: float) -> float:
    words, compact = header_words(header)
    named = has_word(words, compact, _DATE_WORDS)
    if is_bool_dtype(series) or has_word(words, compact, _CANCEL_WORDS):
        return 0.0  # when an order was cancelled is not when it was placed
    if not named and not is_datetime64_any_dtype(series) and not is_string_dtype(series):
        return 0.0  # a plain number column with no date-like header is never a date
    sample = sample_values(series)
    if sample.empty:
        return 0.0
    if not named and is_string_dtype(series):
        # Most text columns are plainly not dates; a quick look spares the format search.
        head = sample.iloc[:50].astype(str)
        if float(head.str.contains(DATE_LIKE).mean()) < 0.9:
            return 0.0
    parsed, _ = parse_dates(sample)
    share = float(parsed.notna().mean())
    if share < (min_share if named else max(min_share, 0.95)):
        return 0.0
    score = 2.0 if named else 0.5
    if set(words) & _DATE_GOOD:
        score += 2
    if set(words) & _DATE_BAD:
        score -= 1.5
    return score + share


def _amount_score(header: object, series: pd.Series) -> float:
    words, compact = header_words(header)
    if not has_word(words, compact, _AMOUNT_WORDS) and not any(
        s in str(header) for s in CURRENCY_SYMBOLS
    ):
        return 0.0
    if amount_values(sample_values(series)) is None:
        return 0.0
    score = 1.0
    if has_word(words, compact, _AMOUNT_STRONG):
        score += 2
    if set(words) & _AMOUNT_BAD:
        score -= 2
    if set(words) & _UNIT_WORDS:
        score -= 0.5  # a line total beats a unit price when both are there
    if compact.startswith("sub") or "subtotal" in compact:
        score -= 0.5  # "Total" beats "Subtotal" (before shipping) when both are there
    return score


def _quantity_score(header: object, series: pd.Series) -> float:
    words, compact = header_words(header)
    if not has_word(words, compact, _QUANTITY_WORDS) or not is_numeric_dtype(series):
        return 0.0
    if is_bool_dtype(series):
        return 0.0
    return 2.0 if "count" not in words else 1.0


def _order_id_score(header: object, series: pd.Series) -> float:
    words, compact = header_words(header)
    if words == ["name"] and series.notna().mean() >= 0.5 and holds_order_numbers(series):
        return 2.0
    if not has_word(words, compact, _ORDER_WORDS) or _is_fractional(series):
        return 0.0
    if set(words) & _ORDER_NOT:
        return 0.0
    if is_datetime64_any_dtype(series) or series.notna().mean() < 0.5:
        return 0.0
    return 2.0 if set(words) & _KEY_WORDS or compact.endswith("id") else 1.0


def _status_score(header: object, series: pd.Series) -> float:
    words, compact = header_words(header)
    if not has_word(words, compact, _STATUS_WORDS) or is_numeric_dtype(series):
        return 0.0
    sample = sample_values(series).astype(str)
    if sample.empty:
        return 0.0
    # "state" is as often a US state as an order state; only its values can tell.
    recognised = float(sample.str.contains(_ANY_STATUS).mean())
    if "status" not in words and recognised < 0.5:
        return 0.0
    return 1.0 + recognised + (0.5 if set(words) & _PAYMENT_STATUS_WORDS else 0.0)


def _cancelled_at_score(header: object, series: pd.Series) -> float:
    """A column such as "Cancelled at": filled only for cancelled orders, with when."""
    words, compact = header_words(header)
    if not has_word(words, compact, _CANCEL_WORDS) or is_bool_dtype(series):
        return 0.0
    if not (set(words) & _WHEN_WORDS or compact in _CANCEL_WORDS):
        return 0.0  # "cancel reason", "cancellation fee": not a timestamp
    filled = sample_values(series)
    if filled.empty:
        return 1.0  # nothing was cancelled in this file
    return 1.0 + float(parse_dates(filled)[0].notna().mean())


def _refunded_score(header: object, series: pd.Series) -> float:
    """A column of money refunded per order, such as Shopify's "Refunded Amount"."""
    words, compact = header_words(header)
    if not has_word(words, compact, _REFUND_WORDS) or is_bool_dtype(series):
        return 0.0
    if not (has_word(words, compact, _AMOUNT_STRONG) or compact in _REFUND_WORDS):
        return 0.0  # "refund reason", "refunded at": not money
    if amount_values(sample_values(series)) is None:
        return 0.0
    return 1.0


def holds_order_numbers(series: pd.Series) -> bool:
    """Whether the column's values look like "#1001", the way shops write order numbers."""
    if not is_string_dtype(series):
        return False
    sample = sample_values(series, 500).astype(str)
    return not sample.empty and float(sample.str.contains(_ORDER_NUMBER).mean()) >= 0.9


def _best(
    df: pd.DataFrame, taken: set[str], score: Callable[[object, pd.Series], float]
) -> str | None:
    best_name, best_score = None, 0.0
    for name in df.columns:
        if name in taken:
            continue
        s = score(name, df[name])
        if s > best_score:  # strict: the leftmost column wins a tie
            best_name, best_score = name, s
    return None if best_name is None else str(best_name)


def _search(df: pd.DataFrame, *, min_date_share: float) -> dict[str, str | None]:
    taken: set[str] = set()
    found: dict[str, str | None] = {}
    # The date goes first: "order_date" and "purchase_date" mention an order but are dates.
    found["date"] = _best(df, taken, lambda h, s: _date_score(h, s, min_date_share))
    taken |= {found["date"]} - {None}
    for role, score in (
        ("customer", _customer_score),
        ("amount", _amount_score),
        ("quantity", _quantity_score),
        ("status", _status_score),
        ("order_id", _order_id_score),
        ("cancelled_at", _cancelled_at_score),
        ("refunded", _refunded_score),
    ):
        found[role] = _best(df, taken, score)
        taken |= {found[role]} - {None}
    if found["order_id"] is not None and found["customer"] is not None:
        # Merging rows by a column that is not really an order id would silently merge orders:
        # a customer has at least as many orders as there are customers with orders.
        pair = df[[found["customer"], found["order_id"]]]
        if len(pair) > 2 * SAMPLE:
            pair = pair.iloc[:: len(pair) // (2 * SAMPLE)]
        pair = pair.dropna()
        if pair.iloc[:, 1].nunique() < 0.9 * pair.iloc[:, 0].nunique():
            found["order_id"] = None
    return found


def _is_unit_price(amount: str | None, quantity: str | None) -> bool:
    if amount is None or quantity is None:
        return False
    words, compact = header_words(amount)
    return bool(set(words) & _UNIT_WORDS) or compact in {"price", "unitprice", "itemprice"}


def _repeat_share(series: pd.Series) -> float:
    """Share of customers that appear on more than one row."""
    if len(series) > _QUICK_REPEAT_ROWS:
        # Sampling rows only hides repeats, so a high share in a sample settles it cheaply.
        quick = _repeat_share(series.iloc[:: len(series) // _QUICK_REPEAT_ROWS + 1])
        if quick >= MIN_REPEAT_SHARE:
            return quick
    codes, _ = pd.factorize(series)
    codes = codes[codes >= 0]
    if len(codes) == 0:
        return 0.0
    counts = np.bincount(codes)
    return float((counts >= 2).mean())


def detect_order_log(df: pd.DataFrame) -> OrderColumns | None:
    """The order-log columns of ``df``, or None unless it clearly is an order log.

    An order log has a customer key (id, e-mail or name), a date or timestamp, an amount, and
    several rows for a meaningful share of its customers; a table with one row per customer
    (such as Mall Customers) is never taken for one.

    Examples
    --------
    >>> df = pd.DataFrame({"customer": ["a", "a", "b", "b"], "date": ["2024-01-01"] * 4,
    ...                    "amount": [1.0, 2.0, 3.0, 4.0]})
    >>> detect_order_log(df).customer
    'customer'
    """
    if len(df) < 2 or len(df.columns) < 3:
        return None
    found = _search(df, min_date_share=0.9)
    if found["customer"] is None or found["date"] is None or found["amount"] is None:
        return None
    # One row per customer is a customer table with a "last purchase" date, not an order log.
    if _repeat_share(df[found["customer"]]) < MIN_REPEAT_SHARE:
        return None
    return _order_columns(found)


def order_columns_in_sample(sample: pd.DataFrame) -> OrderColumns | None:
    """The order-log columns of a sample of a large log, or None without a customer, a date
    and an amount; whether customers repeat is for the caller to count on the whole log."""
    if len(sample) < 2 or len(sample.columns) < 3:
        return None
    found = _search(sample, min_date_share=0.9)
    if found["customer"] is None or found["date"] is None or found["amount"] is None:
        return None
    return _order_columns(found)


def find_order_columns(df: pd.DataFrame) -> OrderColumns:
    """The order-log columns of ``df`` when the user said it is one (``--mode rfm``).

    Lenient: dates need only mostly parse, and the amount may be missing (segments then use
    recency and frequency only). Raises :class:`NoUsableColumns` naming the file's columns when
    there is no customer or no date column.
    """
    found = _search(df, min_date_share=0.5)
    if found["customer"] is None:
        # Without a customer-like header, a column of e-mail addresses still identifies people.
        found["customer"] = _email_column(df, taken={found["date"]})
    missing = [
        what
        for what, role in (
            ("a customer column (an id, e-mail or name)", "customer"),
            ("a date column", "date"),
        )
        if found[role] is None
    ]
    if missing:
        raise NoUsableColumns(
            f"To read this as an order log I need {' and '.join(missing)}, but I couldn't find "
            f"one. {columns_sentence(df)} Rename the columns (for example 'customer', 'date', "
            "'amount') or segment it as a customer table instead."
        )
    return _order_columns(found)


def _order_columns(found: dict[str, str | None]) -> OrderColumns:
    customer, date = found["customer"], found["date"]
    assert customer is not None and date is not None  # callers checked both
    return OrderColumns(
        customer=customer,
        date=date,
        amount=found["amount"],
        quantity=found["quantity"],
        order_id=found["order_id"],
        status=found["status"],
        amount_is_unit_price=_is_unit_price(found["amount"], found["quantity"]),
        cancelled_at=found["cancelled_at"],
        refunded=found["refunded"],
    )


def _email_column(df: pd.DataFrame, taken: set[str | None]) -> str | None:
    for name in df.columns:
        if name in taken or not is_string_dtype(df[name]):
            continue
        sample = sample_values(df[name]).astype(str)
        if not sample.empty and sample.str.contains("@", regex=False).mean() > 0.8:
            return str(name)
    return None
