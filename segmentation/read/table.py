"""Bytes or a path in, a clean table out.

Reads what marketing people actually export: CSV/TSV with any of the usual delimiters and
encodings, Excel ``.xlsx`` (first sheet), and numbers written the way people write them
(``€15,000``, ``1.234,56``, ``12%``, ``(30.00)``). Everything a person can get wrong becomes an
:class:`~segmentation.errors.UnreadableFile`, :class:`~segmentation.errors.FileTooLarge` or
:class:`~segmentation.errors.TooManyRows` carrying one plain sentence; cell values are never
quoted back, because they may be personal data.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import string
import warnings
import zipfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_float_dtype,
    is_integer_dtype,
    is_numeric_dtype,
    is_object_dtype,
    is_string_dtype,
)

from segmentation.errors import FileTooLarge, TooManyColumns, TooManyRows, UnreadableFile
from segmentation.result import Limits

__all__ = ["load_table", "parse_number_column"]

_DEFAULT_LIMITS = Limits()

# Delimiters we sniff for, in the order that wins a tie.
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# Enough text to see the header and ~50 records of any sane file. The header line must fit
# in it: a longer first line is refused before pandas is asked to parse it (a 5 MB line of
# "a,a,a,..." would otherwise mean millions of columns and minutes of work).
_SAMPLE_CHARS = 256 * 1024
MAX_LINE_CHARS = _SAMPLE_CHARS
# Values beyond this magnitude are treated as missing: no customer table measures anything
# that large, and squares and sums of them over millions of rows would overflow float64
# (1e308 squared is inf), which breaks standardising. 1e100**2 * 5e6 rows is still finite.
MAX_MAGNITUDE = 1e100
_SNIFF_RECORDS = 50
# A column is numbers when at least this share of its non-blank values are numbers.
_NUMBER_SHARE = 0.95
# The cheap first look at a text column: this many values, and a looser share, so that a
# column of names is rejected without touching a million rows.
_NUMBER_SAMPLE = 500
_NUMBER_SAMPLE_SHARE = 0.8
# An .xlsx is compressed; refuse workbooks that unpack to far more than the byte limit
# (a "zip bomb" would otherwise exhaust memory long before the row limit is seen).
_XLSX_UNPACK_FACTOR = 20
# Blank rows we tolerate above a sheet's header when capping how many rows to read.
_XLSX_SPARE_ROWS = 100

_EXPORT_HINT = "Export it from your spreadsheet as CSV or .xlsx and share that."

_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "This is an old-style Excel .xls file (or a password-protected workbook), which I "
        "can't read. Open it in Excel and save it as .xlsx or CSV without a password, then "
        "share that.",
    ),
    (b"%PDF", "This is a PDF, not a data file. " + _EXPORT_HINT),
    (b"\x89PNG\r\n\x1a\n", "This is an image, not a data file. " + _EXPORT_HINT),
    (b"\xff\xd8\xff", "This is an image, not a data file. " + _EXPORT_HINT),
    (b"GIF87a", "This is an image, not a data file. " + _EXPORT_HINT),
    (b"GIF89a", "This is an image, not a data file. " + _EXPORT_HINT),
    (b"II*\x00", "This is an image, not a data file. " + _EXPORT_HINT),
    (b"MM\x00*", "This is an image, not a data file. " + _EXPORT_HINT),
    (
        b"\x1f\x8b",
        "This is a compressed (gzip) file. Unpack it and share the CSV or .xlsx inside.",
    ),
    (
        b"7z\xbc\xaf\x27\x1c",
        "This is a compressed (7-Zip) file. Unpack it and share the CSV or .xlsx inside.",
    ),
    (b"Rar!", "This is a compressed (RAR) file. Unpack it and share the CSV or .xlsx inside."),
    (
        b"PK\x05\x06",
        "This is an empty zip archive, not a data file. " + _EXPORT_HINT,
    ),
)

_BINARY_SENTENCE = (
    "The file contains binary data, not text. Export it from your spreadsheet as CSV "
    "(UTF-8) or .xlsx and share that."
)

# C0 and C1 control characters other than tab, newline, carriage return, vertical tab and
# form feed: text exports practically never contain them, binary files are full of them.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MARKUP_START = re.compile(r"<[!?a-zA-Z]")
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|title|meta|script|div|form)\b", re.I)
_JSON_START = re.compile(r'(?:\{\s*"|\[\s*[\[{"\]])')
# Rows of nothing but blanks and delimiters above the header (common in Excel exports).
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t,;|]*(?:\r\n|\n|\r))+")
# Excel's own delimiter hint, written as the first line: sep=;
_SEPARATOR_HINT = re.compile(r'"?sep=([,;\t|])"?[ \t]*(?:\r\n|\n|\r)', re.I)
_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
# Title and note lines above the header are looked for among this many non-blank lines.
_PREAMBLE_LINES = 20
# A physical line and its ending (CR, LF or CRLF, as pandas and editors count them).
_LINE = re.compile(r"([^\r\n]*)(?:\r\n|\n|\r|$)")
_HEADER_BREAKS = re.compile(r"[ \t]*[\r\n\v\f]+[ \t]*")
# Prefix for placeholder names of fields beyond the header; NUL never survives into a header.
_EXTRA = "\x00extra"

# --- numbers as people write them -------------------------------------------------------

# The lookahead lets a digit skip the list of codes at once (about 1.6x faster overall).
_CURRENCY = (
    r"(?:[€$£¥₹₩₽¢₪₺]|(?=[A-Za-zł])(?:(?:US|CA|AU|NZ|HK|MX|[ACRS])\$"
    r"|(?i:usd|eur|gbp|jpy|chf|cad|aud|nzd|cny|rmb|inr|sek|nok|dkk|pln|czk|huf|brl|mxn|zar"
    r"|sgd|hkd|krw|rub|try|ils|aed|kr|zł)))"
)
# Apostrophes (Swiss 1'000) and the spaces people use (incl. no-break and narrow no-break)
# are never decimal marks, so they are thousands separators in both readings.
_GROUP_MARKS = "'’ \u00a0\u202f\u2009"
# Reading A: decimal point, comma or a space/apostrophe between groups of three digits.
_NUMBER_POINT = rf"(?:[1-9]\d{{0,2}}(?:[,{_GROUP_MARKS}]\d{{3}})+|\d+)(?:\.\d+)?|\.\d+"
# Reading B: decimal comma, dot or a space/apostrophe between groups of three digits.
_NUMBER_COMMA = rf"(?:[1-9]\d{{0,2}}(?:[.{_GROUP_MARKS}]\d{{3}})+|\d+)(?:,\d+)?|,\d+"


def _value_pattern(number: str) -> str:
    core = (
        rf"(?:[-+−]\s*(?:{_CURRENCY}\s*)?|{_CURRENCY}\s*(?:[-−]\s*)?)?"
        rf"(?:{number})(?:\s*(?:{_CURRENCY}|%))?"
    )
    return rf"\s*(?:\(\s*{core}\s*\)|{core})\s*"


_VALUE_POINT = _value_pattern(_NUMBER_POINT)
_VALUE_COMMA = _value_pattern(_NUMBER_COMMA)
# A field that is a number in either reading (for telling a header from a row of values).
_NUMERIC_FIELD = re.compile(f"{_VALUE_POINT}|{_VALUE_COMMA}")
# 00123 or 0123: a code (customer number, ZIP), not a quantity.
_LEADING_ZERO = r"[^\d.,]*0\d"
# +44 20 7946 0958: a phone number even if its groups happen to look like thousands.
_PHONE = r"\s*\+\s*\d+\s+\d"
_BLANKS = frozenset({"", "-", "–", "—"})

# Everything but digits, signs and the decimal mark goes; the patterns above already
# guaranteed that what goes is decoration (currency, grouping, percent, brackets).
_DECORATION = {
    ord(c): None for c in string.ascii_letters + "ł€$£¥₹₩₽¢₪₺%()" + _GROUP_MARKS + "\t\n\r\x0b\x0c"
}
_DECORATION[ord("−")] = "-"
_TRANSLATE_POINT = str.maketrans({**_DECORATION, ord(","): None})
_TRANSLATE_COMMA = str.maketrans({**_DECORATION, ord("."): None, ord(","): "."})


def load_table(
    source: bytes | str | os.PathLike[str],
    *,
    filename: str | None = None,
    limits: Limits = _DEFAULT_LIMITS,
) -> pd.DataFrame:
    """Read a customer table from a CSV/TSV text file or an ``.xlsx`` workbook.

    Parameters
    ----------
    source : bytes, str or os.PathLike
        The file's bytes, or a path to it. A path's size is checked before it is read.
    filename : str, optional
        The file's name as the user knows it; its extension helps recognise ``.xlsx``.
        Defaults to the path's name when ``source`` is a path.
    limits : Limits
        ``max_bytes``, ``max_rows`` and ``max_columns``; all are checked before the heavy
        work (columns from the header line alone).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_rows, n_columns)`` with a fresh ``RangeIndex``. Headers are stripped and
        unique (``x``, ``x_2``); an empty header becomes ``column_N``. Completely blank rows
        and completely empty columns are dropped. Text columns that hold numbers written
        with currency, thousands separators, percentages (kept as percent points: ``12%`` is
        12.0) or accounting brackets become float64; dates, codes with leading zeros and
        phone numbers stay text. Infinite values and values beyond ``MAX_MAGNITUDE`` (too
        large to compute with) become NaN, like blanks.

    Raises
    ------
    FileTooLarge
        More bytes than ``limits.max_bytes``.
    TooManyRows
        More data rows than ``limits.max_rows``.
    TooManyColumns
        More header columns than ``limits.max_columns``.
    UnreadableFile
        Anything that is not a readable table (empty, binary, a web page, a legacy ``.xls``,
        rows that do not line up with the header, ...).

    Examples
    --------
    >>> load_table(b'id;spend\\n1;"1.234,50 EUR"\\n')["spend"].tolist()
    [1234.5]
    """
    data, name = _read_source(source, filename, limits)
    if _is_xlsx(data, name):
        table = _read_xlsx(data, limits)
        return _tidy(table, decimal_comma=False)
    text = _decode(data)
    del data  # the text is all we need from here on; let a large buffer go
    _reject_non_tables(text)
    table, delimiter = _read_delimited(text, limits)
    return _tidy(table, decimal_comma=delimiter == ";")


def parse_number_column(values: pd.Series, *, decimal_comma: bool = False) -> pd.Series | None:
    """Turn a column of numbers written as text into float64, or say it is not numbers.

    Understands currency symbols and codes before or after the number (``€15,000``,
    ``$1,200.50``, ``1.200 EUR``), thousands separators (``,`` ``.`` spaces incl. no-break
    spaces, apostrophes), decimal commas (``1.234,56``, ``12,5``), percentages (``12%`` is
    12.0: the value stays in percent points), accounting negatives (``(30.00)`` is -30.0) and
    signs (``-5``). Blank cells and lone dashes become NaN.

    Whether ``,`` or ``.`` is the decimal mark is decided once for the whole column: the
    reading under which more values are numbers wins. When both readings fit every value
    (only values like ``1,234`` or ``1.234``), a comma with exactly three digits after it is
    a thousands separator, and a dot is a decimal point unless ``decimal_comma`` says the
    file writes decimals with a comma (a ``;``-separated file).

    Parameters
    ----------
    values : pandas.Series
        Any column, shape ``(n,)``.
    decimal_comma : bool
        The file's convention, used only to break the tie described above.

    Returns
    -------
    pandas.Series or None
        Float64, shape ``(n,)``, same index and name, NaN where blank or not a number; None
        when fewer than 95% of the non-blank values are numbers, or the column holds codes
        with leading zeros (``00123``) or phone numbers, which are text.

    Examples
    --------
    >>> parse_number_column(pd.Series(["€15,000", "(30.00)", "12%"])).tolist()
    [15000.0, -30.0, 12.0]
    >>> parse_number_column(pd.Series(["Ada", "Grace"])) is None
    True
    """
    if is_bool_dtype(values.dtype):
        return None
    if is_numeric_dtype(values.dtype):
        return _finite(values.astype("float64"))
    if not (is_string_dtype(values.dtype) or is_object_dtype(values.dtype)):
        return None  # datetimes, categoricals, ...: not text we should reinterpret
    text = values.astype("str")
    non_blank = text.dropna()
    if non_blank.empty:
        return None
    # The cheap look first: most text columns (names, cities, dates) fail here. Placeholders
    # ("-", blanks) say nothing either way, so the sample skips them.
    if len(non_blank) > _NUMBER_SAMPLE:
        head = non_blank.iloc[: 10 * _NUMBER_SAMPLE]
        sample = head[~head.str.strip().isin(_BLANKS).to_numpy(dtype=bool)].iloc[:_NUMBER_SAMPLE]
        if len(sample) and _parse_numbers(sample, decimal_comma, _NUMBER_SAMPLE_SHARE) is None:
            return None
    # Hashing pays off unless nearly every value differs (amounts with cents); a big enough
    # head of the column tells, where 500 values could not (5,000 prices look all distinct).
    lead = non_blank.iloc[:20_000]
    repetitive = lead.nunique() < 0.5 * len(lead)
    parsed = _parse_numbers(text, decimal_comma, _NUMBER_SHARE, deduplicate=repetitive)
    if parsed is None:
        return None
    return pd.Series(parsed, index=values.index, name=values.name, dtype="float64")


def _parse_numbers(
    text: pd.Series, decimal_comma: bool, share: float, *, deduplicate: bool = True
) -> np.ndarray | None:
    """Float values for ``text`` (str Series), or None when it is not a number column."""
    if deduplicate:
        # Work on the distinct values only: real columns repeat a lot, and every string
        # operation below is a Python-level loop inside pandas.
        codes, uniques = pd.factorize(text)
    else:
        # Nearly all values differ (amounts with cents): hashing them would cost more than
        # it saves. Every present value is its own "distinct" entry.
        present = text.notna().to_numpy(dtype=bool)
        uniques = text[present].to_numpy()
        codes = np.full(len(text), -1, dtype=np.intp)
        codes[present] = np.arange(len(uniques))
    if len(uniques) == 0:
        return None
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    distinct = pd.Series(uniques, dtype="str").str.strip()
    blank = distinct.isin(_BLANKS).to_numpy()
    weight = np.where(blank, 0, counts)
    total = weight.sum()
    if total == 0:
        return None

    point_ok = distinct.str.fullmatch(_VALUE_POINT).to_numpy(dtype=bool) & ~blank
    point_share = weight[point_ok].sum() / total
    comma_ok = np.zeros_like(point_ok)
    comma_share = 0.0
    if point_share < share or decimal_comma:
        comma_ok = distinct.str.fullmatch(_VALUE_COMMA).to_numpy(dtype=bool) & ~blank
        comma_share = weight[comma_ok].sum() / total
    if max(point_share, comma_share) < share:
        return None

    number_like = point_ok | comma_ok
    candidates = distinct[number_like]
    if candidates.str.match(_LEADING_ZERO).any():
        return None
    signed = candidates[candidates.str.contains("+", regex=False).to_numpy(dtype=bool)]
    if signed.str.match(_PHONE).any():
        return None

    if point_share != comma_share:
        use_comma = comma_share > point_share
    elif candidates.str.contains(",", regex=False).any():
        # Both readings fit every value, so every comma has exactly three digits after it:
        # a thousands separator (1,234), whatever the file's decimal convention.
        use_comma = False
    else:
        use_comma = decimal_comma
    valid = comma_ok if use_comma else point_ok
    table = _TRANSLATE_COMMA if use_comma else _TRANSLATE_POINT

    numbers = np.full(len(distinct), np.nan)
    chosen = distinct[valid]
    converted = pd.to_numeric(chosen.str.translate(table), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    # Valid values only hold a bracket when the whole value is in brackets: (30.00).
    negative = chosen.str.contains("(", regex=False).to_numpy(dtype=bool)
    numbers[valid] = np.where(negative, -converted, converted)
    with np.errstate(invalid="ignore"):
        numbers[~(np.abs(numbers) <= MAX_MAGNITUDE)] = np.nan

    result = np.full(len(codes), np.nan)
    present = codes >= 0
    result[present] = numbers[codes[present]]
    return result


def _finite(values: pd.Series) -> pd.Series:
    """Infinity from a text 'inf', or a value too large to compute with (1e308), is not a
    measurement: treat it as missing."""
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        unusable = np.abs(numbers) > MAX_MAGNITUDE
    return values.mask(unusable) if unusable.any() else values


# --- reading the bytes --------------------------------------------------------------------


def _read_source(
    source: bytes | str | os.PathLike[str], filename: str | None, limits: Limits
) -> tuple[bytes, str | None]:
    """The file's bytes and name, refusing oversized input before reading it."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > limits.max_bytes:
            raise _too_large(len(data), limits)
        return data, filename
    path = os.fspath(source)
    name = filename if filename is not None else os.path.basename(path)
    try:
        size = os.stat(path).st_size
        if size > limits.max_bytes:
            raise _too_large(size, limits)
        with open(path, "rb") as handle:
            # One byte more than allowed: catches a file that grew after the stat.
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise UnreadableFile(
            f"I can't find the file {name!r}. Check the name and the folder, then try again."
        ) from exc
    except IsADirectoryError as exc:
        raise UnreadableFile(f"{name!r} is a folder, not a file. Give me the data file.") from exc
    except PermissionError as exc:
        raise UnreadableFile(
            f"I'm not allowed to read {name!r}. Check the file's permissions, then try again."
        ) from exc
    except OSError as exc:
        raise UnreadableFile(f"I couldn't read {name!r} from disk ({exc.strerror}).") from exc
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits)
    return data, name


