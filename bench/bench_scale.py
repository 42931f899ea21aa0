"""Large order logs summarised where they lie (issue 20): time and peak memory of `segment`
in a new process per case, against today's path where there is one.

Cases (data generated into a temporary folder, never committed):
- a 50M-line Parquet log with 1M customers (target 45 s, 4 GB);
- a 20M-line CSV log (target 60 s, 4 GB);
- a 5M-line CSV log, today's path (pandas, read whole) against DuckDB (target: no slower than
  today, 9 s and 1 GB);
- CDNOW, today's path (CSV) against DuckDB on Parquet (no slower);
- a million-customer table (read whole as today);
- with --postgres, a 20M-row PostgreSQL table (target 120 s, segbot's peak 1.5 GB).

Peak memory is the largest resident set of the `segment` process tree (RUSAGE_CHILDREN of a
fresh wrapper per case). The big cases run one after another.

Run: python bench/bench_scale.py [--postgres] [--skip-big] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
CDNOW = REPO.parent / "shared" / "data" / "cdnow_orders.csv"
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "took = time.perf_counter() - t\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "sys.stderr.write(done.stderr)\n"
    "print(done.returncode, took, peak)\n"
)


def orders_sql(lines: int, customers: int, *, typed: bool) -> str:
    """An order log: ~2.5 lines per order, one customer per order, dates over three years,
    2% cancelled, 1% refunds (negative amounts); typed (Parquet) or as text (CSV)."""
    date = "DATE '2022-01-01' + CAST(hash(o * 7) % 1095 AS INTEGER)"
    return f"""
SELECT o AS order_id, CAST(hash(o * 13) % {customers} AS BIGINT) + 100000 AS customer_id,
  {date if typed else f"strftime({date}, '%Y-%m-%d')"} AS order_date,
  CASE WHEN hash(i) % 100 = 0 THEN -round(5 + hash(i * 3) % 4000 / 100.0, 2)
       ELSE round(5 + hash(i * 3) % 20000 / 100.0, 2) END AS amount,
  CASE WHEN hash(o * 5) % 50 = 0 THEN 'cancelled' ELSE 'paid' END AS status
FROM (SELECT i, i * 2 // 5 AS o FROM range({lines}) AS t(i))"""


def write_log(path: Path, lines: int, customers: int) -> float:
    """Write the log with DuckDB (Parquet or CSV by the suffix); seconds taken."""
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    typed = path.suffix == ".parquet"
    fmt = "(FORMAT parquet)" if typed else "(FORMAT csv, HEADER)"
    con.execute(f"COPY ({orders_sql(lines, customers, typed=typed)}) TO '{path}' {fmt}")
    con.close()
    return time.perf_counter() - start


def segment(*args: str) -> tuple[float, float, dict]:
    """`segment ARGS --json` in a new process: seconds, peak MB, the JSON answer."""
    command = [sys.executable, "-m", "segmentation.cli", *args, "--json", "--timeout", "1800"]
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True, cwd=REPO
    )
    code, took, peak = done.stdout.split()
    if code != "0":
        raise SystemExit(f"segment {' '.join(args)} failed: {done.stderr.strip()}")
    return float(took), float(peak), {}


def report(name: str, took: float, peak: float, target: str, baseline: tuple | None = None) -> None:
    line = f"{name:<44} {took:7.1f} s  {peak / 1024:5.2f} GB   target {target}"
    if baseline is not None:
        line += f"   vs today {baseline[0]:.1f} s / {baseline[1] / 1024:.2f} GB"
        line += f" (x{took / baseline[0]:.2f} time, x{peak / baseline[1]:.2f} memory)"
    print(line, flush=True)


def postgres_case(folder: Path, csv: Path, lines: int) -> None:
    """Load the 20M-line CSV into a PostgreSQL started here, then segment the table."""
    sys.path.insert(0, str(REPO))
    import psycopg

    from tests.bot.postgres_server import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        start = time.perf_counter()
        url = f"postgresql://postgres@127.0.0.1:{server.port}/segbot"
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(
                "CREATE UNLOGGED TABLE orders (order_id bigint, customer_id bigint, "
                "order_date date, amount numeric(12,2), status text)"
            )
            with db.cursor().copy("COPY orders FROM STDIN (FORMAT csv, HEADER)") as copy:
                with open(csv, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        copy.write(chunk)
            db.execute("ANALYZE orders")
        print(f"(PostgreSQL: {lines:,} rows loaded in {time.perf_counter() - start:.0f} s)")
        took, peak, _ = segment(url, "--table", "orders")
        report(f"PostgreSQL table, {lines:,} rows", took, peak, "120 s, segbot 1.5 GB")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="also the 20M-row table")
    parser.add_argument("--skip-big", action="store_true", help="only the 5M, CDNOW, 1M cases")
    parser.add_argument("--keep", help="generate into this folder and keep the files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="segbot-bench-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'case':<44} {'time':>9}  {'peak':>8}")

        if CDNOW.exists():
            parquet = folder / "cdnow.parquet"
            duckdb.connect().execute(
                f"COPY (SELECT * FROM read_csv('{CDNOW}')) TO '{parquet}' (FORMAT parquet)"
            )
            today = segment(str(CDNOW))[:2]
            took, peak, _ = segment(str(parquet), "--max-rows", "1000")
            report("CDNOW, DuckDB on Parquet", took, peak, "no slower", today)

        customers = folder / "customers.csv"
        sys.path.insert(0, str(REPO))
        from segmentation import generate_customers

        generate_customers(1_000_000).to_csv(customers, index=False)
        took, peak, _ = segment(str(customers))
        report("1M-customer table (read whole, as today)", took, peak, "no slower than today")

        small = folder / "orders_5m.csv"
        write_log(small, 5_000_000, 200_000)
        today = segment(str(small))[:2]
        report("5M-line CSV, today's path (pandas)", *today, "9 s, 1 GB")
        took, peak, _ = segment(str(small), "--max-rows", "1000")
        report("5M-line CSV, DuckDB", took, peak, "no slower than today", today)
        if args.skip_big:
            return

        big_csv = folder / "orders_20m.csv"
        print(f"(20M-line CSV written in {write_log(big_csv, 20_000_000, 1_000_000):.0f} s)")
        took, peak, _ = segment(str(big_csv))
        report("20M-line CSV, DuckDB", took, peak, "60 s, 4 GB")

        big = folder / "orders_50m.parquet"
        print(f"(50M-line Parquet written in {write_log(big, 50_000_000, 1_000_000):.0f} s)")
        took, peak, _ = segment(str(big))
        report("50M-line Parquet, 1M customers, DuckDB", took, peak, "45 s, 4 GB")

        if args.postgres:
            postgres_case(folder, big_csv, 20_000_000)


if __name__ == "__main__":
    main()
