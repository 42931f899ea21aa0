"""Recognise an order log (one row per order or order line) and turn it into one row per customer.

The per-customer table carries recency, frequency and monetary value (RFM), the measures
marketers already use. Everything here is vectorised: parsing works on the distinct values of a
column and aggregation is a groupby on integer codes, so five million order rows take seconds.
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

from segmentation.errors import NoUsableColumns, TooFewRows, UnknownColumn

__all__ = [
    "OrderColumns",
    "CustomerTable",
    "detect_order_log",
    "find_order_columns",
    "build_customer_table",
    "parse_dates",
    "format_money",
]


@dataclass(frozen=True)
class OrderColumns:
    """Which column of an order log plays which part (exact header names).

    ``amount_is_unit_price`` is True when ``amount`` is a price per unit (e.g. "UnitPrice"),
    so that a line's spend is quantity times price. ``cancelled_at`` is a column such as
    Shopify's "Cancelled at": an order with a value there was cancelled.
    """

    customer: str
    date: str
    amount: str | None
    quantity: str | None
    order_id: str | None
    status: str | None
    amount_is_unit_price: bool = False
    cancelled_at: str | None = None


@dataclass(frozen=True)
class CustomerTable:
    """An order log summarised per customer.

    ``customers`` has one row per customer who bought at least once: ``customer`` (text; a
    pseudonym such as ``C000123`` when the key is an e-mail, a name or a phone number),
    ``recency_days``, ``frequency`` (orders), ``monetary`` (net spend, refunds deducted),
    ``avg_order_value``, ``tenure_days``, ``first_order``, ``last_order`` (ISO dates) and
    ``items`` when there is a quantity. The monetary columns are absent without an amount.

    ``orders`` counts every order read (line items sharing an order id are one order, refunds
    and cancelled orders included); ``orders_used`` counts the purchases behind ``frequency``.
    ``refunds_total`` is the sum of the refunds as written in the file, so it is negative.
    ``rows_dropped`` counts input rows left out (no customer, unreadable date or amount).
    ``line_items`` counts the extra rows of multi-line orders whose order-level amount is blank
    (Shopify-style exports): they belong to the order above them and are not left out.
    """

    customers: pd.DataFrame
    orders: int
    orders_used: int
    customers_count: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    refunds: int
    refunds_total: float
    cancelled: int
    rows_dropped: int
    has_amount: bool
    line_items: int
    currency: str | None
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Recognising the columns
# --------------------------------------------------------------------------------------------

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
_PERSONAL_KEY_WORDS = ("email", "mail", "name", "phone", "mobile", "tel")

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

# Order statuses meaning "this purchase did not happen or was undone".
_CANCELLED = re.compile(
    r"cancel|refund|return|void|fail|declin|reject|chargeback|storn|annul", re.IGNORECASE
)
# ... unless only part of it was: a partially refunded order is still a purchase.
_PARTLY = re.compile(r"partial", re.IGNORECASE)
# Any recognisable order status, to tell a status column from a US "state" column.
_ANY_STATUS = re.compile(
    r"cancel|refund|return|void|fail|declin|reject|complete|paid|ship|deliver|pending|process|"
    r"fulfil|open|closed|success|placed|confirm|hold|partial|authori",
    re.IGNORECASE,
)

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
_CURRENCY_SYMBOLS = {"$": "$", "€": "€", "£": "£", "¥": "¥", "₹": "₹"}

_SAMPLE = 2_000
# An order log has repeat buyers: at least this share of its customers on two rows or more.
_MIN_REPEAT_SHARE = 0.1
_QUICK_REPEAT_ROWS = 200_000
_MAX_LISTED_COLUMNS = 30


def _tokens(header: object) -> tuple[list[str], str]:
    """Words of a header ("CustomerID" -> ["customer", "id"]) and their concatenation."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(header))
    words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    return words, "".join(words)


def _has_word(words: list[str], compact: str, vocabulary: tuple[str, ...] | set[str]) -> bool:
    # Short words must match a whole token ("id" must not match "paid"); longer ones may sit
    # inside a compound header ("invoicedate", "unitprice").
    return any(w in words or (len(w) >= 4 and w in compact) for w in vocabulary)


