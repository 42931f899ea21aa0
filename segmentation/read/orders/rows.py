"""The first stages of summarising an order log: the rows read into arrays (customer codes,
dates, amounts, statuses), line items recognised, and the unusable rows left out and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from segmentation.errors import NoUsableColumns, TooFewRows
from segmentation.read.orders._common import join_words, plural
from segmentation.read.orders.dates import parse_dates
from segmentation.read.orders.detect import OrderColumns
from segmentation.read.orders.money import MAX_AMOUNT, amount_values

# Order statuses meaning "this purchase did not happen or was undone".
CANCELLED_STATUS = re.compile(
    r"cancel|refund|return|void|fail|declin|reject|chargeback|storn|annul", re.IGNORECASE
)
# ... unless only part of it was: a partially refunded order is still a purchase.
PARTLY_STATUS = re.compile(r"partial", re.IGNORECASE)
# Later than any date (int64 nanoseconds): where a running minimum starts.
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Rows:
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


def read_rows(df: pd.DataFrame, cols: OrderColumns, warnings: list[str]) -> Rows:
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
        warnings.append(unit_price_sentence(cols))
    order: np.ndarray | None = None
    if cols.order_id is not None and cols.order_id in df.columns:
        order = pd.factorize(df[cols.order_id])[0].astype(np.int64)
    line_item = np.zeros(len(df), dtype=bool)
    if order is not None and amount is not None and cols.amount is not None:
        blank = _blank_amounts(df[cols.amount], amount)
        if blank.any():
            line_item, date_ns = _line_items(cust, order, amount, blank, date_ns)
            amount = np.where(line_item, 0.0, amount)
    return Rows(
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
        flags = cancelled_statuses(pd.Series(np.asarray(s_uniques, dtype=object)))
        cancelled = np.append(flags, False)[np.where(s_codes >= 0, s_codes, len(flags))]
    if cols.cancelled_at is not None and cols.cancelled_at in df.columns:
        c_codes, c_uniques = pd.factorize(df[cols.cancelled_at])
        filled = pd.Series(np.asarray(c_uniques, dtype=object)).astype(str).str.strip() != ""
        cancelled |= np.append(filled.to_numpy(dtype=bool), False)[
            np.where(c_codes >= 0, c_codes, len(filled))
        ]
    return cancelled


def cancelled_statuses(statuses: pd.Series) -> np.ndarray:
    """Which statuses say the order was cancelled, refunded, void... (not merely in part)."""
    words = statuses.astype(str)
    return (words.str.contains(CANCELLED_STATUS) & ~words.str.contains(PARTLY_STATUS)).to_numpy(
        dtype=bool
    )


def unit_price_sentence(cols: OrderColumns) -> str:
    """The note for spend computed as quantity times a price per unit."""
    return f"Spend per line is '{cols.quantity}' times '{cols.amount}' (a price per unit)."


def dropped_sentence(no_customer: int, bad_date: int, bad_amount: int) -> str | None:
    """Why rows were left out, each reason counted; None when none were."""
    reasons = [
        f"{count:,} {plural(count, 'row')} had {why}"
        for count, why in (
            (no_customer, "no customer"),
            (bad_date, "a date I couldn't read"),
            (bad_amount, "an amount I couldn't read"),
        )
        if count
    ]
    return join_words(reasons) + "; they were left out." if reasons else None


def no_usable_rows(n_rows: int, cols: OrderColumns) -> TooFewRows:
    """The error for a log none of whose rows has both a customer and a readable date."""
    return TooFewRows(
        f"None of the {n_rows:,} rows has both a customer in '{cols.customer}' and a date I "
        f"can read in '{cols.date}'. Check that these columns hold customers and dates."
    )


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
    order_day = np.full(n_groups, NEVER, dtype=np.int64)
    np.minimum.at(order_day, group[carries], when[carries])
    undated = is_line & np.isnat(date_ns[rows])
    if undated.any():
        date_ns = date_ns.copy()
        date_ns[rows[undated]] = order_day[group[undated]].view("datetime64[ns]")
    return line, date_ns


def usable_rows(rows: Rows, cols: OrderColumns, warnings: list[str]) -> tuple[np.ndarray, int]:
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
    note = dropped_sentence(int(no_customer.sum()), int(bad_date.sum()), int(bad_amount.sum()))
    if note:
        warnings.append(note)
    if not keep.any():
        raise no_usable_rows(n_rows, cols)
    return keep, rows_dropped
