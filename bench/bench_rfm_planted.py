"""Planted order logs through the whole core: where each planted group lands, and how fast.

For every scenario of :data:`segmentation.samples.SCENARIOS` (and a few seeds), the CSV bytes go
through ``segmentation.run`` as a user's upload would; the table prints each planted group's
largest share in one segment, that segment's name, and whether the name fits the group. A group
is recovered when that share is at least 80% under a fitting name, in a segment no other kind of
group dominates.

Run: python bench/bench_rfm_planted.py [--seeds N]
"""

from __future__ import annotations

import argparse
import time

from segmentation.pipeline import run
from segmentation.result import Options
from segmentation.samples import SCENARIOS, planted_order_log, where_groups_land


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    recovered = total = 0
    for name, spec in SCENARIOS.items():
        for seed in range(args.seeds):
            log = planted_order_log(spec, seed=seed)
            data = log.orders.to_csv(index=False).encode()
            start = time.perf_counter()
            result = run(data, Options(), filename=f"{name}.csv")
            took = time.perf_counter() - start
            sizes = ", ".join(f"{s.name} {s.size}" for s in result.segments)
            print(
                f"{name} seed {seed} ({spec.one_time_share:.0%} one-time, {spec.date_style}, "
                f"{spec.currency}): k={result.k} in {took:.2f} s; {sizes}"
            )
            landings = where_groups_land(result.table, log.truth)
            for landing in landings.values():
                # Two kinds of group in one segment hide one of them, except kinds the
                # vocabulary names alike: long-gone occasional buyers (lost, hibernating) and
                # stopped regulars (at risk, can't lose them).
                shared = [
                    other.group
                    for other in landings.values()
                    if other.segment == landing.segment
                    and other.group != landing.group
                    and {other.group, landing.group}
                    not in ({"lost", "hibernating"}, {"at_risk", "cant_lose"})
                ]
                ok = landing.share >= 0.8 and landing.fits and not shared
                recovered += ok
                total += 1
                print(
                    f"    {landing.group:<12} {landing.share:6.0%} in {landing.name!r:<22}"
                    f" fits={'yes' if landing.fits else 'NO '}"
                    f"{'  shared with ' + ', '.join(shared) if shared else ''}"
                    f"{'' if ok else '   <- not recovered'}"
                )
    print(f"Recovered {recovered} of {total} planted groups.")


if __name__ == "__main__":
    main()
