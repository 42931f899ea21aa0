"""Order logs and customer tables in a database, named by URL: the per-customer work runs in
the database, in a read-only transaction with a statement timeout, so segbot's memory stays
flat as the table grows.

``postgresql://user:password@host/db`` (psycopg) is what was tried; any SQLAlchemy URL whose
driver is installed is attempted. The password never appears in a sentence: every message
goes through :func:`redact`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
)

from segmentation.errors import InvalidOption, SegmentationError, TookTooLong, UnreadableFile
from segmentation.read.summary import ColumnKind, quote
from segmentation.read.table import tidy_table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["DatabaseSource", "open_database", "redact", "is_database_url", "SAMPLE_ROWS"]

SAMPLE_ROWS = 50_000
_SECRET = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):[^@\s]*@")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# The sqlglot dialect of each URL scheme (the part before "+driver").
_DIALECTS = {
    "postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql",
    "sqlite": "sqlite", "mssql": "tsql", "oracle": "oracle", "snowflake": "snowflake",
    "bigquery": "bigquery", "redshift": "redshift", "trino": "trino", "duckdb": "duckdb",
}  # fmt: skip


def redact(text: str) -> str:
    """``text`` with any ``scheme://user:password@`` written ``scheme://user:***@``."""
    return _SECRET.sub(r"\1:***@", text)


def is_database_url(location: str) -> bool:
    """Whether ``location`` is a database URL (not a file path or file URL)."""
    return bool(_URL.match(location)) and not location.lower().startswith("file:")


class _Refused(SegmentationError):
    """The database refused a statement or the connection."""


@dataclass
class DatabaseSource:
    """A table or a SELECT in a database, asked questions in its own dialect."""

    conn: Connection
    relation: str
    dialect: str
    kinds: dict[str, ColumnKind]
    raw_sample: pd.DataFrame
    sample: pd.DataFrame
    shown_url: str
    decimal_comma: bool = False
    max_distinct: int = 50_000
    _lookups: dict[str, str] = field(default_factory=dict)

    def query(self, sql: str, *, large: bool = False) -> pd.DataFrame:
        for name, values in self._lookups.items():
            sql = sql.replace(f"lookup_{name} AS {name}", values)
        try:
            if large and self.dialect == "postgres":
                return self._copied(sql)
            result = self.conn.exec_driver_sql(sql)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except SegmentationError:
            raise
        except Exception as exc:  # driver errors differ per database; each is one sentence
            raise _sentence(exc, self.shown_url) from None

    def _copied(self, sql: str) -> pd.DataFrame:
        """A large result through COPY ... TO STDOUT as CSV, parsed by pandas: a million rows
        as Python tuples would take gigabytes; as CSV text they take about a hundred MB."""
        import io

        driver = self.conn.connection.driver_connection
        if not hasattr(driver, "cursor") or not hasattr(driver.cursor(), "copy"):
            result = self.conn.exec_driver_sql(sql)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        buffer = io.BytesIO()
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        buffer.seek(0)
        # Empty fields are NULLs; no key is ever empty (blank keys are missing customers).
        return pd.read_csv(
            buffer, keep_default_na=False, na_values=[""], dtype={"shown": "str"},
            parse_dates=["t0", "t1", "t2"],
        )  # fmt: skip

    def lookup(self, name: str, table: pd.DataFrame) -> str:
        rows = ", ".join(
            f"({_literal(raw)}, {_literal(v)})"
            for raw, v in zip(table["raw"], table["v"], strict=True)
        )
        if not rows:
            rows = "(CAST(NULL AS TEXT), NULL)"
        self._lookups[name] = f"(VALUES {rows}) AS {name}(raw, v)"
        return f"lookup_{name} AS {name}"

    def whole(self, max_rows: int) -> pd.DataFrame:
        """The whole table as a DataFrame (a customer table, not an order log)."""
        return self.query(f"SELECT * FROM {self.relation} AS src LIMIT {max_rows + 1}")

    def count(self) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {self.relation} AS src")["n"].iloc[0])


