"""The whole core on real and generated data: what a user would read in the report."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from segmentation import (
    InvalidOption,
    NoUsableColumns,
    Options,
    TooFewRows,
    UnknownColumn,
    demo_csv,
    format_report,
    generate_customers,
    run,
)
from tests.support import shared_file

MALL_NAMES = {
    "Medium income, medium spend",
    "High income, high spend",
    "High income, low spend",
    "Low income, low spend",
    "Low income, high spend",
}


def test_mall_customers_reference() -> None:
    result = run(shared_file("mall_customers.csv"))
    assert result.k == 5
    assert result.features == ("Annual Income (k$)", "Spending Score (1-100)")
    assert [s.size for s in result.segments] == [81, 39, 35, 23, 22]
    assert result.silhouette == pytest.approx(0.555, abs=0.005)
    assert result.k_selection.method == "silhouette"
    assert max(result.k_selection.scores, key=result.k_selection.scores.get) == 5
    assert result.k_selection.elbow == 5
    centres = sorted(
        (round(s.centroid["Annual Income (k$)"], 1), round(s.centroid["Spending Score (1-100)"], 1))
        for s in result.segments
    )
    assert centres == sorted([(55.3, 49.5), (86.5, 82.1), (88.2, 17.1), (26.3, 20.9), (25.7, 79.4)])
    assert {s.name for s in result.segments} == MALL_NAMES
    mean_age = {s.size: s.profile["Age"]["mean"] for s in result.segments}
    assert mean_age == pytest.approx(
        {81: 42.72, 39: 32.69, 35: 41.11, 23: 45.22, 22: 25.27}, abs=0.01
    )
    assert result.rows == result.rows_used == 200
    assert "CustomerID" in result.excluded_columns


def test_mall_descriptions_read_like_marketing() -> None:
    result = run(shared_file("mall_customers.csv"))
    by_name = {s.name: s for s in result.segments}
    careful = by_name["High income, low spend"]
    assert careful.levels == {"Annual Income (k$)": "high", "Spending Score (1-100)": "low"}
    assert "quality and service" in careful.description
    assert "discount" in by_name["Low income, low spend"].description
    for seg in result.segments:
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", seg.description)
        assert 2 <= len(sentences) <= 3, seg.description
        assert "Traceback" not in seg.description and "nan" not in seg.description
    gender = careful.profile["Genre"]["top"]
    assert set(gender) == {"Male", "Female"}


def test_demo_sample_gives_five_named_segments() -> None:
    result = run(demo_csv(), filename="demo_customers.csv")
    assert result.k == 5
    assert {s.name for s in result.segments} == MALL_NAMES
    assert result.silhouette > 0.5


def test_same_seed_same_labels_and_every_row_labelled() -> None:
    table = generate_customers(3_000, seed=11)
    first = run(table, Options(seed=5))
    second = run(table, Options(seed=5))
    assert first.table["segment"].notna().all()
    assert first.table["segment"].tolist() == second.table["segment"].tolist()
    assert sum(s.size for s in first.segments) == 3_000


def test_large_file_is_fitted_on_all_rows_after_choosing_k_on_a_sample() -> None:
    table = generate_customers(30_000, seed=3)
    result = run(table)
    assert result.k == 5
    assert result.k_selection.sample_size < 30_000
    assert "sample of" in result.k_selection.note
    assert sum(s.size for s in result.segments) == 30_000


def test_given_k_is_used_and_said() -> None:
    result = run(generate_customers(500), Options(k=3))
    assert result.k == 3
    assert result.k_selection.method == "given"
    assert "asked for" in result.headline


@pytest.mark.parametrize("k", [1, 11, 0])
def test_k_out_of_range_is_refused(k: int) -> None:
    with pytest.raises(InvalidOption, match="between 2 and 10"):
        run(generate_customers(100), Options(k=k))


def test_unknown_column_lists_the_columns() -> None:
    with pytest.raises(UnknownColumn) as info:
        run(generate_customers(100), Options(columns=("Income",)))
    assert "Annual Income (k$)" in str(info.value)
    assert "Spending Score (1-100)" in str(info.value)


def test_explicit_columns_match_case_insensitively() -> None:
    result = run(generate_customers(300), Options(columns=("annual income (k$)", "AGE")))
    assert result.features == ("Annual Income (k$)", "Age")
    assert "Spending Score (1-100)" in result.segments[0].profile


def test_rows_with_missing_values_are_left_out_and_counted() -> None:
    table = generate_customers(400).astype({"Annual Income (k$)": float})
    table.loc[[3, 50, 77], "Annual Income (k$)"] = np.nan
    result = run(table)
    assert result.rows_used == 397
    assert result.rows_dropped == 3
    assert any("3 of 400 rows were left out" in w for w in result.warnings)
    assert result.table["segment"].isna().sum() == 3
    assert (result.table["segment_name"] == "").sum() == 3


def test_weak_structure_is_said_in_plain_words() -> None:
    rng = np.random.default_rng(0)
    for blob in (rng.normal(size=(2000, 2)), rng.uniform(size=(2000, 2))):
        result = run(pd.DataFrame({"income": blob[:, 0], "spend": blob[:, 1]}))
        assert any("do not fall into clear groups" in w for w in result.warnings), result.warnings
        assert "cuts of a continuum" in " ".join(result.warnings)


def test_clear_groups_are_not_called_weak() -> None:
    result = run(shared_file("mall_customers.csv"))
    assert not any("clear groups" in w for w in result.warnings)
    assert result.silhouette - result.k_selection.baseline_silhouette > 0.15


def test_identifiers_constants_and_personal_data_are_never_clustered_nor_shown_in_texts() -> None:
    table = generate_customers(300)
    table["Email"] = [f"person{i}@example.com" for i in range(300)]
    table["Full Name"] = [f"Ann Smith{i}" for i in range(300)]
    table["Phone"] = [f"+44 20 7946 {i:04d}" for i in range(300)]
    table["Store"] = "Main street"
    table["Loyalty Number"] = np.arange(1000, 1300)
    result = run(table)
    assert result.features == ("Annual Income (k$)", "Spending Score (1-100)")
    for col in ("Email", "Full Name", "Phone"):
        # The labelled rows keep them (they go back only where the data came from)...
        assert result.table[col].tolist() == table[col].tolist()
        assert result.excluded_columns[col] == "personal data"
    # ...and no text, JSON or plotted point ever shows them.
    dumped = json.dumps(result.to_dict()) + format_report(result) + result.points.to_csv()
    assert "@example.com" not in dumped and "Smith" not in dumped and "7946" not in dumped
    assert result.excluded_columns["Loyalty Number"] == "an identifier"
    assert "same value" in result.excluded_columns["Store"]


def test_personal_columns_are_refused_even_when_asked_for() -> None:
    table = generate_customers(100)
    table["Phone"] = [f"+1 555 010 {i:04d}" for i in range(100)]
    with pytest.raises(NoUsableColumns, match="personal data"):
        run(table, Options(columns=("Phone", "Age")))


def test_without_behaviour_columns_all_usable_numbers_are_used() -> None:
    rng = np.random.default_rng(1)
    table = pd.DataFrame(
        {"height": rng.normal(170, 10, 200), "weight": rng.normal(70, 8, 200), "city": "X"}
    )
    result = run(table)
    assert result.features == ("height", "weight")


def test_more_than_two_columns_draw_the_segments_profile() -> None:
    rng = np.random.default_rng(2)
    table = generate_customers(600)
    table["Visits"] = rng.normal(10, 1, 600)  # noise: separates nothing
    result = run(table)
    assert len(result.features) == 3
    # The scatter's two best columns are still chosen (the JSON's plot axes) ...
    assert set(result.plot_axes) == {"Annual Income (k$)", "Spending Score (1-100)"}
    # ... but the picture is the segments against the columns, and says so.
    assert result.plot_kind == "profile"
    assert "set them apart most" in result.plot_note
    assert result.to_dict()["plot"]["kind"] == "profile"


def test_text_only_file_has_no_usable_columns() -> None:
    table = pd.DataFrame({"city": ["Paris", "Rome"] * 10, "email": ["a@b.co"] * 20})
    with pytest.raises(NoUsableColumns) as info:
        run(table)
    assert "city" in str(info.value)
    assert "a@b.co" not in str(info.value)


def test_too_few_rows() -> None:
    with pytest.raises(TooFewRows, match="at least 10"):
        run(generate_customers(6))


def test_json_shape() -> None:
    data = run(generate_customers(300)).to_dict()
    for key in ("rows", "rows_used", "features", "k", "k_selection", "silhouette", "segments"):
        assert key in data
    assert data["k_selection"]["method"] == "silhouette"
    assert set(data["k_selection"]["scores"]) == {str(k) for k in range(2, 11)}
    seg = data["segments"][0]
    assert set(seg) >= {
        "id",
        "name",
        "size",
        "share",
        "levels",
        "centroid",
        "profile",
        "description",
    }
    assert set(seg["levels"].values()) <= {"low", "medium", "high"}
    json.dumps(data)
