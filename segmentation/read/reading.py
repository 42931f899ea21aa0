"""One row per customer, or an order log: the reading that fits the table.

An order log repeats customer keys over many rows; a table with one ID per row (and perhaps a
signup date) is a customer table. When one reading fails and the other works, the answer is the
one that works; when neither does, the sentence says what each reading found.
"""

from __future__ import annotations

import pandas as pd

from segmentation.errors import NoUsableColumns, SegmentationError, TooFewRows
from segmentation.model.clustering import MIN_ROWS
from segmentation.read.orders import OrderColumns, detect_order_log

__all__ = ["FALLBACK_ERRORS", "neither_reading", "order_log_columns", "read_as_customers_note"]

# Errors of a reading that mean "this is not that kind of table" (not bad options or limits).
FALLBACK_ERRORS: tuple[type[SegmentationError], ...] = (NoUsableColumns, TooFewRows)
_LISTED_COLUMNS = 30


def order_log_columns(table: pd.DataFrame) -> OrderColumns | None:
    """The order-log columns of ``table`` when it reads as an order log, else None.

    A "customer" column with fewer than ``MIN_ROWS`` different values (a constant such as
    ``Z_CostContact``, a code) is no customer key, whatever its header says.
    """
    found = detect_order_log(table)
    if found is None:
        return None
    if table[found.customer].nunique(dropna=True) < MIN_ROWS:
        return None
    return found


def read_as_customers_note(found: OrderColumns, why: SegmentationError) -> str:
    """Why an apparent order log was read as one row per customer instead."""
    return (
        f"I read this as one row per customer: as an order log (customer {found.customer}, "
        f"date {found.date}) it could not be segmented ({str(why).rstrip('.')})."
    )


def neither_reading(
    table: pd.DataFrame, found: OrderColumns, as_orders: SegmentationError, as_customers: Exception
) -> NoUsableColumns:
    """One sentence for a table that fits neither reading, naming the columns it found."""
    amount = f", amount {found.amount}" if found.amount else ""
    return NoUsableColumns(
        f"I couldn't read this table either way. As an order log (customer {found.customer}, "
        f"date {found.date}{amount}): {as_orders} As one row per customer: {as_customers} "
        f"The file has: {_listed(table)}."
    )


def _listed(table: pd.DataFrame) -> str:
    names = [str(c) for c in table.columns]
    more = len(names) - _LISTED_COLUMNS
    return ", ".join(names[:_LISTED_COLUMNS]) + (f" and {more} more" if more > 0 else "")
