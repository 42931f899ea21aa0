"""How far each segment can be trusted: clusterboot on real, planted and structureless data."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pandas as pd
import pytest

from bot.slack.blocks.replies import render_answer
from segmentation import Options, format_report, run
from segmentation.model.clustering import refit_labels
from segmentation.model.stability import segment_stability, stability_warning, stability_words
from tests.support import shared_file


def blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = np.repeat(np.arange(3), [60, 40, 20])
    return centres[labels] + rng.normal(0, 1, (120, 2)), labels


def noise_table(seed: int) -> pd.DataFrame:
    """Customers spread uniformly over five scores: no groups at all."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(0, 100, (300, 5)), columns=[f"Score {c}" for c in "ABCDE"])


def test_clear_groups_are_found_again_in_every_resample() -> None:
    X, labels = blobs()
    stability = segment_stability(X, labels, partial(refit_labels, k=3, seed=0), seed=5)
    assert stability == pytest.approx([1.0, 1.0, 1.0])


def test_same_seed_same_answer_and_other_seeds_differ_only_a_little() -> None:
    X = np.random.default_rng(3).uniform(size=(150, 3))
    labels = refit_labels(X, k=4, seed=1)
    refit = partial(refit_labels, k=4, seed=1)
    first = segment_stability(X, labels, refit, seed=11)
    assert segment_stability(X, labels, refit, seed=11) == first
    other = segment_stability(X, labels, refit, seed=12)
    assert other != first
    assert np.abs(np.array(other) - np.array(first)).max() < 0.2


def test_big_inputs_are_measured_on_a_sample_of_max_rows() -> None:
    X, labels = blobs()
    seen: list[int] = []

    def refit(M: np.ndarray) -> np.ndarray:
        seen.append(len(M))
        return refit_labels(M, k=3, seed=0)

    stability = segment_stability(X, labels, refit, resamples=31, max_rows=50)
    assert seen == [50] * 31
    assert all(s is not None and s > 0.9 for s in stability)


def test_a_merged_segment_scores_low() -> None:
    # Two real groups, but the refit can only ever see one: neither original half is found.
    X, labels = blobs()
    halves = (X[:, 0] > 5).astype(int)
    stability = segment_stability(X, halves, lambda M: np.zeros(len(M), dtype=int))
    # The big half overlaps the single refit segment by 80/120; the small one by 40/120.
    assert stability[0] == pytest.approx(80 / 120, abs=0.05)
    assert stability[1] == pytest.approx(40 / 120, abs=0.05)


def test_bad_shapes_are_refused_with_the_values() -> None:
    X, labels = blobs()
    with pytest.raises(ValueError, match=r"\(120, 2\).*\(119,\)"):
        segment_stability(X, labels[:-1], partial(refit_labels, k=3))
    with pytest.raises(ValueError, match="resamples=0"):
        segment_stability(X, labels, partial(refit_labels, k=3), resamples=0)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0.97, "very stable (0.97)"),
        (0.85, "very stable (0.85)"),
        (0.80, "stable (0.80)"),
        (0.75, "stable (0.75)"),
        (0.70, "shaky: the pattern is real but who belongs to it is uncertain (0.70)"),
        (0.59, "not to be trusted (0.59)"),
        (None, ""),
    ],
)
def test_stability_in_words(value: float | None, words: str) -> None:
    assert stability_words(value) == words


def test_warning_names_the_untrusted_segments_and_what_to_do() -> None:
    assert stability_warning([("A", 0.9), ("B", 0.61), ("C", None)]) is None
    one = stability_warning([("A", 0.9), ("B", 0.41)])
    assert one is not None and one.startswith("The segment 'B' (0.41) is not to be trusted")
    assert "fewer segments" in one
    many = stability_warning([(str(i), 0.3 + i / 100) for i in range(6)])
    assert many is not None and many.startswith("All 6 segments (the least stable: '0', 0.30)")
    most = stability_warning([(str(i), 0.2 + i / 10) for i in range(8)])
    assert most is not None and most.startswith("4 of the 8 segments")


def test_mall_customers_all_five_segments_are_stable() -> None:
    result = run(shared_file("mall_customers.csv"))
    assert [s.size for s in result.segments] == [81, 39, 35, 23, 22]
    stabilities = [s.stability for s in result.segments]
    assert all(s is not None and s >= 0.75 for s in stabilities), stabilities
    assert not any("not to be trusted" in w for w in result.warnings)
    report = format_report(result)
    for seg in result.segments:
        assert f"Stability: {stability_words(seg.stability)}." in report
    data = json.loads(json.dumps(result.to_dict()))
    assert [s["stability"] for s in data["segments"]] == [round(s, 4) for s in stabilities]


@pytest.mark.parametrize("seed", [0, 1])
def test_structureless_noise_is_called_untrustworthy(seed: int) -> None:
    result = run(noise_table(seed), Options(), filename="noise.csv")
    stabilities = [s.stability for s in result.segments]
    assert all(s is not None and 0.0 <= s <= 1.0 for s in stabilities)
    assert min(stabilities) < 0.6, stabilities
    warning = next(w for w in result.warnings if "not to be trusted" in w)
    assert "fewer segments" in warning
    assert "not to be trusted" in format_report(result)
    # Slack says it too, per segment and in the warnings.
    blocks = json.dumps(render_answer(result).blocks)
    assert "Stability: not to be trusted" in blocks
    assert "fewer segments" in blocks


def test_same_seed_same_stability_in_a_run() -> None:
    first = run(noise_table(0), Options(seed=7), filename="noise.csv")
    again = run(noise_table(0), Options(seed=7), filename="noise.csv")
    assert [s.stability for s in first.segments] == [s.stability for s in again.segments]


def planted_orders(seed: int = 0) -> pd.DataFrame:
    """60% one-time buyers, then frequent recent big spenders and occasional lapsed ones."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01")
    frames = []
    for first, n, orders, days, spend in [
        (1, 300, (1, 1), (0, 364), 30.0),
        (1001, 120, (10, 16), (300, 364), 90.0),
        (2001, 80, (3, 5), (0, 120), 25.0),
    ]:
        counts = rng.integers(orders[0], orders[1] + 1, n)
        ids = np.repeat(np.arange(first, first + n), counts)
        day = rng.integers(days[0], days[1] + 1, len(ids))
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": ids,
                    "order_date": (start + day.astype("timedelta64[D]")).astype(str),
                    "amount": np.round(rng.gamma(8.0, spend / 8.0, len(ids)), 2),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_rfm_segments_carry_stability_and_one_time_groups_are_a_rule() -> None:
    # One segment of one-time buyers and one per planted kind of repeat buyer.
    result = run(planted_orders(), Options(mode="rfm", k=3), filename="orders.csv")
    assert result.mode == "rfm"
    stabilities = {s.name: s.stability for s in result.segments}
    assert all(s is not None and 0.0 <= s <= 1.0 for s in stabilities.values()), stabilities
    one_time = [s for s in result.segments if s.name in ("One-time buyers", "New customers")]
    assert one_time, stabilities
    assert all(s.stability == pytest.approx(1.0) for s in one_time)
    # The two planted kinds of repeat buyers are clear groups: found again every time.
    assert all(s is not None and s >= 0.85 for s in stabilities.values()), stabilities
    data = result.to_dict()
    assert all(isinstance(s["stability"], float) for s in data["segments"])
