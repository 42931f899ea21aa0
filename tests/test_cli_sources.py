"""``segment`` on Parquet files and database tables, and every bad source refused with one
sentence (exit 2) that never shows a password."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from segmentation import SegmentationError, generate_customers, segment_location
from segmentation.read.database import redact
from segmentation.read.table import load_table
from segmentation.result import Limits, Options
from tests.bot.postgres_server import PostgresServer, postgres_bin
from tests.bot.redis_server import free_port
from tests.order_logs import order_logs

SECRET = "s3cr3t-pw"


def segment(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segmentation.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    """The refusal: exit 2, one line on stderr, no traceback, no password."""
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert SECRET not in done.stderr + done.stdout
    return lines[0]


@pytest.fixture(scope="module")
def shop_log() -> pd.DataFrame:
    log = next(log for log in order_logs() if log.name == "shopify_700-iso-$")
    return load_table(log.csv, filename="orders.csv")


@pytest.fixture(scope="module")
def shop_parquet(shop_log: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parquet") / "orders.parquet"
    shop_log.to_parquet(path)
    return path


@pytest.fixture(scope="module")
def postgres(shop_log: pd.DataFrame) -> Iterator[PostgresServer]:
    if postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs it)")
    from sqlalchemy import create_engine

    server = PostgresServer()
    server.start()
    engine = create_engine(server.url.replace("postgres://", "postgresql+psycopg://"))
    shop_log.to_sql("orders", engine, index=False)
    generate_customers(300).to_sql("customers", engine, index=False)
    engine.dispose()
    yield server
    server.stop()


def with_password(server: PostgresServer) -> str:
    """The server's URL with a password in it (the test server trusts loopback anyway)."""
    return f"postgresql://postgres:{SECRET}@127.0.0.1:{server.port}/segbot"


def test_a_parquet_order_log_gives_the_csv_answer(shop_parquet: Path, tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    pd.read_parquet(shop_parquet).to_csv(csv, index=False)
    from_csv = json.loads(segment(str(csv), "--json").stdout)
    whole = segment(str(shop_parquet), "--json")
    assert whole.returncode == 0, whole.stderr
    # Past --max-rows the file is summarised by DuckDB instead of read whole.
    lying = segment(str(shop_parquet), "--json", "--max-rows", "1000")
    assert lying.returncode == 0, lying.stderr
    for done in (json.loads(whole.stdout), json.loads(lying.stdout)):
        assert done["headline"] == from_csv["headline"]
        assert [s["size"] for s in done["segments"]] == [s["size"] for s in from_csv["segments"]]


def test_a_database_table_is_segmented_and_the_password_never_shown(
    postgres: PostgresServer, shop_parquet: Path
) -> None:
    done = segment(with_password(postgres), "--table", "orders", "--json")
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    answer = json.loads(done.stdout)
    expected = json.loads(segment(str(shop_parquet), "--json").stdout)
    assert answer["headline"] == expected["headline"]
    assert answer["source"] == f"postgresql://postgres:***@127.0.0.1:{postgres.port}/segbot"
    query = segment(
        with_password(postgres),
        "--query",
        "SELECT * FROM orders WHERE \"Created at\" < '2025-07-01'",
        "--json",
    )
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)["headline"] == expected["headline"]


