"""Order logs to RFM segments: the real CDNOW file and five million generated order rows.

Each part runs end to end (load the CSV, recognise the order log, aggregate per customer, fit,
describe, render the picture, export) and prints its stages. The per-customer aggregation is
also timed against two baselines run in the same process on the same rows: the pandas
groupby-apply a notebook would write, and a plain Python loop over the orders. Peak memory is
the process's high-water mark (ru_maxrss), printed after each part.

Targets on this 2-core machine: CDNOW in at most 3 s, five million rows in at most 30 s.

Run: python bench/bench_rfm.py [--rows N] [--emails] [--contacts] [--skip-cdnow]
     python bench/bench_rfm.py --prediction-cost [--repeats N]

``--prediction-cost`` times CDNOW end to end with purchase predictions (the default) against
the same run without them (``horizon_days=0``), alternating in this process, and prints the
ratio of the medians (target: at most 1.5).

``--contacts`` adds first name, last name and phone columns, which the per-customer table
carries (each customer's latest value): their cost shows in the aggregation stage.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.model.rfm.segments import segment_orders
from segmentation.output.export import export_csv
from segmentation.output.render import render_scatter
from segmentation.read.orders import OrderColumns, build_customer_table, detect_order_log
from segmentation.read.table import load_table
from segmentation.result import Limits, Options

CDNOW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdnow_orders.csv"
BASELINE_ROWS = 200_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def timed(stages: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    stages[name] = time.perf_counter() - start


def end_to_end(path: Path) -> tuple[dict[str, float], pd.DataFrame, OrderColumns]:
    """The core's path on one file, stage by stage (the same calls `segment FILE` makes)."""
    stages: dict[str, float] = {}
    with timed(stages, "load"):
        table = load_table(path, filename=path.name, limits=Limits(max_bytes=400 * 2**20))
    with timed(stages, "detect"):
        cols = detect_order_log(table)
    assert cols is not None, "the order log was not recognised"
    with timed(stages, "aggregate (alone, for reference)"):
        build_customer_table(table, cols)
    with timed(stages, "aggregate + fit + describe"):
        result = segment_orders(table, cols, Options(), path.name)
    with timed(stages, "render"):
        render_scatter(result)
    with timed(stages, "export"):
        export_csv(result)
    print(f"  {result.headline}")
    for seg in result.segments:
        print(f"    {seg.id}: {seg.name:<28} {seg.size:>9,} customers")
    return stages, table, cols


def prediction_cost(path: Path, repeats: int) -> None:
    """End to end (load to export) with and without purchase predictions, alternating."""
    seconds: dict[float, list[float]] = {365.0: [], 0.0: []}
    for _ in range(repeats):
        for horizon in seconds:
            start = time.perf_counter()
            table = load_table(path, filename=path.name)
            cols = detect_order_log(table)
            assert cols is not None, "the order log was not recognised"
            result = segment_orders(table, cols, Options(horizon_days=horizon), path.name)
            render_scatter(result)
            export_csv(result)
            seconds[horizon].append(time.perf_counter() - start)
            assert (result.prediction is not None) == (horizon > 0)
    with_p, without = (float(np.median(seconds[h])) for h in (365.0, 0.0))
    ratio = with_p / without
    print(f"Purchase predictions on {path.name}, median of {repeats} runs each:")
    print(f"  without (horizon 0)   {without:7.2f} s")
    print(f"  with (horizon 365)    {with_p:7.2f} s")
    verdict = "OK" if ratio <= 1.5 else "OVER"
    print(f"  ratio                 {ratio:7.2f}x (target at most 1.5x) — {verdict}")


def report(title: str, stages: dict[str, float], target: float) -> None:
    total = sum(v for k, v in stages.items() if "for reference" not in k)
    verdict = "OK" if total <= target else "OVER"
    print(f"{title}: {total:.2f} s end to end (target {target:.0f} s) — {verdict}")
    for name, seconds in stages.items():
        print(f"  {name:<34} {seconds:7.2f} s")
    print(f"  peak memory so far                 {peak_mb():7.0f} MB")


def baseline_groupby_apply(df: pd.DataFrame, cols: OrderColumns) -> pd.DataFrame:
    """What a notebook writes: parse dates with dateutil, then one Python call per customer."""
    dates = pd.to_datetime(df[cols.date], format="mixed")
    ref = dates.max()
    frame = pd.DataFrame({"c": df[cols.customer], "d": dates, "a": df[cols.amount]})

    def per_customer(g: pd.DataFrame) -> pd.Series:
        return pd.Series(
            {
                "recency_days": (ref - g["d"].max()).days,
                "frequency": len(g),
                "monetary": g["a"].sum(),
            }
        )

    return frame.groupby("c")[["d", "a"]].apply(per_customer)


