"""Throughput of the durable queue with 1 and 2 worker processes, and ack latency while busy.

Real processes, as in production: ``python -m bot --no-worker`` (the listener) and
``python -m bot worker`` with SEGBOT_WORKERS=1, then =2, on the embedded SQLite queue, against
the test suite's fake Slack server (in this process, over loopback HTTP).

For each worker count: warm the workers up (one drop each), then drop 40 Mall-sized files
(both of Slack's events per file) as fast as Slack would deliver them, and time from the first
drop to the last complete answer. Printed: files per second for each, the ratio 2/1 (at most
the number of cores), and the p50/p99 of the event acks sent while the workers were busy.

Run: python bench/bench_queue.py [--files 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bot.queue import SqliteLedger  # noqa: E402
from segmentation import demo_csv  # noqa: E402
from tests.bot.harness import MALL_CUSTOMERS, BotProcess  # noqa: E402
from tests.bot.slack_server import FakeSlack, wait_until  # noqa: E402


def _mall_bytes() -> bytes:
    if MALL_CUSTOMERS.is_file():
        return MALL_CUSTOMERS.read_bytes()
    print(f"({MALL_CUSTOMERS} not found: using the built-in demo sample instead)")
    return demo_csv()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_once(workers: int, files: int, data: bytes) -> tuple[float, list[float], dict[str, float]]:
    """Files per second with ``workers`` worker processes, the busy acks, and stage medians."""
    with tempfile.TemporaryDirectory(prefix="segbot-bench-") as folder, FakeSlack() as slack:
        env = {"SEGBOT_DATA_DIR": str(Path(folder) / "data"), "SEGBOT_WORKERS": str(workers)}
        env["SEGBOT_QUEUE_MAX"] = "1000"
        listener = BotProcess(slack, ["--no-worker"], Path(folder) / "listener.log", **env)
        pool = BotProcess(slack, ["worker"], Path(folder) / "worker.log", **env)
        try:
            ledger = SqliteLedger(Path(folder) / "data" / "queue.db", 30, 1000)

            def complete() -> int:
                return len([c for c in slack.calls("files.completeUploadExternal")])

            # Warm-up: every worker process has loaded the core before the clock starts.
            for i in range(workers):
                warm = slack.add_file(f"warm-{i}.csv", data, channel="C0WARM")
                listener.event(slack.file_share_message_event(warm))
            wait_until(lambda: complete() >= workers or None, 120, "warm-up answers")
            wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")

            acks: list[float] = []
            start = time.monotonic()
            for i in range(files):
                file = slack.add_file(f"shop-{i}.csv", data, channel="C0MKT")
                acks.append(listener.event(slack.file_shared_event(file)).seconds)
                acks.append(listener.event(slack.file_share_message_event(file)).seconds)
            wait_until(lambda: complete() >= workers + files or None, 600, "all answers")
            elapsed = time.monotonic() - start
            busy_acks = acks[2 * workers :]  # from the moment every worker has a job
            stages = _stages(pool.log())
        finally:
            listener.close()
            pool.close()
    return files / elapsed, busy_acks, stages


def _stages(log: str) -> dict[str, float]:
    """Median seconds per stage from the workers' "Answered ..." log lines."""
    found: dict[str, list[float]] = {}
    for line in log.splitlines():
        if "Answered F" in line and ": download" in line:
            for part in line.split(": ", 2)[-1].split(", "):
                name, seconds = part.rsplit(" ", 1)
                found.setdefault(name, []).append(float(seconds.rstrip("s")))
    return {name: statistics.median(values) for name, values in found.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=40, help="files dropped per run (40)")
    args = parser.parse_args()
    data = _mall_bytes()
    print(f"{args.files} drops of a {len(data):,}-byte file; {os.cpu_count()} CPU cores")
    results = {}
    for workers in (1, 2):
        rate, acks, stages = run_once(workers, args.files, data)
        results[workers] = rate
        print(f"\n{workers} worker process(es): {rate:.2f} files/s")
        print(
            f"  event acks while busy ({len(acks)}): p50 {_percentile(acks, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(acks, 0.99) * 1000:.0f} ms, worst {max(acks) * 1000:.0f} ms"
        )
        print("  per job (median): " + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
    print(f"\nthroughput ratio 2 workers / 1 worker: x{results[2] / results[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
