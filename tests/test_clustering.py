"""K-means with k chosen by itself: invariants a user relies on."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.errors import InvalidOption, TooFewRows
from segmentation.model.clustering import find_elbow, fit_segments


def blobs(centres: list[tuple[float, float]], per: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 0.5, size=(per, 2)) for c in centres])


def test_finds_planted_groups_and_numbers_them_by_size() -> None:
    rng = np.random.default_rng(1)
    X = np.vstack(
        [
            rng.normal((0, 0), 0.4, (300, 2)),
            rng.normal((8, 0), 0.4, (100, 2)),
            rng.normal((0, 8), 0.4, (50, 2)),
        ]
    )
    fit = fit_segments(X)
    assert fit.k == 3
    assert np.bincount(fit.labels).tolist() == [300, 100, 50]
    assert fit.silhouette > 0.8
    assert fit.k_selection.elbow == 3


def test_same_seed_same_labels() -> None:
    X = blobs([(0, 0), (5, 5), (0, 5), (5, 0)], 200)
    a, b = fit_segments(X, seed=7), fit_segments(X, seed=7)
    assert (a.labels == b.labels).all()
    assert a.k_selection.scores == b.k_selection.scores


def test_big_input_picks_k_on_a_sample_and_labels_every_row() -> None:
    X = blobs([(0, 0), (6, 0), (0, 6), (6, 6)], 6_000)
    fit = fit_segments(X)
    assert fit.k == 4
    assert len(fit.labels) == 24_000
    assert fit.k_selection.sample_size == 10_000
    assert sorted(np.bincount(fit.labels).tolist()) == [6_000] * 4


def test_disagreement_between_silhouette_and_elbow_is_explained() -> None:
    note = fit_segments(blobs([(0, 0), (4, 0), (20, 0)], 100)).k_selection.note
    assert "silhouette" in note
    assert ("elbow" in note) or ("no clear elbow" in note)


def test_given_k_is_used() -> None:
    fit = fit_segments(blobs([(0, 0), (5, 5)], 50), k=4)
    assert fit.k == 4
    assert fit.k_selection.method == "given"
    assert set(fit.k_selection.scores) == {4}


def test_limits() -> None:
    with pytest.raises(TooFewRows):
        fit_segments(np.zeros((5, 2)))
    with pytest.raises(TooFewRows, match="same values"):
        fit_segments(np.ones((50, 2)))
    with pytest.raises(TooFewRows, match="only 3 different"):
        fit_segments(np.repeat(np.eye(3), 10, axis=0), k=5)
    with pytest.raises(InvalidOption):
        fit_segments(blobs([(0, 0)], 20), k=12)


def test_few_distinct_points_cap_the_search() -> None:
    X = np.repeat(np.array([[0.0, 0.0], [10.0, 10.0], [0.0, 10.0]]), 20, axis=0)
    fit = fit_segments(X)
    assert fit.k == 3
    assert max(fit.k_selection.scores) == 3


def test_elbow_of_a_clear_bend() -> None:
    assert find_elbow({1: 100.0, 2: 60.0, 3: 20.0, 4: 18.0, 5: 17.0, 6: 16.0}) == 3
    assert find_elbow({1: 10.0, 2: 9.0}) is None
