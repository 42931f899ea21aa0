"""How fast a new ``segment`` process answers, against a bare ``python -c pass``.

Every command runs in a new process several times; the median is printed with its ratio to the
bare interpreter measured in the same run, so the ratios mean something on any machine. The load
average is printed too: the absolute targets (``--help`` within 0.3 s, CDNOW ``--json`` within
2 s) are for an idle machine.

Run: python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CDNOW = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow_orders.csv"


def segment_command() -> list[str]:
    """The installed ``segment`` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("segment")
    if script.is_file():
        return [str(script)]
    found = shutil.which("segment")
    return [found] if found else [sys.executable, "-m", "segmentation.cli"]


def median_seconds(command: list[str], runs: int, cwd: str) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the new processes."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, cwd=cwd)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr!r}")
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    segment = segment_command()
    cases: list[tuple[str, list[str], float | None]] = [
        ("python -c pass", [sys.executable, "-c", "pass"], None),
        ("segment --help", [*segment, "--help"], 0.3),
        ("segment demo --json", [*segment, "demo", "--json"], None),
    ]
    if CDNOW.is_file():
        cases.append(("segment cdnow_orders.csv --json", [*segment, str(CDNOW), "--json"], 2.0))
    else:
        print(f"({CDNOW} is absent: the CDNOW case is left out)")

    load = os.getloadavg()[0]
    print(
        f"{args.runs} new processes each, median wall and CPU (user + system) time; load average "
        f"{load:.2f} on {os.cpu_count()} cores. On a busy machine the CPU time is the better "
        "guess of the wall time on an idle one (the work is single-threaded)."
    )
    # An empty folder as the working directory, so a file called 'demo' never gets in the way.
    with tempfile.TemporaryDirectory() as cwd:
        bare: float | None = None
        for name, command, target in cases:
            wall, cpu = median_seconds(command, args.runs, cwd)
            bare = bare or wall
            verdict = ""
            if target is not None:
                verdict = f"  target <= {target:.1f} s: {'met' if wall <= target else 'MISSED'}"
            print(
                f"  {name:<32} {wall:6.3f} s wall {wall / bare:6.1f}x bare python, "
                f"{cpu:6.3f} s CPU{verdict}"
            )


if __name__ == "__main__":
    main()
