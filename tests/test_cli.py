"""The `segment` command as a person runs it: in a new process, reading stdout and stderr."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from segmentation import generate_customers
from tests.support import shared_file


def segment(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segmentation.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_demo_prints_a_readable_report(tmp_path: Path) -> None:
    done = segment("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "200 customers in 5 segments" in done.stdout
    assert "High income, low spend" in done.stdout
    assert done.stderr == ""


def test_demo_out_writes_picture_rows_and_report(tmp_path: Path) -> None:
    done = segment("demo", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    png = (tmp_path / "out" / "segments.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    rows = list(
        csv.DictReader(io.StringIO((tmp_path / "out" / "segments.csv").read_text("utf-8-sig")))
    )
    assert len(rows) == 200
    assert {"segment", "segment_name"} <= set(rows[0])
    report = (tmp_path / "out" / "report.md").read_text()
    assert report.startswith("# Segments of")
    assert "![Customers coloured by segment](segments.png)" in report


def test_json_is_exactly_one_object_with_the_documented_keys() -> None:
    done = segment(str(shared_file("mall_customers.csv")), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["k"] == 5
    assert data["features"] == ["Annual Income (k$)", "Spending Score (1-100)"]
    assert [s["size"] for s in data["segments"]] == [81, 39, 35, 23, 22]
    assert data["k_selection"]["method"] == "silhouette"
    assert abs(data["silhouette"] - 0.555) < 0.005
    assert data["rows"] == data["rows_used"] == 200
    assert isinstance(data["warnings"], list)


def test_k_columns_and_seed_options(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    generate_customers(400).to_csv(path, index=False)
    done = segment(
        str(path), "--k", "3", "--columns", "Age, annual income (k$)", "--seed", "9", "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["k"] == 3
    assert data["features"] == ["Age", "Annual Income (k$)"]  # the order asked for


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["no-such-file.csv"], "couldn't find the file"),
        (["demo", "--k", "1"], "between 2 and 10"),
        (["demo", "--k", "four"], "invalid int value"),
        (["demo", "--columns", "Salary"], "no column called 'Salary'"),
        (["demo", "--mode", "weird"], "invalid choice"),
        ([], "required"),
    ],
)
def test_problems_exit_2_with_one_sentence_and_no_traceback(args: list[str], needle: str) -> None:
    done = segment(*args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 40)
    done = segment(str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("segment: ")


def test_file_over_the_size_limit_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    generate_customers(50_000).to_csv(path, index=False)
    done = segment(str(path), "--max-mb", "0.1")
    assert done.returncode == 2
    assert "MB" in done.stderr
