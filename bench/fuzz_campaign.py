"""A longer fuzz campaign: mutated real-looking files through segmentation.run, for minutes.

    python bench/fuzz_campaign.py --minutes 5            # or --count 2000
    python bench/fuzz_campaign.py --minutes 5 --save failures/

Each input runs in a child process with a time limit (segmentation.deadline), so a hang or a
crash of the interpreter is a finding too, not the end of the campaign. Prints how many inputs
were tried, how they ended (a result, or which kind of sentence), and every failure: an
exception that is not a SegmentationError, a broken result, a warning that would reach the
person's terminal, or an input past the time limit.
Failing inputs are written to --save (if given) to become regression tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segmentation.deadline import call_with_time_limit, warm_up  # noqa: E402
from segmentation.errors import SegmentationError, TookTooLong  # noqa: E402
from tests.fuzzing import MUTATIONS, SEEDS, check_run, mutate, options_from  # noqa: E402

# Library deprecations are for us, not for the person; the suite turns them into errors anyway.
_QUIET = (DeprecationWarning, PendingDeprecationWarning, ResourceWarning)


def one_input(seed: str, steps: list[tuple[str, int]], option_number: int) -> str:
    """Runs in the child: ``"result"`` or the sentence's kind; failures raise."""
    from segmentation.output.export import export_csv
    from segmentation.output.render import render_scatter

    data, filename = mutate(seed, steps)
    with warnings.catch_warnings(record=True) as caught:
        # A warning reaches the person's terminal (or the bot's log) as a stray line: a finding.
        warnings.simplefilter("always")
        outcome = check_run(data, filename, options_from(option_number))
        if not isinstance(outcome, SegmentationError):
            # A result must also draw and export, as the CLI and the bot do with it.
            assert render_scatter(outcome).startswith(b"\x89PNG")
            assert export_csv(outcome)
    shown = [w for w in caught if not issubclass(w.category, _QUIET)]
    if shown:
        first = shown[0]
        raise AssertionError(f"warning {first.category.__name__}: {first.message}")
    return outcome.kind if isinstance(outcome, SegmentationError) else "result"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="stop after this long")
    parser.add_argument("--count", type=int, default=None, help="stop after this many inputs")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the campaign")
    parser.add_argument("--timeout", type=float, default=20.0, help="limit per input, seconds")
    parser.add_argument("--save", type=Path, default=None, help="folder for failing inputs")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    warm_up()
    seeds, mutations = sorted(SEEDS), sorted(MUTATIONS)
    outcomes: Counter[str] = Counter()
    tried_mutations: Counter[str] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    stop_at = started + 60 * args.minutes
    tried = 0
    while time.monotonic() < stop_at and (args.count is None or tried < args.count):
        seed = rng.choice(seeds)
        steps = [(rng.choice(mutations), rng.getrandbits(32)) for _ in range(rng.randint(1, 3))]
        option_number = rng.getrandbits(32)
        tried += 1
        tried_mutations.update(name for name, _ in steps)
        try:
            outcome = call_with_time_limit(
                one_input, seed, steps, option_number, seconds=args.timeout
            )
        except Exception as exc:  # a finding: anything but a result or a sentence
            kind = "took too long" if isinstance(exc, TookTooLong) else type(exc).__name__
            outcome = f"FAIL {kind}"
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            failures.append(f"{seed} {steps} options#{option_number}: {outcome}: {detail}")
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                data, filename = mutate(seed, steps)
                (args.save / f"{tried:05d}-{filename}").write_bytes(data)
        outcomes[outcome] += 1
        if tried % 100 == 0:
            print(f"  {tried} inputs, {len(failures)} failing, {time.monotonic() - started:.0f} s")

    elapsed = time.monotonic() - started
    print(f"Inputs tried: {tried} in {elapsed:.0f} s ({tried / elapsed:.1f} per second)")
    print("Seeds:", ", ".join(seeds))
    print("Mutations applied:", ", ".join(f"{k} {v}" for k, v in sorted(tried_mutations.items())))
    print("Outcomes:", ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    print(f"Failures: {len(failures)}")
    for line in failures:
        print("  " + line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
