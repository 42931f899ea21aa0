"""Random and mutated files through segmentation.run: a result or a sentence, nothing else.

A bounded number of examples keeps this in the suite's budget; bench/fuzz_campaign.py runs
the same mutations for minutes.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation.result import Options, SegmentationResult
from tests.fuzzing import FUZZ_LIMITS, MUTATIONS, SEEDS, check_run, mutate, options_from

_STEPS = st.lists(
    st.tuples(st.sampled_from(sorted(MUTATIONS)), st.integers(0, 2**32 - 1)),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=40,
    deadline=None,  # a loaded 2-core machine; hangs are the campaign's and the CLI tests' job
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.sampled_from(sorted(SEEDS)), _STEPS, st.integers(0, 2**32 - 1))
def test_mutated_files_end_in_a_result_or_a_sentence(
    seed: str, steps: list[tuple[str, int]], option_number: int
) -> None:
    data, filename = mutate(seed, steps)
    check_run(data, filename, options_from(option_number))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000), st.sampled_from(["data.csv", "data.tsv", "data.xlsx"]))
def test_random_bytes_end_in_a_result_or_a_sentence(data: bytes, filename: str) -> None:
    check_run(data, filename, Options(limits=FUZZ_LIMITS))


def test_every_seed_gives_a_result_unmutated() -> None:
    for seed, (data, filename) in SEEDS.items():
        outcome = check_run(data, filename, Options(limits=FUZZ_LIMITS))
        assert isinstance(outcome, SegmentationResult), (seed, outcome)
