"""Delimited text (CSV, TSV, ...) parsed with pandas' C engine: the header found, the limits
checked, every parser complaint turned into a sentence, codes with leading zeros kept as text.
"""

from __future__ import annotations

import csv
import io
import re
import warnings

import numpy as np
import pandas as pd
from pandas.api.types import is_float_dtype, is_integer_dtype

from segmentation.errors import TooManyColumns, TooManyRows, UnreadableFile
from segmentation.read.headers import clean_headers
from segmentation.read.limits import megabytes, too_many_columns
from segmentation.read.numbers import parse_number_column
from segmentation.read.sniff import (
    DELIMITER_NAMES,
    MAX_LINE_CHARS,
    SAMPLE_CHARS,
    SEPARATOR_HINT,
    find_header_after_preamble,
    header_too_narrow,
    line_breaks,
    sample_records,
    skip_leading_blank_lines,
    sniff_delimiter,
)
from segmentation.result import Limits

_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
# Prefix for placeholder names of fields beyond the header; NUL never survives into a header.
EXTRA = "\x00extra"


def read_delimited(text: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    """Parse delimited text with pandas' C engine; returns the raw table and the delimiter."""
    # Lines dropped above the header, so that line numbers in messages match the file.
    text, skipped = skip_leading_blank_lines(text)
    delimiter: str | None = None
    hint = SEPARATOR_HINT.match(text)
    if hint:
        delimiter = hint.group(1)
        text, more = skip_leading_blank_lines(text[hint.end() :])
        skipped += 1 + more
    if not text or text.isspace():
        raise UnreadableFile(
            "The file has no header and no rows. Export the table again and share the new file."
        )
    truncated = len(text) > SAMPLE_CHARS
    sample = text[:SAMPLE_CHARS]
    hinted = delimiter
    if delimiter is None:
        delimiter = sniff_delimiter(sample, truncated)
    _check_first_line(text, delimiter, limits)
    records = sample_records(sample, delimiter, truncated)
    if records and header_too_narrow(records):
        # Title or note lines above the header ("Customer export 2024"): start at the header.
        found = find_header_after_preamble(sample, truncated, hinted)
        if found is not None:
            offset, delimiter, records = found
            skipped += line_breaks(text[:offset])
            text = text[offset:]
    if not records:
        raise UnreadableFile(
            "The file has no header and no rows. Export the table again and share the new file."
        )
    _check_width(records, limits)
    header = records[0]
    width = max(len(record) for record in records)
    names = clean_headers(header) + [f"{EXTRA}{i}" for i in range(width - len(header))]

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
            raise too_many_columns(fields, limits, about=True)
        raise TooManyColumns(
            f"The first line of the file is about {megabytes(end)} long, more than a header line "
            f"can be ({MAX_LINE_CHARS // 1024} KB at most). Check that the file has one row per "
            "line (export it again as CSV), or keep only the columns you need, then try again."
        )


def _check_width(records: list[list[str]], limits: Limits) -> None:
    """Refuse a header (or a sampled record) wider than the limit."""
    width = max(len(record) for record in records)
    if width > limits.max_columns:
        raise too_many_columns(width, limits, about=False)


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
            f"{DELIMITER_NAMES[delimiter]} or a missing quote, or export the file again as CSV."
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
            f"columns. Check that line for a stray {DELIMITER_NAMES[delimiter]} or a missing "
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
            if is_integer_dtype(table[column].dtype) and not column.startswith(EXTRA)
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
