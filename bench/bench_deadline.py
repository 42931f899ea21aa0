"""What the time limit costs per job: Mall Customers in-process against call_with_time_limit.

    python bench/bench_deadline.py [--repeat 7]

Prints the start of the fork server (once per process; warm_up() pays it at worker start), the
bare round trip of a trivial call, and the median time of a whole segmentation of Mall
Customers in this process (the baseline) and in a forked child, with the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segmentation.deadline import call_with_time_limit, warm_up  # noqa: E402
from segmentation.pipeline import run  # noqa: E402

MALL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mall_customers.csv"


def _median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not MALL.is_file():
        print(f"{MALL} is not available", file=sys.stderr)
        return 2
    data = MALL.read_bytes()

    started = time.perf_counter()
    warm_up()
    call_with_time_limit(divmod, 7, 2, seconds=120)  # waits for the preloaded imports
    cold = time.perf_counter() - started
    bare = _median(lambda: call_with_time_limit(divmod, 7, 2, seconds=60), args.repeat)

    run(data, filename="Mall_Customers.csv")  # warm this process too
    inside = _median(lambda: run(data, filename="Mall_Customers.csv"), args.repeat)
    child = _median(
        lambda: call_with_time_limit(run, data, filename="Mall_Customers.csv", seconds=60),
        args.repeat,
    )
    print(f"fork server start (once per process, preload imports): {cold:.2f} s")
    print(f"bare round trip (fork, pickle, pipe, reap), median: {1000 * bare:.0f} ms")
    print(f"Mall Customers in this process (baseline), median: {1000 * inside:.0f} ms")
    print(f"Mall Customers via call_with_time_limit, median: {1000 * child:.0f} ms")
    print(f"overhead per call: {1000 * (child - inside):.0f} ms ({child / inside:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