def _too_large(size: int, limits: Limits) -> FileTooLarge:
    return FileTooLarge(
        f"The file is {_megabytes(size)}, more than the limit of {_megabytes(limits.max_bytes)}. "
        "Remove columns or rows you don't need (or split it), then try again."
    )


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    if mb >= 10:
        return f"{mb:,.0f} MB"
    if mb >= 0.1:
        return f"{mb:.1f} MB"
    return f"{mb:.4f} MB"


def _extension(name: str | None) -> str:
    return os.path.splitext(name)[1].lower() if name else ""


def _is_xlsx(data: bytes, name: str | None) -> bool:
    """True for a workbook; raises for formats we recognise but cannot read."""
    if not data or data.isspace():
        raise UnreadableFile("The file is empty. Export the table again and share the new file.")
    if data.startswith(b"PK\x03\x04"):
        return True
    for signature, sentence in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise UnreadableFile(sentence)
    if _extension(name) in (".xlsx", ".xlsm"):
        _reject_non_tables(data[:65536].decode("latin-1"))  # a web page says so first
        raise UnreadableFile(
            f"The file is named {_extension(name)} but is not an Excel workbook inside. "
            "Open it in Excel, save it again as .xlsx or CSV, and share that."
        )
    return False


def _decode(data: bytes) -> str:
    """Text from bytes: BOM-marked Unicode, else UTF-8, else Windows-1252, else Latin-1."""
    bom_codec = None
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        bom_codec = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom_codec = "utf-16"
    if bom_codec is not None:
        try:
            return data.decode(bom_codec)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                "The file says it is Unicode (UTF-16) text, but its bytes are damaged. "
                "Export it again as CSV (UTF-8) and share that."
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows writes "CSV" in the machine's code page: Windows-1252 in the West.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # Latin-1 maps every byte; whether the result is text is judged afterwards.
        return data.decode("latin-1")


