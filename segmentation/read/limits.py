"""The sentences for a file past the limits (bytes, columns), shared by text and workbooks."""

from __future__ import annotations

from segmentation.errors import FileTooLarge, TooManyColumns
from segmentation.result import Limits


def too_large(size: int, limits: Limits) -> FileTooLarge:
    """The error for a file of ``size`` bytes over ``limits.max_bytes``."""
    return FileTooLarge(
        f"The file is {megabytes(size)}, more than the limit of {megabytes(limits.max_bytes)}. "
        "Remove columns or rows you don't need (or split it), then try again."
    )


def megabytes(size: int) -> str:
    """A byte count as people read it: ``12 MB``, ``0.5 MB``."""
    mb = size / (1024 * 1024)
    if mb >= 10:
        return f"{mb:,.0f} MB"
    if mb >= 0.1:
        return f"{mb:.1f} MB"
    return f"{mb:.4f} MB"


def too_many_columns(columns: int, limits: Limits, *, about: bool) -> TooManyColumns:
    """The error for ``columns`` over ``limits.max_columns`` (``about``: an upper bound)."""
    return TooManyColumns(
        f"The file has {'about ' if about else ''}{columns:,} columns, more than the limit of "
        f"{limits.max_columns:,}. Keep only the columns you need (for example the spending and "
        "order columns) and export those as CSV, then try again."
    )
