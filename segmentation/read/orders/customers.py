"""Summarise an order log per customer: recency, frequency, monetary value and tenure.

Everything is vectorised: keys, dates and statuses are parsed once per distinct value and the
aggregation is a bincount on integer codes, so five million order rows take seconds. The work
runs in stages: read the rows, leave out the unusable ones, merge line items into orders, sort
orders into purchases, refunds and cancellations, and sum them per customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from segmentation.errors import NoUsableColumns, TooFewRows, UnknownColumn
from segmentation.read.orders._common import columns_sentence, header_words, join_words, plural
from segmentation.read.orders.contacts import (
    find_contact_columns,
    latest_per_customer,
    latest_positions,
)
from segmentation.read.orders.dates import parse_dates
from segmentation.read.orders.detect import OrderColumns
from segmentation.read.orders.money import MAX_AMOUNT, amount_values, detect_currency, format_money

__all__ = ["CustomerTable", "build_customer_table"]


@dataclass(frozen=True)
class CustomerTable:
    """An order log summarised per customer.

    ``customers`` has one row per customer who bought at least once. It starts with the
    customer key as written in the file (text, headed ``key_column``: the file's own header),
    then the file's ``contact_columns`` (e-mail, first, last or full name, phone: each
    customer's latest non-blank value, under the file's headers), then ``recency_days``,
    ``frequency`` (orders), ``monetary`` (net spend, refunds deducted), ``avg_order_value``,
    ``tenure_days``, ``first_order``, ``last_order`` (ISO dates) and ``items`` when there is a
    quantity. The monetary columns are absent without an amount. The key and contact columns
    are personal data: they may go back only where the file came from, in the exported table.

    ``orders`` counts every order read (line items sharing an order id are one order, refunds
    and cancelled orders included); ``orders_used`` counts the purchases behind ``frequency``.
    ``refunds_total`` is the money refunded (negative): refund rows as written in the file plus
    the refunded amounts of partly refunded orders (``partly_refunded`` of them, from a column
    such as Shopify's "Refunded Amount"). An order refunded in full counts as cancelled.
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
    key_column: str = "customer"
    contact_columns: tuple[str, ...] = ()
    partly_refunded: int = 0


# Order statuses meaning "this purchase did not happen or was undone".
_CANCELLED = re.compile(
    r"cancel|refund|return|void|fail|declin|reject|chargeback|storn|annul", re.IGNORECASE
)
# ... unless only part of it was: a partially refunded order is still a purchase.
_PARTLY = re.compile(r"partial", re.IGNORECASE)
# The table's own columns; a customer key headed like one of them is renamed.
_COMPUTED = {
    "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days", "first_order",
    "last_order", "items", "segment", "segment_name",
}  # fmt: skip
# An amount column headed like this is per line, never an order's total repeated.
_LINE_WORDS = {"line", "lineitem", "item", "items", "product", "unit", "each", "per"}
_ORDER_TOTAL_WORDS = {"order", "orders"}
# Repeated order totals: this share of the orders with several lines carry one amount on all.
_REPEATED_SHARE = 0.9
_MIN_REPEATED_ORDERS = 5
# A refund within a cent of the order's total refunds all of it.
_CENT = 0.005
_NEVER = np.iinfo(np.int64).max
_DAY_NS = np.int64(86_400 * 10**9)


@dataclass(frozen=True)
class _Rows:
    """The input rows as arrays, one entry per row; codes are -1 where a value is missing."""

    cust: np.ndarray  # customer code per row
    keys: np.ndarray  # the distinct customer keys, as written in the file
    date_ns: np.ndarray  # datetime64[ns], NaT where unreadable
    amount: np.ndarray | None  # spend per row (line items of a Shopify order: 0)
    quantity: np.ndarray | None
    order: np.ndarray | None  # order-id code per row
    line_item: np.ndarray  # further lines of an order whose amount sits on another row
    cancelled: np.ndarray  # the row's status or "cancelled at" says the order was undone
    refunded: np.ndarray | None  # money refunded on the row's order (>= 0)


@dataclass(frozen=True)
class _Orders:
    """One entry per order (per row when there is no order id), usable rows only."""

    cust: np.ndarray
    when: np.ndarray  # int64 nanoseconds
    cancelled: np.ndarray
    spend: np.ndarray | None
    items: np.ndarray | None
    refunded: np.ndarray | None


@dataclass(frozen=True)
class _Outcome:
    """What the orders add up to per customer code (``buyers``: codes with a purchase)."""

    purchase: np.ndarray  # per order
    refund: np.ndarray  # per order
    cancelled: np.ndarray  # per order, orders refunded in full included
    spend: np.ndarray | None  # per order, partial refunds deducted
    partly_refunded: int  # orders
    partly_refunded_total: float  # negative
    frequency: np.ndarray  # per customer code
    first_ns: np.ndarray
    last_ns: np.ndarray
    buyers: np.ndarray
    refunds_total: float


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
    Rows sharing an order id are one order: their amounts add up, unless the amount column
    repeats the order's total on each line (WooCommerce), when it counts once. Orders with a
    cancelled, refunded, returned, void or failed status are left out and counted. Orders with
    a negative amount are refunds: they are deducted from the customer's spend and counted, not
    counted as orders. A refunded amount column (Shopify's "Refunded Amount") is deducted from
    its order; an order refunded in full counts as cancelled. Recency and tenure are whole days
    back from the latest date in the file.
    """
    _check_columns(df, cols)
    warnings: list[str] = []
    currency = detect_currency(df, cols.amount)
    rows = _read_rows(df, cols, warnings)
    keep, rows_dropped = _usable_rows(rows, cols, warnings)
    orders = _merge_orders(rows, keep, cols, warnings)
    outcome = _sort_out(orders, len(rows.keys))
    warnings += _outcome_warnings(orders, outcome, currency)
    key = cols.customer if cols.customer not in _COMPUTED else f"{cols.customer} (customer)"
    table = _customer_frame(rows, orders, outcome, key)
    contacts = _add_contacts(table, df, cols, rows, keep, outcome.buyers)
    return CustomerTable(
        customers=table,
        orders=len(orders.cust),
        orders_used=int(outcome.frequency.sum()),
        customers_count=len(table),
        first_date=pd.Timestamp(int(orders.when.min()), unit="ns"),
        last_date=pd.Timestamp(int(orders.when.max()), unit="ns"),
        refunds=int(outcome.refund.sum()),
        refunds_total=round(outcome.refunds_total + outcome.partly_refunded_total, 2),
        cancelled=int(outcome.cancelled.sum()),
        rows_dropped=rows_dropped,
        has_amount=orders.spend is not None,
        line_items=int(rows.line_item.sum()),
        currency=currency,
        warnings=tuple(warnings),
        key_column=key,
        contact_columns=contacts,
        partly_refunded=outcome.partly_refunded,
    )


def _check_columns(df: pd.DataFrame, cols: OrderColumns) -> None:
    for role, name in (("customer", cols.customer), ("date", cols.date), ("amount", cols.amount)):
        if name is not None and name not in df.columns:
            raise UnknownColumn(
                f"The {role} column '{name}' is not in the file. {columns_sentence(df)}"
            )


# --- reading the rows -------------------------------------------------------------------------


def _read_rows(df: pd.DataFrame, cols: OrderColumns, warnings: list[str]) -> _Rows:
    """Every row's customer, date, amount, quantity, order and status as arrays."""
    cust, keys = _customer_keys(df[cols.customer])
    dates, date_note = parse_dates(df[cols.date])
    if date_note:
        warnings.append(date_note)
    date_ns = dates.to_numpy(dtype="datetime64[ns]")
    amount = _read_amount(df, cols)
    quantity = _read_quantity(df, cols)
    if amount is not None and cols.amount_is_unit_price and quantity is not None:
        amount = amount * quantity
        warnings.append(
            f"Spend per line is '{cols.quantity}' times '{cols.amount}' (a price per unit)."
        )
    order: np.ndarray | None = None
    if cols.order_id is not None and cols.order_id in df.columns:
        order = pd.factorize(df[cols.order_id])[0].astype(np.int64)
    line_item = np.zeros(len(df), dtype=bool)
    if order is not None and amount is not None and cols.amount is not None:
        blank = _blank_amounts(df[cols.amount], amount)
        if blank.any():
            line_item, date_ns = _line_items(cust, order, amount, blank, date_ns)
            amount = np.where(line_item, 0.0, amount)
    return _Rows(
        cust=cust,
        keys=keys,
        date_ns=date_ns,
        amount=amount,
        quantity=quantity,
        order=order,
        line_item=line_item,
        cancelled=_cancelled_rows(df, cols),
        refunded=_read_refunded(df, cols),
    )


def _read_amount(df: pd.DataFrame, cols: OrderColumns) -> np.ndarray | None:
    if cols.amount is None:
        return None
    parsed = amount_values(df[cols.amount])
    if parsed is None:
        raise NoUsableColumns(
            f"The amount column '{cols.amount}' does not hold numbers I can read. "
            "Check that it holds amounts such as 12.50 or €1,200, or leave it out."
        )
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan)


def _read_refunded(df: pd.DataFrame, cols: OrderColumns) -> np.ndarray | None:
    if cols.refunded is None or cols.refunded not in df.columns:
        return None
    parsed = amount_values(df[cols.refunded])
    if parsed is None:
        return None
    # Some shops write refunds as negative numbers; blanks and "0.00" mean nothing refunded.
    values = np.abs(parsed.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.where(values <= MAX_AMOUNT, values, 0.0)


def _read_quantity(df: pd.DataFrame, cols: OrderColumns) -> np.ndarray | None:
    if cols.quantity is None or cols.quantity not in df.columns:
        return None
    q = df[cols.quantity]
    if not is_numeric_dtype(q) or is_bool_dtype(q):
        return None
    return np.nan_to_num(q.to_numpy(dtype=np.float64, na_value=np.nan))


def _blank_amounts(raw_column: pd.Series, amount: np.ndarray) -> np.ndarray:
    """Rows whose amount cell is empty (not merely unreadable text such as "ten")."""
    blank = np.isnan(amount)
    if not blank.any():
        return blank
    raw = raw_column.to_numpy()[blank]
    empty = pd.isna(raw)
    if not empty.all():  # only text cells can be blank without being missing
        text = pd.Series(raw[~empty], dtype=object).astype(str).str.strip()
        empty[~empty] = (text == "").to_numpy()
    blank[blank] = empty
    return blank


def _cancelled_rows(df: pd.DataFrame, cols: OrderColumns) -> np.ndarray:
    """Rows whose status says cancelled, refunded, void..., or whose "cancelled at" is filled."""
    cancelled = np.zeros(len(df), dtype=bool)
    if cols.status is not None and cols.status in df.columns:
        s_codes, s_uniques = pd.factorize(df[cols.status])
        words = pd.Series(np.asarray(s_uniques, dtype=object)).astype(str)
        flags = words.str.contains(_CANCELLED) & ~words.str.contains(_PARTLY)
        cancelled = np.append(flags.to_numpy(dtype=bool), False)[
            np.where(s_codes >= 0, s_codes, len(flags))
        ]
    if cols.cancelled_at is not None and cols.cancelled_at in df.columns:
        c_codes, c_uniques = pd.factorize(df[cols.cancelled_at])
        filled = pd.Series(np.asarray(c_uniques, dtype=object)).astype(str).str.strip() != ""
        cancelled |= np.append(filled.to_numpy(dtype=bool), False)[
            np.where(c_codes >= 0, c_codes, len(filled))
        ]
    return cancelled


def _customer_keys(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes per row (-1 = no customer) and the distinct keys as written in the file.

    Surrounding spaces are ignored and e-mail addresses match in any capitals; a key that was
    written several ways is shown the way it was first written.
    """
    if is_numeric_dtype(series) and not is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        codes, uniques = _number_codes(values)
        integral = bool(np.all(uniques == np.floor(uniques)))
        shown = uniques.astype(np.int64).astype(str) if integral else uniques.astype(str)
        return codes, np.asarray(shown, dtype=object)

    codes, uniques = pd.factorize(series)
    written = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    emails = written.str.contains("@", regex=False)
    # The same address in other capitals is the same person.
    text = written.where(~emails, written.str.lower())
    text = text.where(text != "", None)
    # Distinct raw values can collapse to one key after cleaning: re-factorise the clean text.
    clean_codes, clean_uniques = pd.factorize(text)
    codes = np.append(clean_codes, -1)[np.where(codes >= 0, codes, len(clean_codes))]
    # Raw values come in order of appearance, so a key's first raw value is its first writing.
    present = clean_codes >= 0
    _, first = np.unique(clean_codes[present], return_index=True)
    keys = written.to_numpy(dtype=object)[np.flatnonzero(present)[first]]
    return codes.astype(np.int64), keys


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
    carries = ~blank[rows] & (np.abs(amount[rows]) <= MAX_AMOUNT) & ~np.isnat(date_ns[rows])
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


# --- leaving out what cannot be placed --------------------------------------------------------


def _usable_rows(rows: _Rows, cols: OrderColumns, warnings: list[str]) -> tuple[np.ndarray, int]:
    """Rows with a customer, a readable date and (when there are amounts) a readable amount."""
    n_rows = len(rows.cust)
    no_customer = rows.cust < 0
    bad_date = ~no_customer & np.isnat(rows.date_ns)
    bad_amount = np.zeros(n_rows, dtype=bool)
    if rows.amount is not None:
        # Missing, infinite or absurd (beyond a trillion per order) amounts cannot be summed.
        bad_amount = ~no_customer & ~bad_date & ~(np.abs(rows.amount) <= MAX_AMOUNT)
    keep = ~(no_customer | bad_date | bad_amount)
    rows_dropped = int(n_rows - keep.sum())
    if rows_dropped:
        # Each reason is counted for the user.
        reasons = [
            f"{count:,} {plural(count, 'row')} had {why}"
            for count, why in (
                (int(no_customer.sum()), "no customer"),
                (int(bad_date.sum()), "a date I couldn't read"),
                (int(bad_amount.sum()), "an amount I couldn't read"),
            )
            if count
        ]
        warnings.append(join_words(reasons) + "; they were left out.")
    if not keep.any():
        raise TooFewRows(
            f"None of the {n_rows:,} rows has both a customer in '{cols.customer}' and a date I "
            f"can read in '{cols.date}'. Check that these columns hold customers and dates."
        )
    return keep, rows_dropped


# --- orders -----------------------------------------------------------------------------------


def _first_per_group(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first row of each group (every group must have a row)."""
    first = np.full(n_groups, _NEVER, dtype=np.int64)
    np.minimum.at(first, groups, np.arange(len(groups), dtype=np.int64))
    return first


def _merge_orders(
    rows: _Rows, keep: np.ndarray, cols: OrderColumns, warnings: list[str]
) -> _Orders:
    """The usable rows as orders: line items sharing an order id (for one customer) are one."""
    cust = rows.cust[keep]
    when = rows.date_ns[keep].view(np.int64)
    spend = rows.amount[keep] if rows.amount is not None else None
    items = rows.quantity[keep] if rows.quantity is not None else None
    refunded = rows.refunded[keep] if rows.refunded is not None else None
    if rows.order is None:
        return _Orders(cust, when, rows.cancelled[keep], spend, items, refunded)
    o_codes = rows.order[keep]
    lone = o_codes < 0  # a line without an order id is an order of its own
    o_codes[lone] = int(rows.order.max()) + 1 + np.arange(int(lone.sum()))
    order_of_row, _ = pd.factorize(cust * (int(o_codes.max()) + 1) + o_codes)
    n_orders = int(order_of_row.max()) + 1
    first_when = np.full(n_orders, _NEVER, dtype=np.int64)
    np.minimum.at(first_when, order_of_row, when)
    cancelled = np.bincount(order_of_row, weights=rows.cancelled[keep], minlength=n_orders) > 0
    if spend is not None:
        spend = _order_spend(order_of_row, n_orders, spend, ~rows.line_item[keep], cols, warnings)
    if items is not None:
        items = np.bincount(order_of_row, weights=items, minlength=n_orders)
    if refunded is not None:
        # Written on the order's first row or repeated on each line: either way, once.
        per_order = np.zeros(n_orders)
        np.maximum.at(per_order, order_of_row, refunded)
        refunded = per_order
    if n_orders < len(cust):
        warnings.append(
            f"Rows sharing an order number in '{cols.order_id}' were counted as one order "
            f"({len(cust):,} rows, {n_orders:,} orders)."
        )
    first_row = _first_per_group(order_of_row, n_orders)
    return _Orders(cust[first_row], first_when, cancelled, spend, items, refunded)


def _order_spend(
    order_of_row: np.ndarray,
    n_orders: int,
    spend: np.ndarray,
    carries: np.ndarray,
    cols: OrderColumns,
    warnings: list[str],
) -> np.ndarray:
    """Each order's spend: the sum of its lines, or its total once when every line repeats it."""
    group, amount = order_of_row[carries], spend[carries]
    if cols.amount_is_unit_price or not _repeats_order_totals(group, amount, n_orders, cols):
        return np.bincount(order_of_row, weights=spend, minlength=n_orders)
    warnings.append(
        f"'{cols.amount}' repeats each order's total on every line of the order (as WooCommerce "
        "exports do), so each order's total was counted once."
    )
    first = _first_per_group(group, n_orders)
    out = np.zeros(n_orders)
    has = first != _NEVER
    out[has] = amount[first[has]]
    return out


def _repeats_order_totals(
    group: np.ndarray, amount: np.ndarray, n_orders: int, cols: OrderColumns
) -> bool:
    """Whether the amount column holds the order's total on each of its lines.

    Line amounts differ from line to line in most orders; a repeated order total never does.
    So the column is read as repeated totals when nearly every order with several amounts has
    the same amount on all of them (at least five such orders, or a header naming the order).
    """
    words, _ = header_words(cols.amount)
    if set(words) & _LINE_WORDS:
        return False
    lines = np.bincount(group, minlength=n_orders)
    several = lines >= 2
    n_several = int(several.sum())
    if n_several == 0:
        return False
    low = np.full(n_orders, np.inf)
    np.minimum.at(low, group, amount)
    high = np.full(n_orders, -np.inf)
    np.maximum.at(high, group, amount)
    same = int((several & (low == high)).sum())
    if n_several >= _MIN_REPEATED_ORDERS:
        return same >= _REPEATED_SHARE * n_several
    return same == n_several and bool(set(words) & _ORDER_TOTAL_WORDS)


def _sort_out(orders: _Orders, n_keys: int) -> _Outcome:
    """Purchases, refunds (negative amounts) and cancellations, and each customer's purchases."""
    cust, when = orders.cust, orders.when
    cancelled, spend, partly = _deduct_refunded(orders)
    refund = np.zeros(len(cust), dtype=bool)
    if spend is not None:
        refund = ~cancelled & (spend < 0)
    purchase = ~cancelled & ~refund
    refunds_total = float(spend[refund].sum()) if spend is not None and refund.any() else 0.0
    partly_total = float(orders.refunded[partly].sum()) if orders.refunded is not None else 0.0
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
    return _Outcome(
        purchase=purchase,
        refund=refund,
        cancelled=cancelled,
        spend=spend,
        partly_refunded=int(partly.sum()),
        partly_refunded_total=-partly_total,
        frequency=frequency,
        first_ns=first_ns,
        last_ns=last_ns,
        buyers=buyers,
        refunds_total=refunds_total,
    )


def _deduct_refunded(orders: _Orders) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Cancellations and spend per order after the refunded amounts, and which orders were
    partly refunded. An order refunded in full did not happen: it counts as cancelled."""
    spend, refunded = orders.spend, orders.refunded
    if spend is None or refunded is None:
        return orders.cancelled, spend, np.zeros(len(orders.cust), dtype=bool)
    touched = ~orders.cancelled & (refunded > 0) & (spend > 0)
    whole = touched & (refunded >= spend - _CENT)
    partly = touched & ~whole
    return orders.cancelled | whole, np.where(partly, spend - refunded, spend), partly


def _outcome_warnings(orders: _Orders, outcome: _Outcome, currency: str | None) -> list[str]:
    """Sentences on customers left out, refunds netted, cancellations and a missing amount."""
    warnings = []
    n_keys = len(outcome.frequency)
    seen = int((np.bincount(orders.cust, minlength=n_keys) > 0).sum())
    without_purchase = seen - len(outcome.buyers)
    if without_purchase:
        warnings.append(
            f"{without_purchase:,} {plural(without_purchase, 'customer')} had only refunds or "
            "cancelled orders, so they were left out."
        )
    n_refunds = int(outcome.refund.sum())
    n_cancelled = int(outcome.cancelled.sum())
    n_partly = outcome.partly_refunded
    parts = []
    if n_refunds:
        parts.append(
            f"{n_refunds:,} {plural(n_refunds, 'refund')} "
            f"({format_money(outcome.refunds_total, currency)}) "
            f"{'was' if n_refunds == 1 else 'were'} netted against spend"
        )
    if n_partly:
        parts.append(
            f"{n_partly:,} partly refunded {plural(n_partly, 'order')} "
            f"{'was' if n_partly == 1 else 'were'} counted less the money refunded "
            f"({format_money(outcome.partly_refunded_total, currency)})"
        )
    if n_cancelled:
        parts.append(
            f"{n_cancelled:,} cancelled, refunded or failed "
            f"{plural(n_cancelled, 'order')} {'was' if n_cancelled == 1 else 'were'} "
            "left out"
        )
    if parts:
        warnings.append("; ".join(parts) + ".")
    if orders.spend is None:
        warnings.append(
            "There is no amount column, so customers are compared on how recently and how often "
            "they ordered, not on how much they spent."
        )
    return warnings


# --- the table per customer -------------------------------------------------------------------


def _iso_days(days: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970) as ISO text; formatting each distinct day once is much faster."""
    distinct, inverse = np.unique(days, return_inverse=True)
    return distinct.astype("datetime64[D]").astype(str).astype(object)[inverse]


def _customer_frame(rows: _Rows, orders: _Orders, outcome: _Outcome, key: str) -> pd.DataFrame:
    """One row per buyer: the key (headed ``key``), recency, frequency, spend, tenure, first and
    last order, items."""
    buyers, purchase, cust = outcome.buyers, outcome.purchase, orders.cust
    n_keys = len(rows.keys)
    # Whole days between calendar dates: an order on the file's last day is 0 days old.
    ref_day = int(orders.when.max()) // _DAY_NS
    first_day = outcome.first_ns[buyers] // _DAY_NS
    last_day = outcome.last_ns[buyers] // _DAY_NS
    freq = outcome.frequency[buyers].astype(np.int64)
    table = pd.DataFrame(
        {
            key: pd.array(rows.keys[buyers], dtype="str"),
            "recency_days": ref_day - last_day,
            "frequency": freq,
        }
    )
    if outcome.spend is not None:
        # Net spend: purchases plus (negative) refunds of the same customer.
        counted = purchase | outcome.refund
        net = np.bincount(cust[counted], weights=outcome.spend[counted], minlength=n_keys)[buyers]
        table["monetary"] = np.round(net, 2)
        table["avg_order_value"] = np.round(net / freq, 2)
    table["tenure_days"] = ref_day - first_day
    table["first_order"] = pd.array(_iso_days(first_day), dtype="str")
    table["last_order"] = pd.array(_iso_days(last_day), dtype="str")
    if orders.items is not None:
        bought = np.bincount(cust[purchase], weights=orders.items[purchase], minlength=n_keys)
        bought = bought[buyers]
        whole = bool(np.all(bought == np.floor(bought)))
        table["items"] = bought.astype(np.int64) if whole else bought
    return table


def _add_contacts(
    table: pd.DataFrame,
    df: pd.DataFrame,
    cols: OrderColumns,
    rows: _Rows,
    usable: np.ndarray,
    buyers: np.ndarray,
) -> tuple[str, ...]:
    """Insert the file's contact columns after the key, each buyer's latest value; their
    headers."""
    contacts = tuple(h for h in find_contact_columns(df, cols) if h not in table.columns)
    if not contacts:
        return contacts
    when = rows.date_ns.view(np.int64)
    usable_rows = np.flatnonzero(usable)
    latest = latest_positions(rows.cust, when, usable_rows, len(rows.keys))
    for position, header in enumerate(contacts, start=1):
        values = latest_per_customer(df[header], rows.cust, when, usable_rows, latest)
        table.insert(position, header, pd.array(values[buyers], dtype="str"))
    return contacts