def _reject_non_tables(text: str) -> None:
    """Raise for text that is clearly not a table: binary, a web page, XML, JSON."""
    if "\x00" in text:
        raise UnreadableFile(_BINARY_SENTENCE)
    sample = text[:65536]
    if len(_CONTROL_CHARS.findall(sample)) * 100 > len(sample):
        raise UnreadableFile(_BINARY_SENTENCE)
    head = sample.lstrip()[:4096]
    if _MARKUP_START.match(head) and _HTML_TAG.search(head):
        raise UnreadableFile(
            "This looks like a web page, not a data file (perhaps a sign-in page instead "
            "of the download). Download the file itself as CSV or .xlsx and share that."
        )
    if head.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise UnreadableFile(
                "This is an Excel 2003 XML spreadsheet, which I can't read. Open it in Excel "
                "and save it as .xlsx or CSV, then share that."
            )
        raise UnreadableFile("This is an XML document, not a table. " + _EXPORT_HINT)
    if head.startswith("{\\rtf"):
        raise UnreadableFile(
            "This is a word-processor (RTF) document, not a table. " + _EXPORT_HINT
        )
    if _JSON_START.match(head):
        raise UnreadableFile("This looks like JSON, not a table. " + _EXPORT_HINT)


# --- delimited text -------------------------------------------------------------------


