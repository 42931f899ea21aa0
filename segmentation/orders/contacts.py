"""Contact columns of an order log (e-mail, first, last and full name, phone), one value per
customer, so that the per-customer table can be turned into audience files.

Only headers that :func:`segmentation.features.is_personal_header` recognises are taken: the
exports find them again that way, to pseudonymise them on request (``--redact``) and to build
audience files. They appear only in the exported table, never in texts, JSON or pictures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from segmentation.features import is_personal_header, tokens
from segmentation.orders._common import sample_values
from segmentation.orders.detect import OrderColumns, holds_order_numbers

__all__ = ["find_contact_columns", "key_kind", "latest_per_customer", "as_text"]

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


def as_text(values: np.ndarray) -> np.ndarray:
    """Cell values as they read in the file: whole numbers without ".0", blanks as None."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out[i] = None
        elif isinstance(value, float | np.floating) and float(value).is_integer():
            out[i] = str(int(value))
        else:
            text = str(value).strip()
            out[i] = text or None
    return out


def latest_per_customer(
    series: pd.Series, cust: np.ndarray, when: np.ndarray, usable: np.ndarray, n_keys: int
) -> np.ndarray:
    """Per customer code, the column's latest non-blank value (by order date, then file order).

    ``cust`` and ``when`` (int64 nanoseconds) are per row; only ``usable`` rows count.
    Customers without a value get None.
    """
    codes, uniques = pd.factorize(series)
    text = as_text(np.asarray(uniques, dtype=object))
    filled = np.append(np.array([t is not None for t in text], dtype=bool), False)
    ok = usable & filled[np.where(codes >= 0, codes, len(text))]
    rows = np.flatnonzero(ok)
    out = np.full(n_keys, None, dtype=object)
    if len(rows) == 0:
        return out
    # Sorted by customer, then date, then position: each customer's last entry is the latest.
    order = rows[np.lexsort((rows, when[rows], cust[rows]))]
    sorted_cust = cust[order]
    last = np.append(sorted_cust[1:] != sorted_cust[:-1], True)
    out[sorted_cust[last]] = text[codes[order[last]]]
    return out