def _sample(series: pd.Series, size: int = _SAMPLE) -> pd.Series:
    """Up to ``size`` non-missing values, spread over the whole column, deterministic."""
    if len(series) > 2 * size:
        # Pick positions first: dropping missing values of a whole 5M-row column is slow.
        series = series.iloc[(np.arange(2 * size) * (len(series) / (2 * size))).astype(np.int64)]
    values = series.dropna()
    if len(values) <= size:
        return values
    step = len(values) / size
    return values.iloc[(np.arange(size) * step).astype(np.int64)]


def _is_fractional(series: pd.Series) -> bool:
    if not is_numeric_dtype(series) or is_bool_dtype(series):
        return False
    values = _sample(series).to_numpy(dtype=np.float64)
    return bool(np.any(values != np.floor(values)))


def _customer_score(header: object, series: pd.Series) -> float:
    words, compact = _tokens(header)
    if not words or set(words) & _CUSTOMER_NOT:
        return 0.0
    named = _has_word(words, compact, _CUSTOMER_WORDS)
    if not named and words != ["name"]:
        return 0.0
    if not named and _holds_order_numbers(series):
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
    words, compact = _tokens(header)
    named = _has_word(words, compact, _DATE_WORDS)
    if is_bool_dtype(series) or _has_word(words, compact, _CANCEL_WORDS):
        return 0.0  # when an order was cancelled is not when it was placed
    if not named and not is_datetime64_any_dtype(series) and not is_string_dtype(series):
        return 0.0  # a plain number column with no date-like header is never a date
    sample = _sample(series)
    if sample.empty:
        return 0.0
    if not named and is_string_dtype(series):
        # Most text columns are plainly not dates; a quick look spares the format search.
        head = sample.iloc[:50].astype(str)
        if float(head.str.contains(_DATE_LIKE).mean()) < 0.9:
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
    words, compact = _tokens(header)
    if not _has_word(words, compact, _AMOUNT_WORDS) and not any(
        s in str(header) for s in _CURRENCY_SYMBOLS
    ):
        return 0.0
    if _amount_values(_sample(series)) is None:
        return 0.0
    score = 1.0
    if _has_word(words, compact, _AMOUNT_STRONG):
        score += 2
    if set(words) & _AMOUNT_BAD:
        score -= 2
    if set(words) & _UNIT_WORDS:
        score -= 0.5  # a line total beats a unit price when both are there
    if compact.startswith("sub"):
        score -= 0.5  # "Total" beats "Subtotal" (before shipping) when both are there
    return score


def _quantity_score(header: object, series: pd.Series) -> float:
    words, compact = _tokens(header)
    if not _has_word(words, compact, _QUANTITY_WORDS) or not is_numeric_dtype(series):
        return 0.0
    if is_bool_dtype(series):
        return 0.0
    return 2.0 if "count" not in words else 1.0


def _order_id_score(header: object, series: pd.Series) -> float:
    words, compact = _tokens(header)
    if words == ["name"] and series.notna().mean() >= 0.5 and _holds_order_numbers(series):
        return 2.0
    if not _has_word(words, compact, _ORDER_WORDS) or _is_fractional(series):
        return 0.0
    if set(words) & _ORDER_NOT:
        return 0.0
    if is_datetime64_any_dtype(series) or series.notna().mean() < 0.5:
        return 0.0
    return 2.0 if set(words) & _KEY_WORDS or compact.endswith("id") else 1.0


def _status_score(header: object, series: pd.Series) -> float:
    words, compact = _tokens(header)
    if not _has_word(words, compact, _STATUS_WORDS) or is_numeric_dtype(series):
        return 0.0
    sample = _sample(series).astype(str)
    if sample.empty:
        return 0.0
    # "state" is as often a US state as an order state; only its values can tell.
    recognised = float(sample.str.contains(_ANY_STATUS).mean())
    if "status" not in words and recognised < 0.5:
        return 0.0
    return 1.0 + recognised + (0.5 if set(words) & _PAYMENT_STATUS_WORDS else 0.0)


