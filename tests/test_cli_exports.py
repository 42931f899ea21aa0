"""`segment --out` as a person runs it: labelled rows and audience files in the folder, contacts
nowhere else, and `--redact` leaving no raw contact anywhere in the folder."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from segmentation import generate_customers
from tests.support import shared_file

N = 240
CONTACTS = ("@example.org", "Zoë", "Quartermain", "20 7946", "HYPERLINK")


def segment(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEGBOT_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "segmentation.cli", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
    )


def contacts_file(folder: Path) -> Path:
    table = generate_customers(N)
    table["Email"] = [f"shopper{i}@example.org" for i in range(N)]
    table["First Name"] = [f"Zoë{i}" for i in range(N)]
    table["Last Name"] = [f"Quartermain{i}" for i in range(N)]
    table.loc[0, "Last Name"] = '=HYPERLINK("http://evil.example","x")'
    table["Phone"] = [f"+44 20 7946 {i:04d}" for i in range(N)]
    path = folder / "customers.csv"
    table.to_csv(path, index=False)
    return path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_out_writes_contacts_only_into_the_files(tmp_path: Path) -> None:
    source = contacts_file(tmp_path)
    done = segment(str(source), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    files = folder_bytes(tmp_path / "out")
    audiences = sorted(name for name in files if name.startswith("audiences/"))
    assert len(audiences) == 5 and all(name.endswith(".csv") for name in audiences)
    labelled = csv_rows(files["segments.csv"])
    assert labelled[9]["Email"] == "shopper9@example.org"
    for name in audiences:
        rows = csv_rows(files[name])
        assert list(rows[0]) == ["Email", "First Name", "Last Name", "Phone Number", "segment_name"]
        assert rows[0]["Email"].endswith("@example.org")
    # The terminal and the report never show a contact.
    for text in (done.stdout, done.stderr, files["report.md"].decode()):
        assert not [c for c in CONTACTS if c in text]
    assert b"PNG" in files["segments.png"][:8]

    json_run = segment(str(source), "--json")
    assert json_run.returncode == 0, json_run.stderr
    assert not [c for c in CONTACTS if c in json_run.stdout]


def test_redact_leaves_no_raw_contact_and_keeps_pseudonyms_stable(tmp_path: Path) -> None:
    source = contacts_file(tmp_path)
    data_dir = {"SEGBOT_DATA_DIR": str(tmp_path / "data")}
    first = segment(str(source), "--out", str(tmp_path / "a"), "--redact", env=data_dir)
    assert first.returncode == 0, first.stderr
    second = segment(str(source), "--out", str(tmp_path / "b"), "--redact", env=data_dir)
    other = segment(
        str(source), "--out", str(tmp_path / "c"), "--redact", env={"SEGBOT_SECRET": "other"}
    )
    assert second.returncode == other.returncode == 0

    a, b, c = (folder_bytes(tmp_path / d) for d in "abc")
    for files in (a, b, c):
        for name, data in files.items():
            if name.endswith((".csv", ".md")):
                text = data.decode("utf-8-sig")
                assert not [x for x in CONTACTS if x in text], name
    # Same key (made once in the data folder): the same pseudonyms, file for file.
    assert {n: d for n, d in a.items() if n.endswith(".csv")} == {
        n: d for n, d in b.items() if n.endswith(".csv")
    }
    rows_a, rows_c = csv_rows(a["segments.csv"]), csv_rows(c["segments.csv"])
    assert rows_a[0]["Email"].startswith("email-")
    assert all(x["Email"] != y["Email"] for x, y in zip(rows_a, rows_c, strict=True))
    assert [x["Age"] for x in rows_a] == [y["Age"] for y in rows_c]
    assert (tmp_path / "data" / "pseudonym.key").is_file()


def test_redact_without_out_is_a_usage_problem(tmp_path: Path) -> None:
    done = segment(str(contacts_file(tmp_path)), "--redact")
    assert done.returncode == 2
    assert "--out" in done.stderr and "Traceback" not in done.stderr


def test_a_rerun_replaces_the_audiences_of_the_last_run(tmp_path: Path) -> None:
    source = contacts_file(tmp_path)
    out = tmp_path / "out"
    assert segment(str(source), "--out", str(out), "--k", "3").returncode == 0
    (out / "audiences" / "notes.txt").write_text("mine")
    assert segment(str(source), "--out", str(out), "--k", "2").returncode == 0
    audiences = sorted(p.name for p in (out / "audiences").iterdir())
    assert len([n for n in audiences if n.endswith(".csv")]) == 2
    assert "notes.txt" in audiences  # only our own CSVs are replaced


def test_mall_customers_audiences_carry_the_id(tmp_path: Path) -> None:
    done = segment(str(shared_file("mall_customers.csv")), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    ids = []
    for path in sorted((tmp_path / "audiences").glob("*.csv")):
        rows = csv_rows(path.read_bytes())
        assert list(rows[0]) == ["CustomerID", "segment_name"]
        ids += [int(r["CustomerID"]) for r in rows]
    assert sorted(ids) == list(range(1, 201))