def baseline_loop(df: pd.DataFrame, cols: OrderColumns) -> dict[object, list[float]]:
    """A plain Python loop over the orders, as in a hand-written script."""
    from datetime import date

    out: dict[object, list[float]] = {}
    parsed = [date.fromisoformat(str(d)[:10]) for d in df[cols.date]]
    ref = max(parsed)
    for cust, day, amount in zip(df[cols.customer], parsed, df[cols.amount], strict=True):
        entry = out.setdefault(cust, [10**9, 0, 0.0])
        entry[0] = min(entry[0], (ref - day).days)
        entry[1] += 1
        entry[2] += amount
    return out


def compare_aggregation(df: pd.DataFrame, cols: OrderColumns, label: str) -> None:
    subset = df.iloc[:BASELINE_ROWS]
    times: dict[str, float] = {}
    with timed(times, "ours"):
        ours = build_customer_table(subset, cols)
    with timed(times, "groupby-apply"):
        apply_result = baseline_groupby_apply(subset, cols)
    with timed(times, "python loop"):
        loop_result = baseline_loop(subset, cols)
    # The baselines must agree with us, or the ratio means nothing.
    assert len(apply_result) == len(loop_result) == ours.customers_count
    assert int(apply_result["frequency"].sum()) == ours.orders_used
    print(f"Aggregation per customer, {len(subset):,} rows of {label}:")
    print(f"  ours            {times['ours']:7.3f} s")
    for name in ("groupby-apply", "python loop"):
        ratio = times[name] / times["ours"]
        print(f"  {name:<15} {times[name]:7.3f} s   ours is {ratio:6.1f}x faster")


def generate_orders(
    path: Path, rows: int, emails: bool, seed: int = 0, contacts: bool = False
) -> None:
    """A shop's export: ~rows/10 customers with skewed order counts over two years."""
    rng = np.random.default_rng(seed)
    customers = max(rows // 10, 10)
    # A few heavy buyers, many light ones: customer popularity follows a Pareto law.
    weight = rng.pareto(1.5, customers) + 0.05
    cust = rng.choice(customers, size=rows, p=weight / weight.sum())
    day = rng.integers(0, 730, rows)
    dates = (np.datetime64("2023-01-01") + day.astype("timedelta64[D]")).astype(str)
    amount = np.round(rng.lognormal(3.3, 0.8, rows), 2)
    key = np.char.add(np.char.add("shopper", cust.astype(str)), "@example.com") if emails else cust
    frame = pd.DataFrame(
        {"customer_email" if emails else "customer_id": key, "order_date": dates, "amount": amount}
    )
    if contacts:
        first = np.array(["Anna", "Lukas", "Marie", "Jonas", "Sofia", "Felix", "Emma", "Paul"])
        frame["first_name"] = first[cust % len(first)]
        frame["last_name"] = np.char.add("Name", (cust % 997).astype(str))
        # Some orders leave the phone out, so older orders must be looked at for it.
        phone = np.char.add("+49 30 ", (5_000_000 + cust).astype(str)).astype(object)
        frame["phone"] = np.where(rng.random(rows) < 0.2, "", phone)
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--emails", action="store_true", help="e-mail keys instead of ids")
    parser.add_argument("--contacts", action="store_true", help="add name and phone columns")
    parser.add_argument("--skip-cdnow", action="store_true")
    parser.add_argument(
        "--prediction-cost", action="store_true", help="CDNOW with and without predictions only"
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.prediction_cost:
        prediction_cost(CDNOW, args.repeats)
        return

    if not args.skip_cdnow and CDNOW.exists():
        stages, table, cols = end_to_end(CDNOW)
        report("CDNOW (69,659 orders)", stages, target=3.0)
        compare_aggregation(table, cols, "CDNOW")
        print()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        start = time.perf_counter()
        generate_orders(path, args.rows, args.emails, contacts=args.contacts)
        size = path.stat().st_size / 2**20
        took = time.perf_counter() - start
        print(f"Generated {args.rows:,} order rows ({size:.0f} MB) in {took:.1f} s")
        stages, table, cols = end_to_end(path)
        report(f"{args.rows:,} generated order rows", stages, target=30.0)
        compare_aggregation(table, cols, "the generated log")


if __name__ == "__main__":
    main()
