"""Excel workbooks (``.xlsx``, first sheet): the archive checked before it is unpacked, the
header row found below any title rows, cells typed as Excel shows them.
"""

from __future__ import annotations

import io
import warnings
import zipfile

import numpy as np
import pandas as pd

from segmentation.errors import FileTooLarge, TooManyRows, UnreadableFile
from segmentation.read.headers import clean_headers
from segmentation.read.limits import megabytes, too_many_columns
from segmentation.read.sniff import (
    EXPORT_HINT,
    PREAMBLE_LINES,
    SNIFF_RECORDS,
    consistent,
    has_number_column,
    is_preamble,
    looks_like_header,
)
from segmentation.result import Limits

# An .xlsx is compressed; refuse workbooks that unpack to far more than the byte limit
# (a "zip bomb" would otherwise exhaust memory long before the row limit is seen).
_XLSX_UNPACK_FACTOR = 20
# Blank rows we tolerate above a sheet's header when capping how many rows to read.
_XLSX_SPARE_ROWS = 100


def read_xlsx(data: bytes, limits: Limits) -> pd.DataFrame:
    """The first sheet of a workbook; header = its first non-blank row."""
    _check_workbook_archive(data, limits)
    declared, declared_columns = _declared_sheet_size(data)
    # The declared size counts blank rows too, so only refuse early when clearly over.
    if declared is not None and declared - 1 > limits.max_rows + _XLSX_SPARE_ROWS:
        raise _too_many_sheet_rows(declared - 1, limits, exact=False)
    if declared_columns is not None and declared_columns > limits.max_columns + _XLSX_SPARE_ROWS:
        raise too_many_columns(declared_columns, limits, about=True)
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
        raise too_many_columns(used_columns, limits, about=False)
    header_row = _sheet_header_row(raw, filled)
    body = raw.iloc[header_row + 1 :]
    rows = int(body.notna().any(axis=1).sum())
    if rows > limits.max_rows:
        complete = declared is not None and len(raw) >= declared
        raise _too_many_sheet_rows(rows, limits, exact=complete)
    columns = {position: _excel_column(body[column]) for position, column in enumerate(raw.columns)}
    table = pd.DataFrame(columns)
    table.columns = clean_headers(list(raw.iloc[header_row]))
    return table.reset_index(drop=True)


def _sheet_header_row(raw: pd.DataFrame, filled: np.ndarray) -> int:
    """The header's row: the first filled one, unless title rows stand above it.

    Same rule as for text: a later row (within the first few filled ones) is the header when
    it looks like one, has a column of numbers below it, and every filled row above it is
    narrower and mostly empty (a title in A1, a "Generated on" note).
    """
    positions = np.flatnonzero(filled)[: PREAMBLE_LINES + SNIFF_RECORDS]
    rows = [_sheet_fields(raw.iloc[position].tolist()) for position in positions]
    for index in range(1, min(len(rows), PREAMBLE_LINES)):
        header = rows[index]
        width = len(header)
        below = rows[index + 1 : index + 1 + SNIFF_RECORDS]
        if (
            width >= 2
            and len(below) >= 2
            and looks_like_header(header)
            and all(is_preamble(fields, width) for fields in rows[:index])
            # A row may end early (blank cells at its end), but not run past the header.
            and consistent([max(len(fields), width) for fields in below], width)
            and has_number_column(header, below)
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
            "This zip file is encrypted or uses a compression I can't read. " + EXPORT_HINT
        ) from exc
    if "xl/workbook.xml" not in names:
        if b"opendocument.spreadsheet" in mimetype:
            sentence = "This is an OpenDocument spreadsheet (.ods), which I can't read."
            raise UnreadableFile(sentence + " Save it as .xlsx or CSV and share that.")
        if any(name.startswith("Index/") and name.endswith(".iwa") for name in names):
            sentence = "This is an Apple Numbers file, which I can't read."
            raise UnreadableFile(sentence + " Export it to Excel or CSV and share that.")
        if "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise UnreadableFile("This is a Word or PowerPoint file, not a table. " + EXPORT_HINT)
        raise UnreadableFile(
            "This is a zip archive, not a spreadsheet. Unpack it and share the CSV or .xlsx inside."
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > _XLSX_UNPACK_FACTOR * limits.max_bytes:
        raise FileTooLarge(
            f"The workbook unpacks to {megabytes(unpacked)}, far more than the limit of "
            f"{megabytes(limits.max_bytes)}. Export only the rows and columns you need as "
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