def _read_delimited(text: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    """Parse delimited text with pandas' C engine; returns the raw table and the delimiter."""
    # Lines dropped above the header, so that line numbers in messages match the file.
    text, skipped = _skip_leading_blank_lines(text)
    delimiter: str | None = None
    hint = _SEPARATOR_HINT.match(text)
    if hint:
        delimiter = hint.group(1)
        text, more = _skip_leading_blank_lines(text[hint.end() :])
        skipped += 1 + more
    if not text or text.isspace():
        raise UnreadableFile(
            "The file has no header and no rows. Export the table again and share the new file."
        )
    truncated = len(text) > _SAMPLE_CHARS
    sample = text[:_SAMPLE_CHARS]
    hinted = delimiter
    if delimiter is None:
        delimiter = _sniff_delimiter(sample, truncated)
    _check_first_line(text, delimiter, limits)
    records = _sample_records(sample, delimiter, truncated)
    if records and _header_too_narrow(records):
        # Title or note lines above the header ("Customer export 2024"): start at the header.
        found = _find_header_after_preamble(sample, truncated, hinted)
        if found is not None:
            offset, delimiter, records = found
            skipped += _line_breaks(text[:offset])
            text = text[offset:]
    if not records:
        raise UnreadableFile(
            "The file has no header and no rows. Export the table again and share the new file."
        )
    _check_width(records, limits)
    header = records[0]
    width = max(len(record) for record in records)
    names = _clean_headers(header) + [f"{_EXTRA}{i}" for i in range(width - len(header))]

    payload = text.encode("utf-8")
    options: dict[str, object] = {
        "sep": delimiter,
        "header": 0,
        "names": names,
        # Without this, rows one field longer than the header silently become the index.
        "index_col": False,
        "quotechar": '"',
        "doublequote": True,
        "skip_blank_lines": True,
        # Whole-column type inference: no chunk-wise mixed types (and no DtypeWarning).
        "low_memory": False,
        "encoding": "utf-8",
        "decimal": "," if delimiter == ";" else ".",
        "engine": "c",
    }
    table = _parse_csv(payload, delimiter, skipped, **options, nrows=limits.max_rows + 1)
    if len(table) > limits.max_rows:
        estimate = max(_count_lines(text) - 1, limits.max_rows + 1)
        raise TooManyRows(
            f"The file has about {estimate:,} rows, more than the limit of {limits.max_rows:,}. "
            "Split it into smaller files or keep only the rows you need, then try again."
        )
    _restore_text(table, payload, delimiter, skipped, options)
    return table, delimiter


def _check_first_line(text: str, delimiter: str, limits: Limits) -> None:
    """Refuse a first line too long to be a header, by C-level string searches: never by
    parsing the whole file (csv would not even split a field past 128 KB)."""
    head = text[: MAX_LINE_CHARS + 2]
    ends = [i for i in (head.find("\n"), head.find("\r")) if i >= 0]
    if not ends and len(text) > MAX_LINE_CHARS:
        end = min(i for i in (text.find("\n"), text.find("\r"), len(text)) if i >= 0)
        # Quotes are ignored here: an upper bound is enough to tell "far too many".
        fields = text.count(delimiter, 0, end) + 1
        if fields > limits.max_columns:
            raise _too_many_columns(fields, limits, about=True)
        raise TooManyColumns(
            f"The first line of the file is about {_megabytes(end)} long, more than a header line "
            f"can be ({MAX_LINE_CHARS // 1024} KB at most). Check that the file has one row per "
            "line (export it again as CSV), or keep only the columns you need, then try again."
        )


def _check_width(records: list[list[str]], limits: Limits) -> None:
    """Refuse a header (or a sampled record) wider than the limit."""
    width = max(len(record) for record in records)
    if width > limits.max_columns:
        raise _too_many_columns(width, limits, about=False)


def _too_many_columns(columns: int, limits: Limits, *, about: bool) -> TooManyColumns:
    return TooManyColumns(
        f"The file has {'about ' if about else ''}{columns:,} columns, more than the limit of "
        f"{limits.max_columns:,}. Keep only the columns you need (for example the spending and "
        "order columns) and export those as CSV, then try again."
    )


def _header_too_narrow(records: list[list[str]]) -> bool:
    """Whether the first record may be a title rather than the header: one field (no
    delimiter at all), or fewer fields than the records below it usually have."""
    if len(records) < 2:
        return False
    usual = Counter(len(record) for record in records[1:]).most_common(1)[0][0]
    return len(records[0]) < max(2, usual)


def _find_header_after_preamble(
    sample: str, truncated: bool, delimiter: str | None
) -> tuple[int, str, list[list[str]]] | None:
    """Where the real header starts when title or note lines stand above it.

    The header is the first of the first non-blank lines that has at least two fields, looks
    like a header (text, not numbers) above at least one column of numbers, and from which the
    records below it consistently have its field count; every line above it must be narrow
    (fewer fields, and at most one filled or half as many as the header). Returns the
    header's character offset in ``sample``, the delimiter and the records from the header on;
    None when no line fits, so a file that merely has ragged rows is reported as before.
    """
    lines = _first_lines(sample, _PREAMBLE_LINES)
    delimiters = _DELIMITERS if delimiter is None else (delimiter,)
    for index in range(1, len(lines)):
        offset, line = lines[index]
        best: tuple[float, int] | None = None
        choice: tuple[int, str, list[list[str]]] | None = None
        for rank, candidate in enumerate(delimiters):
            header = _split_line(line, candidate)
            width = len(header)
            if width < 2 or not _looks_like_header(header):
                continue
            above = [_split_line(text, candidate) for _, text in lines[:index]]
            if not all(_is_preamble(fields, width) for fields in above):
                continue
            records = _sample_records(sample[offset:], candidate, truncated)
            below = records[1:]
            if len(below) < 2 or records[0] != header:
                continue  # too little to judge, or a quoted line break in the "header"
            if not _consistent([len(record) for record in below], width):
                continue
            if not _has_number_column(header, below):
                continue
            score = (sum(len(record) == width for record in below) / len(below), -rank)
            if best is None or score > best:
                best, choice = score, (offset, candidate, records)
        if choice is not None:
            return choice
    return None


def _consistent(widths: list[int], width: int) -> bool:
    """Whether the records below a header line up with it: most of them exactly, and at most
    one in five (or a single one) differs, which pandas then reports by its line."""
    counts = Counter(widths)
    total = counts.total()
    matched = counts[width]
    return 2 * matched > total and total - matched <= max(1, total // 5)


def _first_lines(sample: str, limit: int) -> list[tuple[int, str]]:
    """Offsets and text of the first ``limit`` non-blank lines of ``sample``."""
    lines: list[tuple[int, str]] = []
    for match in _LINE.finditer(sample):
        if match.group(1).strip(" \t,;|"):
            lines.append((match.start(), match.group(1)))
            if len(lines) == limit:
                break
        if match.end() == len(sample):
            break
    return lines


def _split_line(line: str, delimiter: str) -> list[str]:
    """One line's fields, quotes respected; a line csv cannot split counts as one field."""
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=False), [""])
    except csv.Error:
        return [line]


