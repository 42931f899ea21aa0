"""Summarise an order log per customer: recency, frequency, monetary value and tenure.

Everything is vectorised: keys, dates and statuses are parsed once per distinct value and the
aggregation is a bincount on integer codes, so five million order rows take seconds. The work
runs in stages: read the rows, leave out the unusable ones (:mod:`.rows`), merge line items
into orders, sort orders into purchases, refunds and cancellations (:mod:`.purchases`), and sum
them per customer (here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.errors import TooFewRows, UnknownColumn
from segmentation.read.orders._common import columns_sentence, plural
from segmentation.read.orders.contacts import (
    find_contact_columns,
    latest_per_customer,
    latest_positions,
)
from segmentation.read.orders.detect import OrderColumns
from segmentation.read.orders.money import detect_currency, format_money
from segmentation.read.orders.purchases import Orders, Outcome, merge_orders, sort_out
from segmentation.read.orders.rows import Rows, read_rows, usable_rows

__all__ = ["CustomerTable", "build_customer_table", "customer_key_header", "as_of_sentence"]
__all__ += ["outcome_sentences", "no_order_by"]


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

    ``as_of`` is the day recency and tenure count back from: the day asked for, else the last
    order's; orders after an asked day are left out (``orders_after``). ``purchases`` has one
    row per purchase: ``customer`` (the customer's row in ``customers``), ``date``
    (datetime64) and, with amounts, ``spend`` (less partial refunds); ``sold_total`` is what
    the purchases sold before any refund.
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
    as_of: pd.Timestamp | None = None
    orders_after: int = 0
    purchases: pd.DataFrame | None = None
    sold_total: float = 0.0
    transactions: pd.DataFrame | None = None


# The table's own columns; a customer key headed like one of them is renamed.
_COMPUTED = {
    "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days", "first_order",
    "last_order", "items", "segment", "segment_name", "p_active", "expected_orders",
    "expected_spend",
}  # fmt: skip
_DAY_NS = np.int64(86_400 * 10**9)


def build_customer_table(
    df: pd.DataFrame, cols: OrderColumns, as_of: pd.Timestamp | None = None
) -> CustomerTable:
    """Summarise an order log per customer: recency, frequency, monetary, tenure.

    Parameters
    ----------
    df : DataFrame of shape (n_rows, n_columns)
        One row per order or per order line.
    cols : OrderColumns
        Which columns hold the customer, the date, and optionally the amount, quantity, order id
        and status (from :func:`detect_order_log` or :func:`find_order_columns`).
    as_of : Timestamp, optional
        Use only the orders on or before this day, as if it were today.

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
    back from the latest date in the file (or ``as_of``).
    """
    _check_columns(df, cols)
    warnings: list[str] = []
    currency = detect_currency(df, cols.amount)
    rows = read_rows(df, cols, warnings)
    keep, rows_dropped = usable_rows(rows, cols, warnings)
    keep, rows_after = _until(rows, keep, as_of, warnings)
    orders = merge_orders(rows, keep, cols, warnings)
    outcome = sort_out(orders, len(rows.keys))
    warnings += _outcome_warnings(orders, outcome, currency)
    key = customer_key_header(cols.customer)
    ref_day = (
        int(orders.when.max()) // _DAY_NS if as_of is None else as_of.normalize().value // _DAY_NS
    )
    table = _customer_frame(rows, orders, outcome, key, ref_day)
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
        as_of=pd.Timestamp(int(ref_day * _DAY_NS), unit="ns"),
        orders_after=rows_after,
        purchases=_purchases(orders, outcome),
        sold_total=_sold(orders, outcome),
    )


def customer_key_header(customer: str) -> str:
    """The header of the key column: the file's own, unless it is one of the table's."""
    return customer if customer not in _COMPUTED else f"{customer} (customer)"


def no_order_by(as_of: pd.Timestamp, first: pd.Timestamp) -> TooFewRows:
    """The error for an as-of day before the log's first order."""
    return TooFewRows(
        f"No order in the file is on or before {as_of:%Y-%m-%d}; the first is on "
        f"{first:%Y-%m-%d}. Choose a later as-of date."
    )


def as_of_sentence(as_of: pd.Timestamp, after: int) -> str:
    """The note for the rows left out after the as-of day."""
    return (
        f"As asked, only orders on or before {as_of:%Y-%m-%d} were used, as if it were that "
        f"day; {after:,} later {plural(after, 'row')} {'was' if after == 1 else 'were'} "
        "left out."
    )