def _cancelled_at_score(header: object, series: pd.Series) -> float:
    """A column such as "Cancelled at": filled only for cancelled orders, with when."""
    words, compact = _tokens(header)
    if not _has_word(words, compact, _CANCEL_WORDS) or is_bool_dtype(series):
        return 0.0
    if not (set(words) & _WHEN_WORDS or compact in _CANCEL_WORDS):
        return 0.0  # "cancel reason", "cancellation fee": not a timestamp
    filled = _sample(series)
    if filled.empty:
        return 1.0  # nothing was cancelled in this file
    return 1.0 + float(parse_dates(filled)[0].notna().mean())


def _holds_order_numbers(series: pd.Series) -> bool:
    """Whether the column's values look like "#1001", the way shops write order numbers."""
    if not is_string_dtype(series):
        return False
    sample = _sample(series, 500).astype(str)
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
    ):
        found[role] = _best(df, taken, score)
        taken |= {found[role]} - {None}
    if found["order_id"] is not None and found["customer"] is not None:
        # Merging rows by a column that is not really an order id would silently merge orders:
        # a customer has at least as many orders as there are customers with orders.
        pair = df[[found["customer"], found["order_id"]]]
        if len(pair) > 2 * _SAMPLE:
            pair = pair.iloc[:: len(pair) // (2 * _SAMPLE)]
        pair = pair.dropna()
        if pair.iloc[:, 1].nunique() < 0.9 * pair.iloc[:, 0].nunique():
            found["order_id"] = None
    return found


def _is_unit_price(amount: str | None, quantity: str | None) -> bool:
    if amount is None or quantity is None:
        return False
    words, compact = _tokens(amount)
    return bool(set(words) & _UNIT_WORDS) or compact in {"price", "unitprice", "itemprice"}


def _columns_sentence(df: pd.DataFrame) -> str:
    names = [str(c) for c in df.columns]
    shown = ", ".join(names[:_MAX_LISTED_COLUMNS])
    if len(names) > _MAX_LISTED_COLUMNS:
        shown += f" and {len(names) - _MAX_LISTED_COLUMNS} more"
    return f"The file has: {shown}." if names else "The file has no columns."


def _repeat_share(series: pd.Series) -> float:
    """Share of customers that appear on more than one row."""
    if len(series) > _QUICK_REPEAT_ROWS:
        # Sampling rows only hides repeats, so a high share in a sample settles it cheaply.
        quick = _repeat_share(series.iloc[:: len(series) // _QUICK_REPEAT_ROWS + 1])
        if quick >= _MIN_REPEAT_SHARE:
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
    if _repeat_share(df[found["customer"]]) < _MIN_REPEAT_SHARE:
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
            f"one. {_columns_sentence(df)} Rename the columns (for example 'customer', 'date', "
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
    )


def _email_column(df: pd.DataFrame, taken: set[str | None]) -> str | None:
    for name in df.columns:
        if name in taken or not is_string_dtype(df[name]):
            continue
        sample = _sample(df[name]).astype(str)
        if not sample.empty and sample.str.contains("@", regex=False).mean() > 0.8:
            return str(name)
    return None


# --------------------------------------------------------------------------------------------
# Parsing values
# --------------------------------------------------------------------------------------------

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
_DATE_LIKE = re.compile(
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
    parts = _sample(text, 20_000).str.extract(_NUMERIC_DATE)
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
    sample = _sample(text, 300)
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


def _amount_values(series: pd.Series) -> pd.Series | None:
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


def _currency(df: pd.DataFrame, cols: OrderColumns) -> str | None:
    if cols.amount is None:
        return None
    header = str(cols.amount)
    for symbol, shown in _CURRENCY_SYMBOLS.items():
        if symbol in header:
            return shown
    words, _ = _tokens(header)
    for word in words:
        if word in _CURRENCY_WORDS:
            return _CURRENCY_WORDS[word]
    series = df[cols.amount]
    attrs_currency = series.attrs.get("currency") or df.attrs.get("currency", {})
    if isinstance(attrs_currency, dict):
        attrs_currency = attrs_currency.get(cols.amount)
    if isinstance(attrs_currency, str) and attrs_currency:
        return attrs_currency
    if is_string_dtype(series):
        sample = " ".join(_sample(series, 200).astype(str))
        for symbol, shown in _CURRENCY_SYMBOLS.items():
            if symbol in sample:
                return shown
    return None


def format_money(value: float, currency: str | None) -> str:
    """Money for people: ``$1,234``, ``€12.50``, ``−$340``; a bare number without a currency."""
    sign = "−" if value < 0 else ""
    amount = abs(value)
    digits = f"{amount:,.2f}" if amount < 100 and amount != round(amount) else f"{amount:,.0f}"
    return f"{sign}{currency or ''}{digits}"


# --------------------------------------------------------------------------------------------
# Aggregating
# --------------------------------------------------------------------------------------------


def _customer_keys(series: pd.Series, header: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer codes per row (-1 = no customer), the distinct keys as text, and whether those
    keys are personal data (e-mails, names, phones) that must be replaced by pseudonyms."""
    if is_numeric_dtype(series) and not is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        codes, uniques = _number_codes(values)
        integral = bool(np.all(uniques == np.floor(uniques)))
        shown = uniques.astype(np.int64).astype(str) if integral else uniques.astype(str)
        return codes, np.asarray(shown, dtype=object), False

    codes, uniques = pd.factorize(series)
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    emails = text.str.contains("@", regex=False)
    # The same address in other capitals is the same person.
    text = text.where(~emails, text.str.lower())
    text = text.where(text != "", None)
    # Distinct raw values can collapse to one key after cleaning: re-factorise the clean text.
    clean_codes, clean_uniques = pd.factorize(text)
    codes = np.append(clean_codes, -1)[np.where(codes >= 0, codes, len(clean_codes))]

    words, compact = _tokens(header)
    sample = pd.Series(np.asarray(clean_uniques[:5_000], dtype=object)).astype(str)
    personal = (
        any(w in words or w in compact for w in _PERSONAL_KEY_WORDS)
        or bool(emails.any())
        # Keys without a single digit are names, not codes.
        or (len(sample) > 0 and float(sample.str.contains(r"\d").mean()) < 0.5)
    )
    return codes.astype(np.int64), np.asarray(clean_uniques, dtype=object), personal


def _number_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes for numeric keys (NaN -> -1), in order of the key's value."""
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(len(values), -1, dtype=np.int64), np.array([], dtype=np.float64)
    low, high = values[finite].min(), values[finite].max()
    whole = bool(np.all(values[finite] == np.floor(values[finite])))
    if whole and low >= 0 and high <= 4 * len(values) + 1_000_000:
        # Small non-negative integer ids: a lookup table is much faster than hashing.
        ids = np.where(finite, values, 0).astype(np.int64)
        present = np.zeros(int(high) + 1, dtype=bool)
        present[ids[finite]] = True
        rank = np.cumsum(present) - 1
        codes = np.where(finite, rank[ids], -1)
        return codes.astype(np.int64), np.flatnonzero(present).astype(np.float64)
    uniques, inverse = np.unique(values[finite], return_inverse=True)
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[finite] = inverse
    return codes, uniques


def _pseudonyms(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _iso_days(days: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970) as ISO text; formatting each distinct day once is much faster."""
    distinct, inverse = np.unique(days, return_inverse=True)
    return distinct.astype("datetime64[D]").astype(str).astype(object)[inverse]


_NEVER = np.iinfo(np.int64).max
_MAX_AMOUNT = 1e12


def _first_per_group(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first row of each group (every group must have a row)."""
    first = np.full(n_groups, _NEVER, dtype=np.int64)
    np.minimum.at(first, groups, np.arange(len(groups), dtype=np.int64))
    return first


def build_customer_table(df: pd.DataFrame, cols: OrderColumns) -> CustomerTable:
    """Summarise an order log per customer: recency, frequency, monetary, tenure.

    Parameters
    ----------
    df : DataFrame of shape (n_rows, n_columns)
        One row per order or per order line.
    cols : OrderColumns
        Which columns hold the customer, the date, and optionally the amount, quantity, order id
        and status (from :func:`detect_order_log` or :func:`find_order_columns`).

    Returns
    -------
    CustomerTable
        ``customers`` has one row per customer with at least one purchase (numeric ids in
        order, other keys in order of first appearance in the file).

    Notes
    -----
    Rows sharing an order id are one order. Orders with a cancelled, refunded, returned, void or
    failed status are left out and counted. Orders with a negative amount are refunds: they are
    deducted from the customer's spend and counted, not counted as orders. Recency and tenure
    are whole days back from the latest date in the file.
    """
    for role, name in (("customer", cols.customer), ("date", cols.date)):
        if name not in df.columns:
            raise UnknownColumn(
                f"The {role} column '{name}' is not in the file. {_columns_sentence(df)}"
            )
    n_rows = len(df)
    warnings: list[str] = []
    currency = _currency(df, cols)

    cust_codes, keys, personal = _customer_keys(df[cols.customer], cols.customer)
    dates, date_note = parse_dates(df[cols.date])
    if date_note:
        warnings.append(date_note)
    date_ns = dates.to_numpy(dtype="datetime64[ns]")

    amount: np.ndarray | None = None
    if cols.amount is not None:
        if cols.amount not in df.columns:
            raise UnknownColumn(
                f"The amount column '{cols.amount}' is not in the file. {_columns_sentence(df)}"
            )
        parsed_amount = _amount_values(df[cols.amount])
        if parsed_amount is None:
            raise NoUsableColumns(
                f"The amount column '{cols.amount}' does not hold numbers I can read. "
                "Check that it holds amounts such as 12.50 or €1,200, or leave it out."
            )
        amount = parsed_amount.to_numpy(dtype=np.float64, na_value=np.nan)
    quantity: np.ndarray | None = None
    if cols.quantity is not None and cols.quantity in df.columns:
        q = df[cols.quantity]
        if is_numeric_dtype(q) and not is_bool_dtype(q):
            quantity = np.nan_to_num(q.to_numpy(dtype=np.float64, na_value=np.nan))
    if amount is not None and cols.amount_is_unit_price and quantity is not None:
        amount = amount * quantity
        warnings.append(
            f"Spend per line is '{cols.quantity}' times '{cols.amount}' (a price per unit)."
        )

    order_codes: np.ndarray | None = None
    if cols.order_id is not None and cols.order_id in df.columns:
        order_codes = pd.factorize(df[cols.order_id])[0].astype(np.int64)
    line_item = np.zeros(n_rows, dtype=bool)
    if order_codes is not None and amount is not None:
        blank = np.isnan(amount)
        if blank.any():
            # Only a blank cell marks a line item; text that is not a number stays unreadable.
            raw = df[cols.amount].to_numpy()[blank]
            empty = pd.isna(raw)
            if not empty.all():  # only text cells can be blank without being missing
                text = pd.Series(raw[~empty], dtype=object).astype(str).str.strip()
                empty[~empty] = (text == "").to_numpy()
            blank[blank] = empty
            line_item, date_ns = _line_items(cust_codes, order_codes, amount, blank, date_ns)
            amount = np.where(line_item, 0.0, amount)

    # Rows we cannot place are left out, and each reason is counted for the user.
    no_customer = cust_codes < 0
    bad_date = ~no_customer & np.isnat(date_ns)
    bad_amount = np.zeros(n_rows, dtype=bool)
    if amount is not None:
        # Missing, infinite or absurd (beyond a trillion per order) amounts cannot be summed.
        bad_amount = ~no_customer & ~bad_date & ~(np.abs(amount) <= _MAX_AMOUNT)
    keep = ~(no_customer | bad_date | bad_amount)
    rows_dropped = int(n_rows - keep.sum())
    if rows_dropped:
        reasons = [
            f"{count:,} {_plural(count, 'row')} had {why}"
            for count, why in (
                (int(no_customer.sum()), "no customer"),
                (int(bad_date.sum()), "a date I couldn't read"),
                (int(bad_amount.sum()), "an amount I couldn't read"),
            )
            if count
        ]
        warnings.append(_join(reasons) + "; they were left out.")
    if not keep.any():
        raise TooFewRows(
            f"None of the {n_rows:,} rows has both a customer in '{cols.customer}' and a date I "
            f"can read in '{cols.date}'. Check that these columns hold customers and dates."
        )

    cancelled_row = np.zeros(n_rows, dtype=bool)
    if cols.status is not None and cols.status in df.columns:
        s_codes, s_uniques = pd.factorize(df[cols.status])
        words = pd.Series(np.asarray(s_uniques, dtype=object)).astype(str)
        flags = words.str.contains(_CANCELLED) & ~words.str.contains(_PARTLY)
        cancelled_row = np.append(flags.to_numpy(dtype=bool), False)[
            np.where(s_codes >= 0, s_codes, len(flags))
        ]
    if cols.cancelled_at is not None and cols.cancelled_at in df.columns:
        c_codes, c_uniques = pd.factorize(df[cols.cancelled_at])
        filled = pd.Series(np.asarray(c_uniques, dtype=object)).astype(str).str.strip() != ""
        cancelled_row |= np.append(filled.to_numpy(dtype=bool), False)[
            np.where(c_codes >= 0, c_codes, len(filled))
        ]

    cust = cust_codes[keep]
    when = date_ns[keep].view(np.int64)
    is_cancelled = cancelled_row[keep]
    spend = amount[keep] if amount is not None else None
    items = quantity[keep] if quantity is not None else None

    if order_codes is not None:
        # Line items sharing an order id (for the same customer) are one order.
        o_codes = order_codes[keep]
        lone = o_codes < 0  # a line without an order id is an order of its own
        o_codes[lone] = int(order_codes.max()) + 1 + np.arange(int(lone.sum()))
        order_of_row, _ = pd.factorize(cust * (int(o_codes.max()) + 1) + o_codes)
        n_orders = int(order_of_row.max()) + 1
        lines = len(cust)
        cust = cust[_first_per_group(order_of_row, n_orders)]
        first_when = np.full(n_orders, _NEVER, dtype=np.int64)
        np.minimum.at(first_when, order_of_row, when)
        when = first_when
        is_cancelled = np.bincount(order_of_row, weights=is_cancelled, minlength=n_orders) > 0
        if spend is not None:
            spend = np.bincount(order_of_row, weights=spend, minlength=n_orders)
        if items is not None:
            items = np.bincount(order_of_row, weights=items, minlength=n_orders)
        if n_orders < lines:
            warnings.append(
                f"Rows sharing an order number in '{cols.order_id}' were counted as one order "
                f"({lines:,} rows, {n_orders:,} orders)."
            )
    n_orders = len(cust)

    refund = np.zeros(n_orders, dtype=bool)
    if spend is not None:
        refund = ~is_cancelled & (spend < 0)
    purchase = ~is_cancelled & ~refund
    n_cancelled = int(is_cancelled.sum())
    n_refunds = int(refund.sum())
    refunds_total = float(spend[refund].sum()) if spend is not None and n_refunds else 0.0

    n_keys = len(keys)
    frequency = np.bincount(cust[purchase], minlength=n_keys)
    first_ns = np.full(n_keys, _NEVER, dtype=np.int64)
    np.minimum.at(first_ns, cust[purchase], when[purchase])
    last_ns = np.full(n_keys, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_ns, cust[purchase], when[purchase])
    buyers = np.flatnonzero(frequency > 0)
    if len(buyers) == 0:
        raise TooFewRows(
            "Every order in the file is cancelled or a refund, so there are no purchases to "
            "segment. Share an export that includes completed orders."
        )
    without_purchase = int((np.bincount(cust, minlength=n_keys) > 0).sum()) - len(buyers)
    if without_purchase:
        warnings.append(
            f"{without_purchase:,} {_plural(without_purchase, 'customer')} had only refunds or "
            "cancelled orders, so they were left out."
        )
    if n_refunds or n_cancelled:
        parts = []
        if n_refunds:
            parts.append(
                f"{n_refunds:,} {_plural(n_refunds, 'refund')} "
                f"({format_money(refunds_total, currency)}) "
                f"{'was' if n_refunds == 1 else 'were'} netted against spend"
            )
        if n_cancelled:
            parts.append(
                f"{n_cancelled:,} cancelled, refunded or failed "
                f"{_plural(n_cancelled, 'order')} {'was' if n_cancelled == 1 else 'were'} "
                "left out"
            )
        warnings.append("; ".join(parts) + ".")
    if amount is None:
        warnings.append(
            "There is no amount column, so customers are compared on how recently and how often "
            "they ordered, not on how much they spent."
        )

    day_ns = np.int64(86_400 * 10**9)
    ref_ns = int(when.max())
    # Whole days between calendar dates: an order on the file's last day is 0 days old.
    ref_day = ref_ns // day_ns
    first_day = first_ns[buyers] // day_ns
    last_day = last_ns[buyers] // day_ns
    freq = frequency[buyers].astype(np.int64)
    shown = _pseudonyms(n_keys)[buyers] if personal else keys[buyers]
    table = pd.DataFrame(
        {
            "customer": pd.array(shown, dtype="str"),
            "recency_days": ref_day - last_day,
            "frequency": freq,
        }
    )
    if spend is not None:
        # Net spend: purchases plus (negative) refunds of the same customer.
        counted = purchase | refund
        net = np.bincount(cust[counted], weights=spend[counted], minlength=n_keys)[buyers]
        table["monetary"] = np.round(net, 2)
        table["avg_order_value"] = np.round(net / freq, 2)
    table["tenure_days"] = ref_day - first_day
    table["first_order"] = pd.array(_iso_days(first_day), dtype="str")
    table["last_order"] = pd.array(_iso_days(last_day), dtype="str")
    if items is not None:
        bought = np.bincount(cust[purchase], weights=items[purchase], minlength=n_keys)[buyers]
        whole = bool(np.all(bought == np.floor(bought)))
        table["items"] = bought.astype(np.int64) if whole else bought

    return CustomerTable(
        customers=table,
        orders=n_orders,
        orders_used=int(freq.sum()),
        customers_count=len(table),
        first_date=pd.Timestamp(int(when.min()), unit="ns"),
        last_date=pd.Timestamp(ref_ns, unit="ns"),
        refunds=n_refunds,
        refunds_total=round(refunds_total, 2),
        cancelled=n_cancelled,
        rows_dropped=rows_dropped,
        has_amount=spend is not None,
        line_items=int(line_item.sum()),
        currency=currency,
        warnings=tuple(warnings),
    )


def _line_items(
    cust: np.ndarray, order: np.ndarray, amount: np.ndarray, blank: np.ndarray, date_ns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which rows are further lines of an order whose amount is on another row, and the dates
    with those lines' missing dates taken from their order.

    Shopify and similar exports write the order's total, status and date on its first row only;
    the other rows of the order repeat its number and e-mail and list one product each.
    """
    placed = (cust >= 0) & (order >= 0)
    line = np.zeros(len(cust), dtype=bool)
    if not (placed & blank).any():
        return line, date_ns
    rows = np.flatnonzero(placed)
    # The same order number under two customers is two orders (some shops number per customer).
    group, _ = pd.factorize(cust[rows] * (int(order.max()) + 1) + order[rows])
    n_groups = int(group.max()) + 1
    when = date_ns[rows].view(np.int64)
    carries = ~blank[rows] & (np.abs(amount[rows]) <= _MAX_AMOUNT) & ~np.isnat(date_ns[rows])
    has_amount = np.bincount(group[carries], minlength=n_groups) > 0
    is_line = blank[rows] & has_amount[group]
    line[rows[is_line]] = True
    order_day = np.full(n_groups, _NEVER, dtype=np.int64)
    np.minimum.at(order_day, group[carries], when[carries])
    undated = is_line & np.isnat(date_ns[rows])
    if undated.any():
        date_ns = date_ns.copy()
        date_ns[rows[undated]] = order_day[group[undated]].view("datetime64[ns]")
    return line, date_ns


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
