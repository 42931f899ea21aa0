"""The labelled rows as a CSV that is safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

from segmentation.result import SegmentationResult

__all__ = ["export_csv", "neutralise_formulas"]

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells can't start a spreadsheet formula."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        text = series.astype("string")
        risky = text.str.contains(_FORMULA_START, regex=True, na=False)
        if risky.any():
            out[col] = text.where(~risky, "'" + text)
    renamed = {
        c: "'" + str(c) for c in out.columns if str(c)[:1] in {"=", "+", "-", "@", "\t", "\r"}
    }
    return out.rename(columns=renamed)


def export_csv(result: SegmentationResult) -> bytes:
    """The rows with ``segment`` and ``segment_name`` added, as UTF-8 CSV bytes with a BOM.

    The BOM makes Excel read accents and currency symbols correctly; personal data is already
    absent from ``result.table``.
    """
    safe = neutralise_formulas(result.table)
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