def _until(
    rows: Rows, keep: np.ndarray, as_of: pd.Timestamp | None, warnings: list[str]
) -> tuple[np.ndarray, int]:
    """The usable rows dated on or before ``as_of`` (any time that day), and how many later."""
    if as_of is None:
        return keep, 0
    end = np.datetime64((as_of.normalize() + pd.Timedelta(days=1)).value, "ns")
    later = keep & (rows.date_ns >= end)
    kept = keep & ~later
    if not kept.any():
        raise no_order_by(as_of, pd.Timestamp(rows.date_ns[keep].min()))
    after = int(later.sum())
    if after:
        warnings.append(as_of_sentence(as_of, after))
    return kept, after


def _purchases(orders: Orders, outcome: Outcome) -> pd.DataFrame:
    """One row per purchase: the buyer's row in the customer table, the date, the spend."""
    bought = outcome.purchase
    frame = pd.DataFrame(
        {
            "customer": np.searchsorted(outcome.buyers, orders.cust[bought]),
            "date": orders.when[bought].view("datetime64[ns]"),
        }
    )
    if outcome.spend is not None:
        frame["spend"] = outcome.spend[bought]
    return frame


def _sold(orders: Orders, outcome: Outcome) -> float:
    """What the purchases sold before refunds: their spend plus what was partly refunded."""
    if outcome.spend is None:
        return 0.0
    return float(outcome.spend[outcome.purchase].sum()) - outcome.partly_refunded_total


def _check_columns(df: pd.DataFrame, cols: OrderColumns) -> None:
    for role, name in (("customer", cols.customer), ("date", cols.date), ("amount", cols.amount)):
        if name is not None and name not in df.columns:
            raise UnknownColumn(
                f"The {role} column '{name}' is not in the file. {columns_sentence(df)}"
            )


def _outcome_warnings(orders: Orders, outcome: Outcome, currency: str | None) -> list[str]:
    """Sentences on customers left out, refunds netted, cancellations and a missing amount."""
    n_keys = len(outcome.frequency)
    seen = int((np.bincount(orders.cust, minlength=n_keys) > 0).sum())
    return outcome_sentences(
        without_purchase=seen - len(outcome.buyers),
        refunds=int(outcome.refund.sum()),
        refunds_total=outcome.refunds_total,
        partly=outcome.partly_refunded,
        partly_total=outcome.partly_refunded_total,
        cancelled=int(outcome.cancelled.sum()),
        currency=currency,
        has_amount=orders.spend is not None,
    )


def outcome_sentences(
    *,
    without_purchase: int,
    refunds: int,
    refunds_total: float,
    partly: int,
    partly_total: float,
    cancelled: int,
    currency: str | None,
    has_amount: bool,
) -> list[str]:
    """Sentences on customers left out, refunds netted, cancellations and a missing amount."""
    warnings = []
    if without_purchase:
        warnings.append(
            f"{without_purchase:,} {plural(without_purchase, 'customer')} had only refunds or "
            "cancelled orders, so they were left out."
        )
    parts = []
    if refunds:
        parts.append(
            f"{refunds:,} {plural(refunds, 'refund')} "
            f"({format_money(refunds_total, currency)}) "
            f"{'was' if refunds == 1 else 'were'} netted against spend"
        )
    if partly:
        parts.append(
            f"{partly:,} partly refunded {plural(partly, 'order')} "
            f"{'was' if partly == 1 else 'were'} counted less the money refunded "
            f"({format_money(partly_total, currency)})"
        )
    if cancelled:
        parts.append(
            f"{cancelled:,} cancelled, refunded or failed "
            f"{plural(cancelled, 'order')} {'was' if cancelled == 1 else 'were'} "
            "left out"
        )
    if parts:
        warnings.append("; ".join(parts) + ".")
    if not has_amount:
        warnings.append(
            "There is no amount column, so customers are compared on how recently and how often "
            "they ordered, not on how much they spent."
        )
    return warnings


def _iso_days(days: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970) as ISO text; formatting each distinct day once is much faster."""
    distinct, inverse = np.unique(days, return_inverse=True)
    return distinct.astype("datetime64[D]").astype(str).astype(object)[inverse]


def _customer_frame(
    rows: Rows, orders: Orders, outcome: Outcome, key: str, ref_day: int
) -> pd.DataFrame:
    """One row per buyer: the key (headed ``key``), recency, frequency, spend, tenure, first and
    last order, items. Days count back from ``ref_day`` (days since 1970)."""
    buyers, purchase, cust = outcome.buyers, outcome.purchase, orders.cust
    n_keys = len(rows.keys)
    # Whole days between calendar dates: an order on the reference day is 0 days old.
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
    rows: Rows,
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