def test_a_customer_table_in_a_database_is_read_whole(postgres: PostgresServer) -> None:
    done = segment(with_password(postgres), "--table", "customers", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["mode"] == "customers" and answer["rows"] == 300
    line = one_sentence(
        segment(with_password(postgres), "--table", "customers", "--max-rows", "100")
    )
    assert "not an order log" in line and "100 rows" in line


def test_a_database_that_refuses_is_one_sentence() -> None:
    url = f"postgresql://postgres:{SECRET}@127.0.0.1:{free_port()}/segbot"
    line = one_sentence(segment(url, "--table", "orders"))
    assert "couldn't connect to the database at postgresql://postgres:***@127.0.0.1" in line


def test_a_sqlite_table_is_refused_with_what_to_do_instead(tmp_path: Path) -> None:
    # Tried: its SQL cannot run the summary ("near '(': syntax error" was all a user got).
    import sqlite3

    with sqlite3.connect(tmp_path / "shop.db") as con:
        con.execute("CREATE TABLE orders (customer_id INTEGER, order_date TEXT, amount REAL)")
    line = one_sentence(segment(f"sqlite:///{tmp_path / 'shop.db'}", "--table", "orders"))
    assert "export the table to CSV or Parquet" in line


def test_a_missing_table_is_named(postgres: PostgresServer) -> None:
    line = one_sentence(segment(with_password(postgres), "--table", "ordres"))
    assert "There is no table 'ordres'" in line


@pytest.mark.parametrize(
    "query",
    ["DELETE FROM orders", "SELECT 1; DROP TABLE orders", "UPDATE orders SET x = 1"],
)
def test_a_query_that_is_not_one_select_is_refused(postgres: PostgresServer, query: str) -> None:
    line = one_sentence(segment(with_password(postgres), "--query", query))
    assert "one SELECT" in line or "must only read" in line
    assert (
        segment_location(with_password(postgres), Options(), table="orders").rows > 0
    )  # nothing was deleted


def test_a_column_of_the_wrong_type_is_named(postgres: PostgresServer) -> None:
    query = 'SELECT "Customer ID", true AS "Order date", "Total" FROM orders'
    line = one_sentence(segment(with_password(postgres), "--query", query, "--mode", "rfm"))
    assert "a date column" in line and "Order date" in line


def test_a_query_the_database_rejects_is_one_sentence(postgres: PostgresServer) -> None:
    line = one_sentence(segment(with_password(postgres), "--query", "SELECT nope FROM orders"))
    assert "refused the request" in line and "nope" in line


def test_a_parquet_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "orders.parquet"
    fake.write_text("customer,date,amount\n1,2024-01-01,5\n")
    line = one_sentence(segment(str(fake)))
    assert "orders.parquet' is named .parquet but is not a Parquet file" in line
    with pytest.raises(SegmentationError, match="not a Parquet file"):
        segment_location(str(fake), Options(limits=Limits(max_bytes=10, max_rows=1)))


def test_a_parquet_cut_short_is_refused(shop_parquet: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(shop_parquet.read_bytes()[:5000])
    line = one_sentence(segment(str(cut)))
    assert "looks like Parquet but I couldn't read it" in line


def test_every_limit_refuses_before_the_work(shop_parquet: Path, postgres: PostgresServer) -> None:
    line = one_sentence(segment(str(shop_parquet), "--max-rows", "100", "--max-order-rows", "10"))
    assert "more than the limit of 10" in line and "order log" in line
    line = one_sentence(
        segment(with_password(postgres), "--table", "orders", "--max-order-rows", "5")
    )
    assert "more than the limit of 5" in line
    with pytest.raises(SegmentationError, match="limit of"):
        segment_location(str(shop_parquet), Options(limits=Limits(max_source_bytes=1000)))


def test_redact_hides_any_password() -> None:
    assert redact(f"x postgresql+psycopg://u:{SECRET}@h:5432/db y") == (
        "x postgresql+psycopg://u:***@h:5432/db y"
    )


def test_a_file_url_is_a_location_too(shop_parquet: Path) -> None:
    whole = segment_location(str(shop_parquet))
    lying = segment_location(f"file://{shop_parquet}", Options(limits=Limits(max_rows=100)))
    assert lying.headline == whole.headline and lying.source_name == "orders.parquet"
    # Summarised where it lies, the customer table carries the key but no contact columns.
    assert list(lying.table.columns)[0] == list(whole.table.columns)[0]
    with pytest.raises(SegmentationError, match="for database URLs"):
        segment_location(str(shop_parquet), table="orders")
