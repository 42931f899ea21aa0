"""Files a hostile or unlucky person could share: each ends in a result or a sentence, quickly.

The CLI runs in a new process, as a person runs it; the subprocess timeout only guards against
a hang (the old behaviour: over a minute on the 5 MB one-line file), it asserts no speed.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation import Limits, Options, load_table, run
from segmentation.errors import NoUsableColumns, TooManyColumns

_HANG = 90


def segment(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segmentation.cli", *args],
        capture_output=True,
        text=True,
        timeout=_HANG,
    )


def survey(rows: int, columns: int, seed: int = 0) -> bytes:
    answers = np.random.default_rng(seed).integers(1, 6, (rows, columns))
    header = ",".join(f"q{j}" for j in range(columns))
    body = "\n".join(",".join(map(str, row)) for row in answers)
    return f"{header}\n{body}\n".encode()


def customers_with(values: list[str], seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    lines = ["customer,income,spend"]
    for i, income in enumerate(values):
        lines.append(f"c{i},{income},{int(rng.integers(1, 100))}")
    return ("\n".join(lines) + "\n").encode()


def test_one_line_of_millions_of_columns_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "one_line.csv"
    path.write_text(",".join(["a"] * 2_500_000))  # 5 MB
    done = segment(str(path))
    assert done.returncode == 2, done.stderr
    assert "2,500,000 columns, more than the limit of 1,000" in done.stderr
    assert done.stderr.count("\n") == 1  # one sentence, no traceback


def test_huge_numbers_are_left_out_with_a_warning_not_a_crash(tmp_path: Path) -> None:
    incomes = ["1e308" if i % 10 == 0 else str(20 + i % 100) for i in range(200)]
    incomes[5], incomes[6] = "inf", "-1e300"
    path = tmp_path / "huge.csv"
    path.write_bytes(customers_with(incomes))
    done = segment(str(path))
    assert done.returncode == 0, done.stderr
    assert "22 of 200 rows were left out" in done.stdout


def test_five_thousand_survey_columns_are_refused_with_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(survey(50, 5_000))
    done = segment(str(path))
    assert done.returncode == 2, done.stderr
    assert "5,000 columns, more than the limit of 1,000" in done.stderr
    assert "--max-columns" not in done.stderr  # the sentence is for a person, not a flag
    raised = segment(str(path), "--max-columns", "6000", "--json")
    assert raised.returncode == 0, raised.stderr


def test_a_thousand_survey_columns_are_answered(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(survey(50, 1_000))
    done = segment(str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert '"rows_used": 50' in done.stdout


def test_the_cli_stops_work_past_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(survey(50, 1_000))
    done = segment(str(path), "--timeout", "0.2")
    assert done.returncode == 2, done.stderr
    assert "longer than the limit of 0.2 seconds" in done.stderr
    assert "columns=" in done.stderr


@pytest.mark.parametrize("bad", ["0", "-3", "nan"])
def test_a_bad_timeout_is_a_usage_problem(bad: str) -> None:
    done = segment("demo", "--timeout", bad)
    assert done.returncode == 2
    assert "--timeout" in done.stderr


def test_the_column_limit_counts_the_header_quotes_and_all() -> None:
    header = ",".join(f'"q,{j}"' for j in range(30))
    data = (header + "\n" + "\n".join(",".join(["1"] * 30) for _ in range(20))).encode()
    assert load_table(data, limits=Limits(max_columns=30)).shape == (20, 30)
    with pytest.raises(TooManyColumns, match="30 columns, more than the limit of 29"):
        load_table(data, limits=Limits(max_columns=29))


def test_a_first_line_too_long_for_a_header_is_refused_without_parsing() -> None:
    title = "x" * 400_000  # one field, no delimiter: not too many columns, just absurd
    with pytest.raises(TooManyColumns, match="first line of the file is .* long"):
        load_table((title + "\na,b\n1,2\n").encode())


def test_wide_workbooks_are_refused_too(make_xlsx: Callable[..., bytes]) -> None:
    rows = [[f"q{j}" for j in range(60)], *[[1] * 60 for _ in range(3)]]
    workbook = make_xlsx(rows)
    with pytest.raises(TooManyColumns, match="60 columns, more than the limit of 50"):
        load_table(workbook, filename="wide.xlsx", limits=Limits(max_columns=50))
    assert load_table(workbook, filename="wide.xlsx").shape == (3, 60)


def test_a_wide_table_given_directly_is_refused() -> None:
    table = pd.DataFrame(np.ones((20, 12)), columns=[f"c{j}" for j in range(12)])
    with pytest.raises(TooManyColumns):
        run(table, Options(limits=Limits(max_columns=10)))


def test_infinite_and_overflowing_values_load_as_missing() -> None:
    data = b"a,b,c\n1e308,inf,5\n-1e200,-inf,6\n3,4,7\n"
    table = load_table(data)
    assert table["a"].isna().tolist() == [True, True, False]
    assert table["b"].isna().tolist() == [True, True, False]


def test_a_column_that_is_mostly_unusable_is_refused_when_asked_for() -> None:
    incomes = ["1e308"] * 150 + [str(i) for i in range(50)]
    with pytest.raises(NoUsableColumns, match="'income' has a usable number in only 50 of 200"):
        run(customers_with(incomes), Options(columns=("income", "spend")))


def test_a_column_that_is_mostly_unusable_is_set_aside_when_chosen_by_itself() -> None:
    incomes = ["1e308"] * 150 + [str(i) for i in range(50)]
    result = run(customers_with(incomes), Options(mode="customers"))
    assert result.features == ("spend",)
    assert result.rows_used == 200
    assert "too large" in result.excluded_columns["income"]


def test_a_header_with_a_stray_control_byte_draws_without_a_warning() -> None:
    # Found by bench/fuzz_campaign.py: matplotlib warned "Glyph 6 missing from font(s)".
    from segmentation.output.render import render_scatter

    rng = np.random.default_rng(1)
    lines = ["customer,inc\x06ome,spend"] + [
        f"c{i},{int(rng.integers(10, 99))},{int(rng.integers(1, 99))}" for i in range(40)
    ]
    result = run(("\n".join(lines) + "\n").encode(), Options(mode="customers"))
    assert render_scatter(result).startswith(b"\x89PNG")  # warnings are errors in the suite


def test_values_equal_after_scaling_count_as_one_point() -> None:
    # Found by the fuzz campaign: 0 and 1e-320 are different numbers but the same point once
    # standardised, and K-means warned that it found fewer segments than asked for.
    scores = ["44"] * 57 + ["-0", "1e-320", "4"]
    lines = ["customer,Spending Score"] + [f"c{i},{v}" for i, v in enumerate(scores)]
    result = run(("\n".join(lines) + "\n").encode(), Options(mode="customers"))
    assert result.k == 2  # the suite turns the old ConvergenceWarning into an error


def test_a_header_thousands_of_characters_long_still_draws() -> None:
    # Found by the fuzz campaign: the plot collapsed to nothing ("axes sizes collapsed to zero").
    from segmentation.output.render import build_figure, render_scatter

    rng = np.random.default_rng(2)
    long_name = "spend " + "x" * 5_000
    lines = [f"customer,income,{long_name}"] + [
        f"c{i},{int(rng.integers(10, 99))},{int(rng.integers(1, 99))}" for i in range(40)
    ]
    result = run(("\n".join(lines) + "\n").encode(), Options(mode="customers"))
    assert render_scatter(result).startswith(b"\x89PNG")
    labels = [build_figure(result).axes[0].get_xlabel(), build_figure(result).axes[0].get_ylabel()]
    assert max(len(label) for label in labels) <= 60


def test_a_line_break_in_a_header_never_splits_a_sentence(make_xlsx: Callable[..., bytes]) -> None:
    # Found by the fuzz campaign: a stray quote pulled a line break into a header, and the
    # sentence listing the headers ran over two lines.
    data = b'name;"Spend\nnote"\nAda;x\nBob;y\n'
    with pytest.raises(NoUsableColumns) as caught:
        run(data)
    assert "\n" not in str(caught.value) and "Spend note" in str(caught.value)
    workbook = make_xlsx([["Annual\nIncome", "Spending Score"], *[[i, i % 7] for i in range(20)]])
    assert list(load_table(workbook, filename="c.xlsx").columns) == [
        "Annual Income",
        "Spending Score",
    ]
