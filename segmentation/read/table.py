"""Bytes or a path in, a clean table out: the one entry point of reading.

Reads what marketing people actually export: CSV/TSV with any of the usual delimiters and
encodings, Excel ``.xlsx`` (first sheet), and numbers written the way people write them
(``€15,000``, ``1.234,56``, ``12%``, ``(30.00)``). Everything a person can get wrong becomes an
:class:`~segmentation.errors.UnreadableFile`, :class:`~segmentation.errors.FileTooLarge` or
:class:`~segmentation.errors.TooManyRows` carrying one plain sentence; cell values are never
quoted back, because they may be personal data. The work is split by concern: :mod:`.sniff`
(what the bytes are, encoding, delimiter, title lines), :mod:`.text` (delimited text),
:mod:`.excel` (workbooks), :mod:`.numbers` (numbers as people write them).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from pandas.api.types import is_float_dtype, is_object_dtype, is_string_dtype

from segmentation.errors import TooManyRows, UnreadableFile
from segmentation.read.excel import read_xlsx
from segmentation.read.limits import too_many_columns
from segmentation.read.numbers import currency_symbol, finite, parse_number_column
from segmentation.read.sniff import decode, is_xlsx, read_source, reject_non_tables
from segmentation.read.text import EXTRA, read_delimited
from segmentation.result import Limits

__all__ = ["load_table", "tidy_table", "tidy_column", "read_parquet_bytes", "PARQUET_MAGIC"]

_DEFAULT_LIMITS = Limits()
PARQUET_MAGIC = b"PAR1"


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
    data, name = read_source(source, filename, limits)
    if data[:4] == PARQUET_MAGIC or (name or "").lower().endswith(".parquet"):
        return tidy_table(read_parquet_bytes(data, name, limits), decimal_comma=False)
    if is_xlsx(data, name):
        table = read_xlsx(data, limits)
        return tidy_table(table, decimal_comma=False)
    text = decode(data)
    del data  # the text is all we need from here on; let a large buffer go
    reject_non_tables(text)
    table, delimiter = read_delimited(text, limits)
    return tidy_table(table, decimal_comma=delimiter == ";")


def read_parquet_bytes(data: bytes, name: str | None, limits: Limits) -> pd.DataFrame:
    """A Parquet file's table, refusing one that is not Parquet or past the limits."""
    if data[:4] != PARQUET_MAGIC:
        raise UnreadableFile(
            f"'{name or 'The file'}' is named .parquet but is not a Parquet file (it does not "
            "start with PAR1). Export it again as Parquet or as CSV."
        )
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(pa.BufferReader(data))
        rows, columns = handle.metadata.num_rows, handle.metadata.num_columns
        if columns > limits.max_columns:
            raise too_many_columns(columns, limits, about=False)
        if rows > limits.max_rows:
            raise TooManyRows(
                f"The file has {rows:,} rows, more than the limit of {limits.max_rows:,}. Keep "
                "only the rows you need, then try again."
            )
        return handle.read().to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableFile(
            f"'{name or 'The file'}' looks like Parquet but I couldn't read it (it may be cut "
            "short). Export it again and share the new file."
        ) from exc


def tidy_column(table: pd.DataFrame, column: object, *, decimal_comma: bool) -> None:
    """One column as :func:`tidy_table` leaves it (in place): numbers from text (their currency
    kept in ``attrs``), text stripped with blanks missing, non-finite floats missing."""
    values = table[column]
    if is_string_dtype(values.dtype) or is_object_dtype(values.dtype):
        # Numbers first: they ignore surrounding blanks, so only text pays for stripping.
        numbers = parse_number_column(values, decimal_comma=decimal_comma)
        if numbers is not None:
            symbol = currency_symbol(values)
            if symbol:
                # The number keeps no symbol; texts about money ("$340 refunded") need it.
                table.attrs.setdefault("currency", {})[str(column)] = symbol
            table[column] = numbers
        else:
            stripped = values.astype("str").str.strip()
            table[column] = stripped.mask(stripped == "")
    elif is_float_dtype(values.dtype):
        table[column] = finite(values)


def tidy_table(table: pd.DataFrame, *, decimal_comma: bool) -> pd.DataFrame:
    """Numbers from text, stripped text, extra fields checked, blank rows/columns dropped."""
    for column in table.columns:
        tidy_column(table, column, decimal_comma=decimal_comma)

    extras = [column for column in table.columns if str(column).startswith(EXTRA)]
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
