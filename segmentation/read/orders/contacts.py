"""Contact columns of an order log (e-mail, first, last and full name, phone), one value per
customer, so that the per-customer table can be turned into audience files.

Only headers that :func:`segmentation.model.features.is_personal_header` recognises are taken: the
exports find them again that way, to pseudonymise them on request (``--redact``) and to build
audience files. They appear only in the exported table, never in texts, JSON or pictures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from segmentation.model.features import is_personal_header, tokens
from segmentation.read.orders._common import sample_values
from segmentation.read.orders.detect import OrderColumns, holds_order_numbers

__all__ = ["find_contact_columns", "key_kind", "latest_positions", "latest_per_customer"]

# In the order a contact card reads; one column of each kind at most.
_KINDS = ("email", "first_name", "last_name", "full_name", "phone")
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "cellphone", "whatsapp"}
_FIRST_WORDS = {"first", "given", "forename", "firstname", "givenname"}
_LAST_WORDS = {"last", "surname", "family", "lastname", "familyname"}
# "Lineitem name", "Tax 1 Name", "Shipping Province Name", "Company name": names of things.
_NOT_A_PERSON = {
    "lineitem", "item", "product", "variant", "vendor", "store", "shop", "brand", "category",
    "company", "business", "organisation", "organization", "tax", "discount", "coupon",
    "payment", "terms", "method", "province", "country", "city", "state", "region", "street",
    "location", "user", "username", "login", "file", "campaign", "list", "sku", "carrier",
}  # fmt: skip


def _header_kind(header: object) -> str | None:
    """Which contact a header names, from its words alone."""
    words = tokens(str(header))
    compact = "".join(words)
    if set(words) & _NOT_A_PERSON or not words:
        return None
    if "email" in compact or "mail" in words:
        return "email"
    if set(words) & _PHONE_WORDS or "phone" in compact:
        return "phone"
    if compact in _FIRST_WORDS or ("name" in words and set(words) & _FIRST_WORDS):
        return "first_name"
    if compact in _LAST_WORDS or ("name" in words and set(words) & _LAST_WORDS):
        return "last_name"
    if "name" in words or compact in {"fullname", "name"}:
        return "full_name"
    return None


def _values_fit(kind: str, series: pd.Series) -> bool:
    """Whether a sample of the column's values looks like that kind of contact."""
    sample = sample_values(series, 500)
    if is_bool_dtype(series) or sample.empty:
        return False
    text = sample.astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return False
    if kind == "email":
        return float(text.str.contains("@", regex=False).mean()) >= 0.5
    if kind == "phone":
        return float((text.str.count(r"\d") >= 6).mean()) >= 0.5
    if is_numeric_dtype(series) or holds_order_numbers(series):
        return False  # Shopify's "Name" holds "#1001", the order number
    letters = float(text.str.contains(r"[^\W\d_]").mean())
    return letters >= 0.8 and float(text.str.contains("@", regex=False).mean()) < 0.2


def key_kind(df: pd.DataFrame, cols: OrderColumns) -> str | None:
    """The contact kind of the customer key itself ("email" for a column of addresses)."""
    kind = _header_kind(cols.customer)
    if kind is not None and _values_fit(kind, df[cols.customer]):
        return kind
    return "email" if _values_fit("email", df[cols.customer]) else None


def find_contact_columns(df: pd.DataFrame, cols: OrderColumns) -> tuple[str, ...]:
    """The file's contact columns besides the customer key, one per kind, in file order.

    The first column of each kind (e-mail, first name, last name, full name, phone) whose
    header is personal and whose values fit wins; the key's own kind is not repeated.
    """
    roles = {cols.customer, cols.date, cols.amount, cols.quantity, cols.order_id, cols.status}
    roles |= {cols.cancelled_at, cols.refunded}
    taken: dict[str, str] = {}
    skip = key_kind(df, cols)
    for header in df.columns:
        if header in roles or not is_personal_header(str(header)):
            continue
        kind = _header_kind(header)
        if kind is None or kind == skip or kind in taken:
            continue
        if _values_fit(kind, df[header]):
            taken[kind] = str(header)
    chosen = set(taken.values())
    return tuple(str(h) for h in df.columns if h in chosen)


def _as_text(values: pd.Series) -> np.ndarray:
    """Cells as they read in the file (whole numbers without ".0"); blanks become None."""
    out = np.full(len(values), None, dtype=object)
    present = ~values.isna().to_numpy(dtype=bool)
    kept = values[present]
    if is_numeric_dtype(values) and not is_bool_dtype(values):
        numbers = kept.to_numpy(dtype=np.float64)
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < 1e18)
        as_int = np.where(whole, numbers, 0).astype(np.int64).astype(str).astype(object)
        out[present] = np.where(whole, as_int, numbers.astype(str).astype(object))
        return out
    text = kept.astype(str).str.strip().to_numpy(dtype=object)
    text[text == ""] = None
    out[present] = text
    return out


def latest_positions(
    cust: np.ndarray, when: np.ndarray, rows: np.ndarray, n_keys: int
) -> np.ndarray:
    """For each customer code, the position in ``rows`` of its latest row (by date, then file
    order), or -1. ``rows`` are row numbers in ascending order; ``cust``, ``when`` per row."""
    # Linear time (a sort of millions of rows would cost seconds): each customer's latest date,
    # then the last of its rows on that date.
    owner, day = cust[rows], when[rows]
    latest = np.full(n_keys, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, owner, day)
    on_latest = np.flatnonzero(day == latest[owner])
    pick = np.full(n_keys, -1, dtype=np.int64)
    np.maximum.at(pick, owner[on_latest], on_latest)
    return pick


def latest_per_customer(
    series: pd.Series, cust: np.ndarray, when: np.ndarray, rows: np.ndarray, latest: np.ndarray
) -> np.ndarray:
    """Per customer code, the column's latest non-blank value; None where there is none.

    ``rows`` are the usable row numbers and ``latest`` their :func:`latest_positions`. Only
    customers whose latest row is blank in this column (a line item, an order without a phone)
    have their other rows read, so a column filled on every row costs one look per customer.
    """
    out = np.full(len(latest), None, dtype=object)
    has = latest >= 0
    out[has] = _as_text(series.iloc[rows[latest[has]]])
    blank = has & pd.isna(out)
    if not blank.any():
        return out
    candidates = rows[blank[cust[rows]]]
    values = _as_text(series.iloc[candidates])
    filled = pd.notna(values)
    candidates, values = candidates[filled], values[filled]
    pick = latest_positions(cust, when, candidates, len(latest))
    found = pick >= 0
    out[found] = values[pick[found]]
    return out
