"""Which path a source takes: a file today's reader accepts is read whole by pandas; a larger
file (Parquet or CSV) is summarised by DuckDB where it lies; a database URL by its database.
Every limit refuses with one sentence before the heavy work."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from segmentation.errors import FileTooLarge, TooManyRows, UnreadableFile
from segmentation.read.database import is_database_url
from segmentation.read.files import is_parquet
from segmentation.read.limits import megabytes
from segmentation.result import Limits

__all__ = ["file_path", "reads_whole", "check_order_rows", "is_database_url", "estimate_rows"]

# A Parquet file with up to this many rows is read whole, like a CSV: the contact columns
# then come back in the labelled file.
WHOLE_PARQUET_ROWS = 1_000_000
_PROBE_BYTES = 1024 * 1024


def file_path(location: str) -> str:
    """The path of a file location (a path, or a ``file://`` URL)."""
    if location.lower().startswith("file:"):
        return unquote(urlparse(location).path)
    return location


def reads_whole(path: str, limits: Limits) -> bool:
    """Whether today's pandas reader takes the file (size and rows within its limits)."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise UnreadableFile(
            f"I can't find the file '{os.path.basename(path)}'. Check the name and the folder."
        ) from None
    except OSError as exc:
        raise UnreadableFile(
            f"I couldn't read '{os.path.basename(path)}' ({exc.strerror})."
        ) from None
    if os.path.isdir(path):
        raise UnreadableFile(f"'{os.path.basename(path)}' is a folder, not a file.")
    if size > limits.max_source_bytes:
        raise FileTooLarge(
            f"The file is {megabytes(size)}, more than the limit of "
            f"{megabytes(limits.max_source_bytes)} for order logs read where they lie. Keep the "
            "rows or columns you need, or put the orders in a database and give its URL."
        )
    if size == 0:
        return True
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except Exception:
            return True  # the reader says what is wrong with it
        return rows <= min(WHOLE_PARQUET_ROWS, limits.max_rows)
    if path.lower().endswith((".xlsx", ".xlsm")):
        return True
    return size <= limits.max_bytes and estimate_rows(path, size) <= limits.max_rows


def estimate_rows(path: str, size: int) -> int:
    """About how many lines a text file has, from its first megabyte."""
    with open(path, "rb") as handle:
        head = handle.read(_PROBE_BYTES)
    lines = head.count(b"\n")
    if len(head) >= size or lines == 0:
        return max(lines, 1)
    return int(size / (len(head) / lines))


def check_order_rows(rows: int, limits: Limits, *, about: bool) -> None:
    """Refuse a log of more order rows than ``limits.max_order_rows``."""
    if rows > limits.max_order_rows:
        raise TooManyRows(
            f"The order log has {'about ' if about else ''}{rows:,} rows, more than the limit "
            f"of {limits.max_order_rows:,}. Keep the period you need (for example a --query "
            "with a WHERE on the date), then try again."
        )
