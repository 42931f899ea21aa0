"""Large files (Parquet, big CSV) read by DuckDB where they lie, streaming, never whole.

The columns' roles are found as for any file, on the first rows read the way the pandas path
reads them; the per-customer work is :func:`segmentation.read.summary.summarise_orders`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from segmentation.errors import UnreadableFile
from segmentation.read.summary import ColumnKind, quote
from segmentation.read.table import PARQUET_MAGIC, tidy_table

if TYPE_CHECKING:
    import duckdb

__all__ = ["FileSource", "open_file", "is_parquet", "SAMPLE_ROWS", "duckdb_kind"]

# Enough rows to recognise the columns as the pandas path does on a whole file.
SAMPLE_ROWS = 50_000


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with Parquet's magic bytes."""
    with open(path, "rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def duckdb_kind(type_name: str) -> ColumnKind:
    """The kind of a DuckDB column type, as the summary reads it."""
    t = type_name.upper()
    if t in {"VARCHAR", "TEXT", "STRING"} or t.startswith("VARCHAR"):
        return "text"
    if t == "BOOLEAN":
        return "bool"
    if t in {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}:
        return "time_utc"
    if t.startswith("TIMESTAMP"):
        return "time"
    if t == "DATE":
        return "date"
    if t.startswith("DECIMAL") or t in {
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL",
    }:  # fmt: skip
        return "number"
    return "other"


@dataclass
class FileSource:
    """A file DuckDB reads: ``relation`` names a view (Parquet) or a table of the log's
    columns copied once (CSV, so that it is parsed once)."""

    con: duckdb.DuckDBPyConnection
    relation: str
    kinds: dict[str, ColumnKind]
    raw_sample: pd.DataFrame
    sample: pd.DataFrame
    decimal_comma: bool
    rows: int | None
    dialect: str = "duckdb"
    max_distinct: int = 5_000_000
    csv: str | None = None
    _lookups: dict[str, pd.DataFrame] = field(default_factory=dict)

    def query(self, sql: str, *, large: bool = False) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def lookup(self, name: str, table: pd.DataFrame) -> str:
        self._lookups[name] = table
        self.con.register(f"lookup_{name}", table)
        return f"lookup_{name} AS {name}"

    def keep_columns(self, columns: list[str]) -> None:
        """Parse a CSV once: copy the columns the summary reads into a DuckDB table."""
        if self.csv is None:
            return
        listed = ", ".join(quote(c) for c in columns)
        self.con.execute(f"CREATE TEMP TABLE log_rows AS SELECT {listed} FROM {self.relation}")
        self.relation = "log_rows"

    def whole(self, max_rows: int) -> pd.DataFrame:
        """The whole file as a DataFrame (for a table that is not an order log)."""
        return self.con.execute(f"SELECT * FROM {self.relation} LIMIT {max_rows + 1}").df()


def open_file(con: duckdb.DuckDBPyConnection, path: str, name: str) -> FileSource:
    """The file at ``path`` (Parquet by its magic bytes, else delimited text) in ``con``."""
    literal = "'" + path.replace("'", "''") + "'"
    import duckdb

    try:
        if is_parquet(path):
            relation = f"read_parquet({literal})"
            rows = int(con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0])
            decimal_comma, csv = False, None
        else:
            if name.lower().endswith(".parquet"):
                raise UnreadableFile(
                    f"'{name}' is named .parquet but is not a Parquet file (it does not start "
                    "with PAR1). Export it again as Parquet or as CSV."
                )
            sniff = con.execute(f"SELECT Delimiter FROM sniff_csv({literal})").fetchone()
            delimiter = sniff[0] if sniff else ","
            relation = (
                f"read_csv({literal}, all_varchar = true, header = true, "
                f"delim = '{delimiter}', strict_mode = false)"
            )
            rows, decimal_comma, csv = None, delimiter == ";", path
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        raw = con.execute(f"SELECT * FROM {relation} LIMIT {SAMPLE_ROWS}").df()
    except duckdb.Error as exc:
        raise UnreadableFile(
            f"I couldn't read '{name}' as a table ({_first_line(exc)}). Export it again as "
            "Parquet or CSV and share the new file."
        ) from exc
    kinds = {str(c[0]): duckdb_kind(str(c[1])) for c in described}
    sample = tidy_table(raw.copy(), decimal_comma=decimal_comma) if len(raw) else raw
    if csv is None:
        sample.attrs.update(_pandas_attrs(path))
    return FileSource(con, relation, kinds, raw, sample, decimal_comma, rows, csv=csv)


def _pandas_attrs(path: str) -> dict[str, object]:
    """What pandas saved beside a table it wrote (the currency of its money columns)."""
    import json

    import pyarrow.parquet as pq

    try:
        saved = (pq.read_schema(path).metadata or {}).get(b"PANDAS_ATTRS")
        attrs = json.loads(saved) if saved else {}
    except (OSError, ValueError):
        return {}
    return attrs if isinstance(attrs, dict) else {}


def _first_line(exc: Exception) -> str:
    """DuckDB's complaint without its paths and hints (the first line, at most 120 chars)."""
    return str(exc).strip().splitlines()[0][:120].rstrip(".")
