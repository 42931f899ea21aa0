"""The per-customer table computed where the log lies (DuckDB on Parquet and CSV, a real
PostgreSQL on a table) equals the pandas path's on every order log the tests use."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation.model.clv import summarise_transactions
from segmentation.read.database import open_database
from segmentation.read.engine import duckdb_session
from segmentation.read.files import open_file
from segmentation.read.orders import CustomerTable, build_customer_table, find_order_columns
from segmentation.read.summary import TableSource, source_order_columns, summarise_orders
from segmentation.read.table import load_table
from tests.bot.postgres_server import PostgresServer, postgres_bin
from tests.order_logs import OrderLog, order_logs

LOGS = order_logs()
_SCALARS = (
    "orders", "orders_used", "customers_count", "refunds", "cancelled", "rows_dropped",
    "line_items", "partly_refunded", "orders_after", "currency", "warnings", "first_date",
    "last_date", "as_of", "has_amount", "key_column",
)  # fmt: skip


def _as_of(log: OrderLog) -> pd.Timestamp | None:
    return pd.Timestamp(log.as_of) if log.as_of else None


def assert_same_summary(old: CustomerTable, new: CustomerTable, *, currency: bool = True) -> None:
    """The tables agree on every customer and every count a user sees (and on the currency,
    unless the amounts were stored as bare numbers)."""
    key = old.key_column
    a = old.customers.drop(columns=list(old.contact_columns))
    a = a.sort_values(key, kind="stable").reset_index(drop=True)
    b = new.customers.sort_values(key, kind="stable").reset_index(drop=True)
    # Money is rounded to cents after summing; another order of addition may move a cent.
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, atol=0.011)
    for field in _SCALARS:
        if field in ("currency", "warnings") and not currency:
            continue
        assert getattr(new, field) == getattr(old, field), field
    assert new.refunds_total == pytest.approx(old.refunds_total, abs=0.011)
    assert new.sold_total == pytest.approx(old.sold_total, rel=1e-9, abs=1e-6)
    # What the purchase predictions are fitted on.
    assert old.purchases is not None and new.transactions is not None
    spend = old.purchases["spend"] if "spend" in old.purchases else None
    before = summarise_transactions(
        old.purchases["customer"], old.purchases["date"], spend, as_of=old.as_of
    )
    before.index = old.customers[key].to_numpy()[before.index]
    after = new.transactions.set_axis(new.customers[key].to_numpy())
    pd.testing.assert_frame_equal(
        before.sort_index(), after.sort_index(), check_names=False, check_exact=False, atol=1e-9
    )


def _pandas(table: pd.DataFrame, log: OrderLog) -> CustomerTable:
    return build_customer_table(table, find_order_columns(table), _as_of(log))


def _where_it_lies(source: TableSource, log: OrderLog, expected: CustomerTable) -> CustomerTable:
    cols = source_order_columns(source, "rfm")
    assert cols is not None
    assert cols.customer == expected.key_column.removesuffix(" (customer)")
    return summarise_orders(source, cols, _as_of(log))


@pytest.mark.parametrize("log", LOGS, ids=[log.name for log in LOGS])
def test_duckdb_on_csv_gives_the_pandas_table(log: OrderLog, tmp_path: Path) -> None:
    old = _pandas(load_table(log.csv, filename="orders.csv"), log)
    path = tmp_path / "orders.csv"
    path.write_bytes(log.csv)
    with duckdb_session() as con:
        new = _where_it_lies(open_file(con, str(path), path.name), log, old)
    assert_same_summary(old, new)


@pytest.mark.parametrize("log", LOGS, ids=[log.name for log in LOGS])
def test_duckdb_on_parquet_gives_the_pandas_table(log: OrderLog, tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    load_table(log.csv, filename="orders.csv").to_parquet(path)
    old = _pandas(load_table(path), log)
    with duckdb_session() as con:
        new = _where_it_lies(open_file(con, str(path), path.name), log, old)
    assert_same_summary(old, new)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs it)")
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


def _table_name(log: OrderLog) -> str:
    return "log_" + re.sub(r"[^a-z0-9]+", "_", log.name.lower()).strip("_")


@pytest.mark.parametrize("stored", ["as_written", "typed"])
@pytest.mark.parametrize("log", LOGS, ids=[log.name for log in LOGS])
def test_postgresql_gives_the_pandas_table(
    log: OrderLog, stored: str, postgres: PostgresServer
) -> None:
    """As written: every column text, read by segbot's rules through look-ups in the query.
    Typed: numbers as double precision (their currency symbols gone), dates still as text."""
    from sqlalchemy import create_engine

    table = load_table(log.csv, filename="orders.csv")
    old = _pandas(table, log)
    if stored == "as_written":
        table = pd.read_csv(io.BytesIO(log.csv), dtype=str, keep_default_na=False)
    name = f"{_table_name(log)}_{stored}"
    engine = create_engine(postgres.url.replace("postgres://", "postgresql+psycopg://"))
    table.to_sql(name, engine, index=False, if_exists="replace", chunksize=20_000)
    engine.dispose()
    with open_database(postgres.url, table=name) as source:
        new = _where_it_lies(source, log, old)
    assert_same_summary(old, new, currency=stored == "as_written" or old.currency is None)


def test_parquet_bytes_are_read_like_the_csv() -> None:
    log = next(log for log in LOGS if log.name.startswith("shopify-"))
    table = load_table(log.csv, filename="orders.csv")
    buffer = io.BytesIO()
    table.to_parquet(buffer)
    again = load_table(buffer.getvalue(), filename="orders.parquet")
    pd.testing.assert_frame_equal(table, again, check_dtype=False)
    assert np.array_equal(table.columns, again.columns)