def _literal(value: Any) -> str:
    """A value as an SQL literal (text, number, timestamp, boolean or NULL)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value))
    if isinstance(value, pd.Timestamp | dt.datetime):
        return f"CAST('{pd.Timestamp(value):%Y-%m-%d %H:%M:%S.%f}' AS TIMESTAMP)"
    if hasattr(value, "item"):  # numpy scalars
        return _literal(value.item())
    return "'" + str(value).replace("'", "''") + "'"


def _kind(series: pd.Series) -> ColumnKind:
    if is_bool_dtype(series):
        return "bool"
    if is_datetime64_any_dtype(series):
        return "time_utc" if getattr(series.dt, "tz", None) is not None else "time"
    if is_numeric_dtype(series):
        return "number"
    values = series.dropna()
    if len(values) and all(isinstance(v, dt.date) for v in values.iloc[:100]):
        return "time" if isinstance(values.iloc[0], dt.datetime) else "date"
    return "text"


def _sentence(exc: BaseException, shown_url: str) -> SegmentationError:
    """One sentence for a database's complaint, without the password."""
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = redact(message[0] if message else type(exc).__name__)[:200].rstrip(".")
    if "statement timeout" in first or "canceling statement" in first:
        return TookTooLong(
            f"The database at {shown_url} took longer than the time allowed; ask for fewer "
            "rows (a --query with a WHERE) or a longer --timeout."
        )
    return _Refused(f"The database at {shown_url} refused the request: {first}.")


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return redact(url)


def check_select(query: str, dialect: str) -> None:
    """Refuse anything but one SELECT (a query may only read)."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    except sqlglot.errors.ParseError:
        raise InvalidOption(
            "The --query is not SQL I can read; give one SELECT statement."
        ) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise InvalidOption(
            "The --query must be one SELECT statement (it may only read), for example "
            "SELECT * FROM orders WHERE ordered_at >= '2024-01-01'."
        )
    if any(
        isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Merge | exp.Create | exp.Drop)
        for node in statements[0].walk()
    ):
        raise InvalidOption("The --query must only read: no INSERT, UPDATE, DELETE or CREATE.")


@contextmanager
def open_database(
    url: str, *, table: str | None = None, query: str | None = None, timeout_s: float = 60.0
) -> Iterator[DatabaseSource]:
    """A read-only session on the table or query at ``url``, closed afterwards.

    Raises
    ------
    InvalidOption
        Neither or both of ``table`` and ``query``, a query that is not one SELECT, a driver
        that is not installed.
    SegmentationError
        The database refused the connection or the statement, or the table is missing.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = _shown(url)
    if (table is None) == (query is None):
        raise InvalidOption('Name the rows to read: --table NAME or --query "SELECT ...".')
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidOption(f"'{redact(url)}' is not a database URL I can read.") from None
    scheme = parsed.drivername.split("+")[0]
    if scheme == "sqlite":
        # Tried: SQLite's SQL has no column names for a VALUES list and no ordered aggregates,
        # which the one summary needs; its tables are small enough to export.
        raise InvalidOption(
            "I can't summarise SQLite tables: export the table to CSV or Parquet and segment that "
            "file instead."
        )
    dialect = _DIALECTS.get(scheme, "postgres")
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if query is not None:
        check_select(query, dialect)
    try:
        engine = create_engine(parsed, pool_pre_ping=False, poolclass=_null_pool())
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise InvalidOption(
            f"I have no driver for {scheme} databases here ({redact(str(exc))[:120]}); install "
            "it (for example pip install psycopg for PostgreSQL)."
        ) from None
    try:
        try:
            conn = engine.connect()
        except Exception as exc:
            raise _Refused(
                f"I couldn't connect to the database at {shown}: "
                f"{_sentence(exc, shown).args[0].split(': ', 1)[-1]}"
            ) from None
        with conn:
            conn.begin()
            if dialect == "postgres":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
            relation = _relation(conn, table, query, shown)
            source = DatabaseSource(
                conn, relation, dialect, {}, pd.DataFrame(), pd.DataFrame(), shown
            )
            raw = source.query(f"SELECT * FROM {relation} AS src LIMIT {SAMPLE_ROWS}")
            source.kinds = {str(c): _kind(raw[c]) for c in raw.columns}
            source.raw_sample = raw
            source.sample = tidy_table(raw.copy(), decimal_comma=False) if len(raw) else raw
            if raw.empty:
                raise UnreadableFile(f"The {_what(table, query)} at {shown} has no rows.")
            yield source
    finally:
        engine.dispose()


def _what(table: str | None, query: str | None) -> str:
    return f"table '{table}'" if table is not None else "query"


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _relation(conn: Connection, table: str | None, query: str | None, shown: str) -> str:
    """The FROM item: the quoted table (which must exist) or the parenthesised query."""
    if query is not None:
        return f"({query.strip().rstrip(';')})"
    from sqlalchemy import inspect

    assert table is not None
    schema, _, name = table.rpartition(".")
    if not inspect(conn).has_table(name, schema=schema or None):
        raise UnreadableFile(
            f"There is no table '{table}' in the database at {shown}. Check the name (and the "
            "schema, as in sales.orders)."
        )
    return ".".join(quote(part) for part in table.split("."))
