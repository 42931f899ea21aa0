"""The middle stages of summarising an order log: rows merged into orders (amounts added, or
counted once when every line repeats the order's total), and orders sorted out into
purchases, refunds and cancellations per customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.errors import TooFewRows
from segmentation.read.orders._common import header_words
from segmentation.read.orders.detect import OrderColumns
from segmentation.read.orders.rows import NEVER, Rows

# An amount column headed like this is per line, never an order's total repeated.
LINE_WORDS = {"line", "lineitem", "item", "items", "product", "unit", "each", "per"}
ORDER_TOTAL_WORDS = {"order", "orders"}
# Repeated order totals: this share of the orders with several lines carry one amount on all.
REPEATED_SHARE = 0.9
MIN_REPEATED_ORDERS = 5
# A refund within a cent of the order's total refunds all of it.
CENT = 0.005


@dataclass(frozen=True)
class Orders:
    """One entry per order (per row when there is no order id), usable rows only."""

    cust: np.ndarray
    when: np.ndarray  # int64 nanoseconds
    cancelled: np.ndarray
    spend: np.ndarray | None
    items: np.ndarray | None
    refunded: np.ndarray | None


@dataclass(frozen=True)
class Outcome:
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


def _first_per_group(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first row of each group (every group must have a row)."""
    first = np.full(n_groups, NEVER, dtype=np.int64)
    np.minimum.at(first, groups, np.arange(len(groups), dtype=np.int64))
    return first


def merge_orders(rows: Rows, keep: np.ndarray, cols: OrderColumns, warnings: list[str]) -> Orders:
    """The usable rows as orders: line items sharing an order id (for one customer) are one."""
    cust = rows.cust[keep]
    when = rows.date_ns[keep].view(np.int64)
    spend = rows.amount[keep] if rows.amount is not None else None
    items = rows.quantity[keep] if rows.quantity is not None else None
    refunded = rows.refunded[keep] if rows.refunded is not None else None
    if rows.order is None:
        return Orders(cust, when, rows.cancelled[keep], spend, items, refunded)
    o_codes = rows.order[keep]
    lone = o_codes < 0  # a line without an order id is an order of its own
    o_codes[lone] = int(rows.order.max()) + 1 + np.arange(int(lone.sum()))
    order_of_row, _ = pd.factorize(cust * (int(o_codes.max()) + 1) + o_codes)
    n_orders = int(order_of_row.max()) + 1
    first_when = np.full(n_orders, NEVER, dtype=np.int64)
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
        warnings.append(merged_orders_sentence(cols, len(cust), n_orders))
    first_row = _first_per_group(order_of_row, n_orders)
    return Orders(cust[first_row], first_when, cancelled, spend, items, refunded)


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
    warnings.append(repeated_totals_sentence(cols))
    first = _first_per_group(group, n_orders)
    out = np.zeros(n_orders)
    has = first != NEVER
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
    if not totals_may_repeat(cols):
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
    return totals_repeated(cols, n_several, same)


def totals_may_repeat(cols: OrderColumns) -> bool:
    """Whether the amount's header allows it to be an order's total (not a line's amount)."""
    words, _ = header_words(cols.amount)
    return not set(words) & LINE_WORDS


def totals_repeated(cols: OrderColumns, several: int, same: int) -> bool:
    """The decision, given ``several`` orders with two or more amounts, ``same`` of them with
    one amount on every line (at least five such orders, or a header naming the order)."""
    if several == 0 or not totals_may_repeat(cols):
        return False
    if several >= MIN_REPEATED_ORDERS:
        return same >= REPEATED_SHARE * several
    words, _ = header_words(cols.amount)
    return same == several and bool(set(words) & ORDER_TOTAL_WORDS)


def repeated_totals_sentence(cols: OrderColumns) -> str:
    """The note for an amount column repeating each order's total on its lines."""
    return (
        f"'{cols.amount}' repeats each order's total on every line of the order (as WooCommerce "
        "exports do), so each order's total was counted once."
    )


def merged_orders_sentence(cols: OrderColumns, rows: int, orders: int) -> str:
    """The note for line items merged into orders."""
    return (
        f"Rows sharing an order number in '{cols.order_id}' were counted as one order "
        f"({rows:,} rows, {orders:,} orders)."
    )


def no_purchases() -> TooFewRows:
    """The error for a log whose orders are all cancelled or refunds."""
    return TooFewRows(
        "Every order in the file is cancelled or a refund, so there are no purchases to "
        "segment. Share an export that includes completed orders."
    )


def sort_out(orders: Orders, n_keys: int) -> Outcome:
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
    first_ns = np.full(n_keys, NEVER, dtype=np.int64)
    np.minimum.at(first_ns, cust[purchase], when[purchase])
    last_ns = np.full(n_keys, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_ns, cust[purchase], when[purchase])
    buyers = np.flatnonzero(frequency > 0)
    if len(buyers) == 0:
        raise no_purchases()
    return Outcome(
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


def _deduct_refunded(orders: Orders) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Cancellations and spend per order after the refunded amounts, and which orders were
    partly refunded. An order refunded in full did not happen: it counts as cancelled."""
    spend, refunded = orders.spend, orders.refunded
    if spend is None or refunded is None:
        return orders.cancelled, spend, np.zeros(len(orders.cust), dtype=bool)
    touched = ~orders.cancelled & (refunded > 0) & (spend > 0)
    whole = touched & (refunded >= spend - CENT)
    partly = touched & ~whole
    return orders.cancelled | whole, np.where(partly, spend - refunded, spend), partly
