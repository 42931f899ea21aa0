"""The embedded DuckDB that summarises large files where they lie: memory-capped, threaded,
spilling to a temporary folder instead of failing when a grouping outgrows memory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["duckdb_session", "MEMORY_LIMIT"]

# DuckDB's share of the 4 GB the largest file may take; pandas needs the rest for the
# per-customer table, the segments and the pictures.
MEMORY_LIMIT = os.environ.get("SEGBOT_DUCKDB_MEMORY", "2500MB")


@contextmanager
def duckdb_session(
    threads: int | None = None, memory_limit: str = MEMORY_LIMIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with a memory cap, all cores and a spill folder that is
    removed with it.

    Insertion order is not kept: the summary sorts what it returns, and not keeping order lets
    scans and groupings run in parallel with less memory.
    """
    import duckdb

    with tempfile.TemporaryDirectory(prefix="segbot-duckdb-") as spill:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
            con.execute("SET preserve_insertion_order = false")
            con.execute(f"SET temp_directory = '{spill}'")
            yield con
        finally:
            con.close()
