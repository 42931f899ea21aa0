"""The files a segmentation hands back: the labelled rows and one audience file per segment.

Both keep the user's own contact columns (they go back only where the data came from) and are
safe to open in a spreadsheet. With a ``redact_key`` every personal column is replaced by
stable pseudonyms, for teams that must not pass contact data around.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from segmentation.model.features import PersonalKind, personal_kind, tokens
from segmentation.result import SegmentationResult

__all__ = [
    "AUDIENCE_HEADERS",
    "audience_files",
    "customer_key_column",
    "export_csv",
    "neutralise_formulas",
    "pseudonymise",
    "segment_slugs",
]

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
_FORMULA_START = r"^[=+\-@\t\r]"
# ...except a signed number or a phone number ("+44 20 7946 0958", "-30.5"): with no letters,
# no quotes, no "|" or "!" it cannot call a function, and importers need phones in +E.164.
_PLAIN_NUMBER = r"^[+\-][\d\s().\-]*$"

# The headers Mailchimp, Klaviyo and HubSpot map to their own contact fields without edits
# (Klaviyo and Mailchimp document "Phone Number"; HubSpot matches its label "Phone number").
AUDIENCE_HEADERS = {
    "email": "Email",
    "first": "First Name",
    "last": "Last Name",
    "phone": "Phone Number",
}
# The columns the pipeline adds; never personal data, whatever their header looks like.
_SEGMENT_COLUMNS = ("segment", "segment_name")
# 16 hex digits (64 bits): collisions are negligible even for millions of distinct values.
_PSEUDONYM_HEX = 16
_PREFIX: dict[PersonalKind, str] = {
    "email": "email",
    "phone": "phone",
    "name": "name",
    "address": "address",
    "other": "personal",
}
_FIRST_WORDS = {"first", "given", "fore", "forename", "firstname", "givenname"}
_LAST_WORDS = {"last", "sur", "surname", "family", "lastname", "familyname"}
# File names Windows refuses whatever the extension.
_RESERVED_STEMS = {"con", "prn", "aux", "nul"} | {
    f"{port}{i}" for port in ("com", "lpt") for i in "123456789"
}
_MAX_SLUG = 60


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells can't start a spreadsheet formula."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        # Check each distinct value once: customer files repeat values a lot (cities, genders,
        # segment names), and the regex per cell is the slow part on a million rows.
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        # Arrow strings: the regex runs compiled, not once per value in Python (a column of a
        # million distinct e-mails took 0.25 s, now 0.04 s).
        unique_text = pd.Series(uniques, dtype="object").astype("string[pyarrow]")
        risky_unique = unique_text.str.match(_FORMULA_START).to_numpy(dtype=bool, na_value=False)
        if risky_unique.any():
            # Only the few that start like a formula get the slower second look.
            starts = np.flatnonzero(risky_unique)
            plain = unique_text.iloc[starts].str.match(_PLAIN_NUMBER)
            risky_unique[starts[plain.to_numpy(dtype=bool, na_value=False)]] = False
        if risky_unique.any():
            fixed = unique_text.to_numpy(dtype=object)
            fixed[risky_unique] = ["'" + v for v in fixed[risky_unique]]
            values = np.where(codes >= 0, fixed[np.maximum(codes, 0)], None)
            out[col] = pd.Series(values, index=out.index, dtype="object")
    renamed = {
        c: "'" + str(c) for c in out.columns if str(c)[:1] in {"=", "+", "-", "@", "\t", "\r"}
    }
    return out.rename(columns=renamed)


def pseudonymise(values: pd.Series, kind: PersonalKind, key: bytes) -> pd.Series:
    """Stable pseudonyms for personal values: ``email-3f2a9c01d4b7e865``.

    The same normalised value (trimmed, case-folded; a phone's digits only) always gets the
    same pseudonym under the same ``key`` (HMAC-SHA256, truncated); without the key nobody can
    tell which value it stands for. Missing and blank cells stay missing.

    Examples
    --------
    >>> pseudonymise(pd.Series(["Ann@Shop.io ", "ann@shop.io", None]), "email", b"k").tolist()
    ['email-ffb10129aa428755', 'email-ffb10129aa428755', None]
    """
    if not key:
        raise ValueError("a pseudonym key must not be empty")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    prefix = _PREFIX[kind]
    sign = _hmac_sha256(key)
    names = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        text = _normalise(value, kind)
        names[i] = f"{prefix}-{sign(text.encode())[:_PSEUDONYM_HEX]}" if text else None
    out = np.where(codes >= 0, names[np.maximum(codes, 0)] if len(names) else None, None)
    return pd.Series(out, index=values.index, dtype="object")


def export_csv(result: SegmentationResult, *, redact_key: bytes | None = None) -> bytes:
    """Every column of the user's rows plus ``segment`` and ``segment_name``, as CSV bytes.

    UTF-8 with a BOM (Excel then reads accents and currency symbols right), text quoted where
    needed, dates as ISO text, formulas neutralised. Contact columns are kept as the user wrote
    them, unless ``redact_key`` is given: then every personal column holds pseudonyms.
    """
    table = result.table
    if redact_key is not None:
        table = table.copy()
        for col, kind in _personal_kinds(table).items():
            table[col] = pseudonymise(table[col], kind, redact_key)
    return _csv_bytes(table)


def segment_slugs(names: list[str]) -> list[str]:
    """Safe, distinct file stems for segment names: "Can't lose them" -> ``cant-lose-them``.

    Examples
    --------
    >>> segment_slugs(["High income, low spend", "High income / low spend", "Ünïcode"])
    ['high-income-low-spend', 'high-income-low-spend-2', 'unicode']
    """
    slugs: list[str] = []
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        ascii_name = re.sub(r"['\u2019]", "", ascii_name.lower())
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:_MAX_SLUG].strip("-")
        slug = slug or "segment"
        if slug in _RESERVED_STEMS:
            slug += "-segment"
        base, n = slug, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.append(slug)
    return slugs


def audience_files(
    result: SegmentationResult, *, redact_key: bytes | None = None
) -> dict[str, bytes]:
    """One importable CSV per segment: ``{"<segment-name-slug>.csv": bytes}``, largest first.

    Each row is a customer of the segment: the contact column first (``Email`` when the table
    has e-mails, else the customer key: in RFM mode the table's first column, otherwise the
    customer id column, else the row number in the file), then ``First Name``, ``Last Name``
    and ``Phone Number`` when the table has them (a single full-name column is split), then
    ``segment_name``. Headers are those Mailchimp, Klaviyo and HubSpot map by themselves. The
    bytes are UTF-8 with a BOM and formula-safe; with ``redact_key`` contacts are pseudonyms.
    When an order log's purchases were predicted, customers come most expected spend first
    (most expected orders first without amounts).

    Examples
    --------
    >>> from segmentation.demo import demo_csv
    >>> from segmentation.pipeline import run
    >>> sorted(audience_files(run(demo_csv())))[0]
    'high-income-high-spend.csv'
    """
    table = _by_expected_value(result)
    contacts = _find_contacts(result)
    columns = _audience_columns(table, contacts, redact_key)
    columns["segment_name"] = table["segment_name"]
    # Made safe and converted once, then cut per segment: a million rows cost one pass.
    rows = _arrow_table(pd.DataFrame(columns, index=table.index))
    labels = table["segment"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    files: dict[str, bytes] = {}
    slugs = segment_slugs([s.name for s in result.segments])
    for segment, slug in zip(result.segments, slugs, strict=True):
        files[f"{slug}.csv"] = _arrow_csv(rows.filter(pa.array(labels == segment.id)))
    return files


# ---------------------------------------------------------------------------- helpers


def _by_expected_value(result: SegmentationResult) -> pd.DataFrame:
    """The table, with predictions the customers expected to bring the most first."""
    table = result.table
    if result.prediction is None:
        return table
    column = "expected_spend" if "expected_spend" in table.columns else "expected_orders"
    order = np.argsort(-table[column].to_numpy(dtype=np.float64), kind="stable")
    return table.iloc[order]


@dataclass(frozen=True)
class _Contacts:
    """Which column of the table holds which contact detail (None when it has none)."""

    key: str | None
    key_kind: PersonalKind | None
    email: str | None
    first: str | None
    last: str | None
    full_name: str | None
    phone: str | None


def _personal_kinds(table: pd.DataFrame) -> dict[str, PersonalKind]:
    kinds: dict[str, PersonalKind] = {}
    for col in table.columns:
        if col in _SEGMENT_COLUMNS:
            continue
        kind = personal_kind(table[col], str(col))
        if kind is not None:
            kinds[col] = kind
    return kinds


def _find_contacts(result: SegmentationResult) -> _Contacts:
    table = result.table
    kinds = _personal_kinds(table)
    email = phone = first = last = full = None
    for col, kind in kinds.items():
        if kind == "email" and email is None:
            email = col
        elif kind == "phone" and phone is None:
            phone = col
        elif kind == "name":
            words = set(tokens(str(col))) | {"".join(tokens(str(col)))}
            if words & _FIRST_WORDS:
                first = first or col
            elif words & _LAST_WORDS:
                last = last or col
            elif full is None and _looks_like_names(table[col]):
                full = col
    key: str | None
    if email is not None:
        key = email
    elif result.mode == "rfm":
        key = str(table.columns[0])
    else:
        key = _customer_id(result)
    return _Contacts(
        key=key,
        key_kind=kinds.get(key) if key is not None else None,
        email=email,
        first=first,
        last=last,
        full_name=full,
        phone=phone,
    )


def customer_key_column(result: SegmentationResult) -> str | None:
    """The column of ``result.table`` that identifies a customer (e-mail, ID), if any.

    The same choice the audience files make: e-mail first, then the customer key of an order
    log, then an ID column such as ``CustomerID``.
    """
    return _find_contacts(result).key


def _customer_id(result: SegmentationResult) -> str | None:
    """The identifier column that names customers best (``CustomerID``), if any."""
    ids = [c for c, why in result.excluded_columns.items() if why == "an identifier"]
    ids = [c for c in ids if c in result.table.columns]
    for col in ids:
        if set(tokens(str(col))) & {"customer", "client", "member", "user", "account", "contact"}:
            return col
    return ids[0] if ids else None


def _looks_like_names(series: pd.Series) -> bool:
    # Shopify's "Name" holds order numbers (#1001): not a person's name to split.
    sample = series.dropna().astype(str).str.strip().head(500)
    sample = sample[sample != ""]
    return bool(len(sample)) and float(sample.str.contains(r"[^\W\d_]").mean()) > 0.8


def _audience_columns(
    table: pd.DataFrame, contacts: _Contacts, redact_key: bytes | None
) -> dict[str, pd.Series]:
    def value(series: pd.Series, kind: PersonalKind | None) -> pd.Series:
        if redact_key is not None and kind is not None:
            return pseudonymise(series, kind, redact_key)
        return series

    out: dict[str, pd.Series] = {}
    if contacts.key is None:
        # No e-mail and no id: the row number in the file (1 = first customer row).
        out["Row"] = pd.Series(np.arange(1, len(table) + 1), index=table.index)
    elif contacts.key == contacts.email:
        out[AUDIENCE_HEADERS["email"]] = value(table[contacts.key], "email")
    else:
        header = AUDIENCE_HEADERS["phone"] if contacts.key == contacts.phone else contacts.key
        out[str(header)] = value(table[contacts.key], contacts.key_kind)
    first, last = contacts.first, contacts.last
    if first is None and last is None and contacts.full_name not in (None, contacts.key):
        split = _split_full_name(table[contacts.full_name])
        out[AUDIENCE_HEADERS["first"]] = value(split[0], "name")
        out[AUDIENCE_HEADERS["last"]] = value(split[1], "name")
    else:
        for col, header in ((first, "first"), (last, "last")):
            if col is not None and col != contacts.key:
                out[AUDIENCE_HEADERS[header]] = value(table[col], "name")
    if contacts.phone is not None and contacts.phone != contacts.key:
        out[AUDIENCE_HEADERS["phone"]] = value(table[contacts.phone], "phone")
    return out


def _split_full_name(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First names (the first word) and last names (the rest): "Ana María García" gives
    "Ana" and "María García"."""
    text = series.astype("object").where(series.notna(), None)
    parts = text.map(lambda v: str(v).strip().split(None, 1) if v is not None else [])
    first = parts.map(lambda p: p[0] if p else None)
    last = parts.map(lambda p: p[1] if len(p) > 1 else None)
    return first.astype("object"), last.astype("object")


def _hmac_sha256(key: bytes) -> Callable[[bytes], str]:
    """HMAC-SHA256 (RFC 2104) as hex, with the padded key hashed once: twice as fast as
    ``hmac.new`` per value, which counts with a million distinct e-mails."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def sign(message: bytes) -> str:
        first = inner.copy()
        first.update(message)
        second = outer.copy()
        second.update(first.digest())
        return second.hexdigest()

    return sign


def _normalise(value: object, kind: PersonalKind) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone read as a number: 4420794600 not 4420794600.0
    text = " ".join(str(value).split()).casefold()
    if kind == "phone":
        return re.sub(r"\D", "", text)
    return text


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return _arrow_csv(_arrow_table(frame))


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    safe = neutralise_formulas(frame)
    for col in safe.columns:
        series = safe[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            safe[col] = series.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
        elif not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            safe[col] = series.astype("string")
    # pyarrow's writer is about 10x faster than DataFrame.to_csv on a million rows.
    return pa.Table.from_pandas(safe, preserve_index=False)


def _arrow_csv(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return b"\xef\xbb\xbf" + sink.getvalue().to_pybytes()
