"""The exported rows open safely in a spreadsheet and lose nothing."""

from __future__ import annotations

import csv
import io

import pandas as pd

from segmentation import export_csv, generate_customers, run


def read_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads accents and symbols right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_every_input_row_comes_back_with_its_segment() -> None:
    table = generate_customers(250)
    result = run(table)
    rows = read_rows(export_csv(result))
    assert len(rows) == 250
    assert [r["CustomerID"] for r in rows] == [str(i) for i in table["CustomerID"]]
    names = {s.id: s.name for s in result.segments}
    for row in rows:
        assert row["segment_name"] == names[int(row["segment"])]


def test_formula_cells_are_neutralised() -> None:
    table = generate_customers(60)
    table["City"] = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "Paris", "\tcmd"] * 10
    rows = read_rows(export_csv(run(table)))
    cities = [r["City"] for r in rows[:6]]
    assert cities == ['\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)", "Paris", "'\tcmd"]
    # Negative numbers are numbers, not formulas: they stay as they are.
    table["Balance"] = -5.5
    rows = read_rows(export_csv(run(table)))
    assert rows[0]["Balance"] == "-5.5"


def test_an_existing_segment_column_is_kept() -> None:
    table = generate_customers(80)
    table["segment"] = "gold"
    result = run(table)
    frame = pd.read_csv(io.BytesIO(export_csv(result)))
    assert (frame["segment (original)"] == "gold").all()
    assert frame["segment"].between(0, result.k - 1).all()