def _looks_like_header(fields: list[str]) -> bool:
    """Mostly filled, mostly words: names of columns rather than a row of values."""
    filled = [field for field in fields if field.strip()]
    numeric = sum(1 for field in filled if _NUMERIC_FIELD.fullmatch(field))
    return len(filled) >= 2 and 2 * len(filled) > len(fields) and 2 * numeric < len(filled)


def _is_preamble(fields: list[str], width: int) -> bool:
    """A title or note line above a header ``width`` fields wide: narrower and mostly empty."""
    filled = sum(1 for field in fields if field.strip())
    return len(fields) < width and filled <= max(1, width // 2)


def _has_number_column(header: list[str], below: list[list[str]]) -> bool:
    """Whether a named column holds numbers: the contrast that tells a header from data."""
    for position, name in enumerate(header):
        if not name.strip() or _NUMERIC_FIELD.fullmatch(name):
            continue
        values = [r[position] for r in below if len(r) > position and r[position].strip()]
        numbers = sum(1 for value in values if _NUMERIC_FIELD.fullmatch(value))
        if values and numbers >= _NUMBER_SAMPLE_SHARE * len(values):
            return True
    return False


def _line_breaks(text: str) -> int:
    """How many lines ``text`` ends, counting CRLF once, as an editor numbers them."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _skip_leading_blank_lines(text: str) -> tuple[str, int]:
    """The text without blank lines above the header, and how many lines were dropped."""
    blank = _LEADING_BLANK_LINES.match(text)
    if not blank:
        return text, 0
    return text[blank.end() :], _line_breaks(blank.group())


def _parse_csv(
    payload: bytes, delimiter: str, skipped_lines: int, **options: object
) -> pd.DataFrame:
    """``pd.read_csv`` with every complaint about the input turned into a sentence."""
    try:
        with warnings.catch_warnings():
            # A width mismatch pandas only warns about would silently drop values.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.BytesIO(payload), **options)
    except pd.errors.ParserWarning as exc:
        raise UnreadableFile(
            "Some rows have more values than the header has columns. Check for a stray "
            f"{_DELIMITER_NAMES[delimiter]} or a missing quote, or export the file again as CSV."
        ) from exc
    except pd.errors.ParserError as exc:
        raise UnreadableFile(_explain_parser_error(str(exc), delimiter, skipped_lines)) from exc
    except pd.errors.EmptyDataError as exc:
        raise UnreadableFile(
            "The file has no header and no rows. Export the table again and share the new file."
        ) from exc
    except (ValueError, csv.Error, UnicodeError, OverflowError) as exc:
        raise UnreadableFile(
            "I couldn't read the file as a table. Export it again as CSV or .xlsx and share that."
        ) from exc


def _explain_parser_error(message: str, delimiter: str, skipped_lines: int) -> str:
    ragged = _RAGGED.search(message)
    if ragged:
        expected, line, saw = (int(number) for number in ragged.groups())
        return (
            f"Line {line + skipped_lines} has {saw} values but the header has {expected} "
            f"columns. Check that line for a stray {_DELIMITER_NAMES[delimiter]} or a missing "
            "quote, or export the file again as CSV."
        )
    unclosed = _UNCLOSED_QUOTE.search(message)
    if unclosed:
        # pandas counts records from 0 with the header as record 0: record n is line n + 1.
        line = int(unclosed.group(1)) + 1 + skipped_lines
        return (
            f'A quoted value that starts on line {line} is never closed (a stray "). Fix that '
            "line or export the file again as CSV."
        )
    return (
        "I couldn't split the file into rows and columns. Export it again as CSV (or .xlsx) "
        "and share that."
    )


def _count_lines(text: str) -> int:
    """Lines with content, counting cheaply (C-level ``str.count``) for the limit's message."""
    newline = "\n" if "\n" in text else "\r"
    tail = text[-4096:]
    trailing = tail[len(tail.rstrip()) :].count(newline)
    return text.count(newline) - trailing + 1


def _sniff_delimiter(sample: str, truncated: bool) -> str:
    """The delimiter that splits the first records most consistently.

    For each candidate, count fields per record (quotes respected) and score the share of
    records that have the most common count; the header must contain the delimiter.
    """
    best: tuple[float, bool, int, int] | None = None
    choice = ","
    for rank, delimiter in enumerate(_DELIMITERS):
        records = _sample_records(sample, delimiter, truncated)
        if len(records) == 0:
            continue
        counts = [len(record) - 1 for record in records]
        usual, times = Counter(counts).most_common(1)[0]
        if counts[0] == 0 or usual == 0:
            continue
        score = (times / len(counts), counts[0] == usual, usual, -rank)
        if best is None or score > best:
            best, choice = score, delimiter
    return choice


def _sample_records(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    """The first non-blank records of the sample, split with quotes respected."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    try:
        for record in reader:
            if any(field.strip() for field in record):
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # a malformed tail in the sample; pandas will judge the whole file
    if truncated and len(records) > 1 and len(records) <= _SNIFF_RECORDS:
        records.pop()  # the sample may have cut the last record short
    return records[:_SNIFF_RECORDS]


def _clean_headers(raw: Sequence[object]) -> list[str]:
    """Stripped, non-empty, unique headers; otherwise exactly as the user wrote them.

    Uniqueness ignores case, because columns are later asked for case-insensitively. Names
    the user wrote win over the ones we make up (``column_N``, ``x_2``).
    """
    # A line break inside a header (Alt+Enter in Excel, or a stray quote) becomes a space: a
    # header is quoted in one-line sentences and typed back in columns=.
    written = [
        _HEADER_BREAKS.sub(" ", _header_text(value)).strip().strip("\ufeff").strip()
        for value in raw
    ]
    taken = {name.casefold() for name in written if name}
    seen: set[str] = set()
    names = []
    for position, name in enumerate(written, start=1):
        if not name:
            name = _unused(f"column_{position}", taken)
        elif name.casefold() in seen:
            name = _unused(name, taken)
        taken.add(name.casefold())
        seen.add(name.casefold())
        names.append(name)
    return names


def _unused(name: str, taken: set[str]) -> str:
    if name.casefold() not in taken:
        return name
    suffix = 2
    while f"{name}_{suffix}".casefold() in taken:
        suffix += 1
    return f"{name}_{suffix}"


def _header_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year typed as a header in Excel: 2024, not 2024.0
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] if _is_midnight(value) else value.isoformat(sep=" ")
    return str(value)


def _is_midnight(value: date) -> bool:
    return not isinstance(value, datetime) or value.time() == datetime.min.time()


def _restore_text(
    table: pd.DataFrame,
    payload: bytes,
    delimiter: str,
    skipped_lines: int,
    options: dict[str, object],
) -> None:
    """Re-read, as text, the columns pandas' own number parsing may have got wrong.

    Integers: codes like 00123 became 123. Floats in a ``;`` file (read with a decimal
    comma): ``1,234`` became 1.234, but a column whose commas all have exactly three digits
    after them uses the comma as a thousands separator; only the text can tell.
    """
    zero_suspects = []
    if _has_leading_zero_field(payload, delimiter):
        zero_suspects = [
            column
            for column in table.columns
            if is_integer_dtype(table[column].dtype) and not column.startswith(_EXTRA)
        ]
    comma_suspects = []
    if options.get("decimal") == "," and b"," in payload:
        comma_suspects = [
            column
            for column in table.columns
            if is_float_dtype(table[column].dtype) and _could_be_thousands(table[column])
        ]
    if not zero_suspects and not comma_suspects:
        return
    raw = _parse_csv(
        payload,
        delimiter,
        skipped_lines,
        **{**options, "nrows": len(table), "usecols": zero_suspects + comma_suspects, "dtype": str},
    )
    for column in zero_suspects:
        text = raw[column].str.strip()
        if text.str.match(r"[-+]?0\d").any():
            table[column] = text
    for column in comma_suspects:
        numbers = parse_number_column(raw[column], decimal_comma=True)
        if numbers is not None:
            table[column] = numbers


def _could_be_thousands(values: pd.Series) -> bool:
    """Whether every value could have been written ``d,ddd`` (1,234 read as 1.234)."""
    finite = values.to_numpy(dtype="float64", na_value=np.nan)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0 or (np.abs(finite) >= 1000).any():
        return False
    thousandths = finite * 1000
    return bool(np.allclose(thousandths, np.round(thousandths), rtol=0, atol=1e-6))


def _has_leading_zero_field(payload: bytes, delimiter: str) -> bool:
    """Whether any field starts with 0 and another digit; vectorised over the raw bytes.

    A zero right after a delimiter inside a quoted value (``"12,045"``) is not a field start:
    the number of quotes before it tells (odd means inside quotes).
    """
    data = np.frombuffer(payload, dtype=np.uint8)
    if len(data) < 3:
        return False
    zeros = np.flatnonzero(data[1:-1] == ord("0")) + 1
    digit = np.zeros(256, dtype=bool)
    digit[list(b"0123456789")] = True
    zeros = zeros[digit[data[zeros + 1]]]
    if zeros.size == 0:
        return False
    separator = np.zeros(256, dtype=bool)
    separator[list(f"\n\r {delimiter}".encode())] = True
    quotes = np.flatnonzero(data == ord('"'))
    inside = np.searchsorted(quotes, zeros) % 2 == 1
    before = data[zeros - 1]
    # After an opening quote we are inside; after a delimiter or line break, outside.
    starts = np.where(before == ord('"'), inside, separator[before] & ~inside)
    return bool(starts.any())


# --- Excel ----------------------------------------------------------------------------


def _read_xlsx(data: bytes, limits: Limits) -> pd.DataFrame:
    """The first sheet of a workbook; header = its first non-blank row."""
    _check_workbook_archive(data, limits)
    declared, declared_columns = _declared_sheet_size(data)
    # The declared size counts blank rows too, so only refuse early when clearly over.
    if declared is not None and declared - 1 > limits.max_rows + _XLSX_SPARE_ROWS:
        raise _too_many_sheet_rows(declared - 1, limits, exact=False)
    if declared_columns is not None and declared_columns > limits.max_columns + _XLSX_SPARE_ROWS:
        raise _too_many_columns(declared_columns, limits, about=True)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they don't affect values.
            warnings.simplefilter("ignore")
            raw = pd.read_excel(
                io.BytesIO(data),
                sheet_name=0,
                header=None,
                dtype=object,
                engine="openpyxl",
                nrows=limits.max_rows + 1 + _XLSX_SPARE_ROWS,
            )
    except Exception as exc:  # any failure of the parser means a damaged file
        raise UnreadableFile(
            "I couldn't open this Excel file; it may be damaged or password-protected. Open it "
            "in Excel, save it again as .xlsx or CSV, and share that."
        ) from exc
    filled = raw.notna().any(axis=1).to_numpy()
    if not filled.any():
        raise UnreadableFile(
            "The first sheet of the workbook is empty. Put the table on the first sheet, or "
            "export it as CSV, and share that."
        )
    used_columns = int(raw.notna().any(axis=0).to_numpy().nonzero()[0].max()) + 1
    if used_columns > limits.max_columns:
        raise _too_many_columns(used_columns, limits, about=False)
    header_row = _sheet_header_row(raw, filled)
    body = raw.iloc[header_row + 1 :]
    rows = int(body.notna().any(axis=1).sum())
    if rows > limits.max_rows:
        complete = declared is not None and len(raw) >= declared
        raise _too_many_sheet_rows(rows, limits, exact=complete)
    columns = {position: _excel_column(body[column]) for position, column in enumerate(raw.columns)}
    table = pd.DataFrame(columns)
    table.columns = _clean_headers(list(raw.iloc[header_row]))
    return table.reset_index(drop=True)


def _sheet_header_row(raw: pd.DataFrame, filled: np.ndarray) -> int:
    """The header's row: the first filled one, unless title rows stand above it.

    Same rule as for text: a later row (within the first few filled ones) is the header when
    it looks like one, has a column of numbers below it, and every filled row above it is
    narrower and mostly empty (a title in A1, a "Generated on" note).
    """
    positions = np.flatnonzero(filled)[: _PREAMBLE_LINES + _SNIFF_RECORDS]
    rows = [_sheet_fields(raw.iloc[position].tolist()) for position in positions]
    for index in range(1, min(len(rows), _PREAMBLE_LINES)):
        header = rows[index]
        width = len(header)
        below = rows[index + 1 : index + 1 + _SNIFF_RECORDS]
        if (
            width >= 2
            and len(below) >= 2
            and _looks_like_header(header)
            and all(_is_preamble(fields, width) for fields in rows[:index])
            # A row may end early (blank cells at its end), but not run past the header.
            and _consistent([max(len(fields), width) for fields in below], width)
            and _has_number_column(header, below)
        ):
            return int(positions[index])
    return int(positions[0])


def _sheet_fields(cells: list[object]) -> list[str]:
    """A sheet row as text fields up to its last filled cell, like a line of a CSV."""
    fields = ["" if _is_blank_cell(cell) else str(cell) for cell in cells]
    while fields and not fields[-1].strip():
        fields.pop()
    return fields


def _is_blank_cell(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell))


def _check_workbook_archive(data: bytes, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableFile(
            "This looks like an Excel (.xlsx) or zip file, but it is damaged. Open it in Excel, "
            "save it again as .xlsx or CSV, and share that."
        ) from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted or exotic compression
        raise UnreadableFile(
            "This zip file is encrypted or uses a compression I can't read. " + _EXPORT_HINT
        ) from exc
    if "xl/workbook.xml" not in names:
        if b"opendocument.spreadsheet" in mimetype:
            sentence = "This is an OpenDocument spreadsheet (.ods), which I can't read."
            raise UnreadableFile(sentence + " Save it as .xlsx or CSV and share that.")
        if any(name.startswith("Index/") and name.endswith(".iwa") for name in names):
            sentence = "This is an Apple Numbers file, which I can't read."
            raise UnreadableFile(sentence + " Export it to Excel or CSV and share that.")
        if "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise UnreadableFile("This is a Word or PowerPoint file, not a table. " + _EXPORT_HINT)
        raise UnreadableFile(
            "This is a zip archive, not a spreadsheet. Unpack it and share the CSV or .xlsx inside."
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > _XLSX_UNPACK_FACTOR * limits.max_bytes:
        raise FileTooLarge(
            f"The workbook unpacks to {_megabytes(unpacked)}, far more than the limit of "
            f"{_megabytes(limits.max_bytes)}. Export only the rows and columns you need as "
            "CSV, then try again."
        )


def _declared_sheet_size(data: bytes) -> tuple[int | None, int | None]:
    """The first sheet's row and column counts as the workbook declares them, without reading
    the cells."""
    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
            rows = sheet.max_row if sheet is not None else None
            columns = sheet.max_column if sheet is not None else None
        finally:
            workbook.close()
    except Exception:  # the full read that follows reports damaged files
        return None, None
    return (
        rows if isinstance(rows, int) else None,
        columns if isinstance(columns, int) else None,
    )


def _too_many_sheet_rows(rows: int, limits: Limits, *, exact: bool) -> TooManyRows:
    about = "" if exact else "about "
    return TooManyRows(
        f"The first sheet has {about}{rows:,} rows, more than the limit of {limits.max_rows:,}. "
        "Split it into smaller files or keep only the rows you need, then try again."
    )


def _excel_column(cells: pd.Series) -> pd.Series:
    """Typed column from Excel cells: numbers as numbers, dates as ISO text, else text."""
    kind = pd.api.types.infer_dtype(cells, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return pd.to_numeric(cells)
    if kind == "boolean" and cells.notna().all():
        return cells.astype(bool)
    if kind in ("datetime", "datetime64", "date"):
        try:
            moments = pd.to_datetime(cells)
            midnight = (moments.dropna() == moments.dropna().dt.normalize()).all()
            return moments.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")
        except (ValueError, TypeError, OverflowError):
            pass  # out-of-range or mixed-zone dates: keep them as Excel showed them, as text
    if kind == "empty":
        return pd.Series(np.nan, index=cells.index, dtype="float64")
    return cells.astype("str")


# --- shared clean-up -------------------------------------------------------------------


_SYMBOLS = {"€": "€", "$": "$", "£": "£", "¥": "¥", "₹": "₹", "USD": "$", "EUR": "€", "GBP": "£"}


def _currency_symbol(values: pd.Series) -> str | None:
    """The currency written in a money column's first values, when they all agree."""
    head = values.dropna().head(200).astype(str).str.upper()
    found = {
        shown for code, shown in _SYMBOLS.items() if head.str.contains(code, regex=False).any()
    }
    return found.pop() if len(found) == 1 else None


def _tidy(table: pd.DataFrame, *, decimal_comma: bool) -> pd.DataFrame:
    """Numbers from text, stripped text, extra fields checked, blank rows/columns dropped."""
    for column in table.columns:
        values = table[column]
        if is_string_dtype(values.dtype) or is_object_dtype(values.dtype):
            # Numbers first: they ignore surrounding blanks, so only text pays for stripping.
            numbers = parse_number_column(values, decimal_comma=decimal_comma)
            if numbers is not None:
                symbol = _currency_symbol(values)
                if symbol:
                    # The number keeps no symbol; texts about money ("$340 refunded") need it.
                    table.attrs.setdefault("currency", {})[str(column)] = symbol
                table[column] = numbers
            else:
                stripped = values.astype("str").str.strip()
                table[column] = stripped.mask(stripped == "")
        elif is_float_dtype(values.dtype):
            table[column] = _finite(values)

    extras = [column for column in table.columns if str(column).startswith(_EXTRA)]
    if extras:
        spilled = table[extras].notna().any(axis=1).to_numpy()
        if spilled.any():
            row = int(np.argmax(spilled)) + 1
            header_width = len(table.columns) - len(extras)
            raise UnreadableFile(
                f"Row {row} (not counting the header) has more values than the header has "
                f"columns ({header_width}). Check that row for a stray delimiter or a missing "
                "quote, or export the file again as CSV."
            )
        table = table.drop(columns=extras)

    table = table.dropna(how="all")
    table = table.loc[:, table.notna().any().to_numpy()]
    if table.empty:
        raise UnreadableFile(
            "The file has a header but no rows. Add the customer rows under the header (or "
            "export the table again) and share the new file."
        )
    return table.reset_index(drop=True)
