"""Files a marketer acts on: labelled rows keyed to real customers, one audience file per
segment that Mailchimp, Klaviyo and HubSpot import as is, and pseudonyms when asked."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from segmentation import export_csv, format_report, generate_customers, run
from segmentation.output.export import (
    audience_files,
    neutralise_formulas,
    pseudonymise,
    segment_slugs,
)
from segmentation.output.keystore import KEY_FILE, KeyUnavailable, pseudonym_key
from segmentation.output.render import build_figure
from segmentation.result import SegmentationResult
from tests.support import shared_file

N = 300
KEY = b"test key one"
CONTACT_HEADERS = ["Email", "First Name", "Last Name", "Phone Number", "segment_name"]


def with_contacts(n: int = N) -> pd.DataFrame:
    """Generated shoppers with e-mails, first and last names, phones and a formula trap."""
    table = generate_customers(n)
    table["Email"] = [f"shopper{i}@example.org" for i in range(n)]
    table["First Name"] = [f"Zoë{i}" for i in range(n)]
    table["Last Name"] = [f"Quartermain{i}" for i in range(n)]
    table.loc[0, "Last Name"] = '=HYPERLINK("http://evil.example","click")'
    table["Phone"] = [f"+44 20 7946 {i:04d}" for i in range(n)]
    return table


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, like segments.csv
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def header_of(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def members(result: SegmentationResult, segment_id: int) -> pd.DataFrame:
    return result.table.loc[(result.table["segment"] == segment_id).to_numpy(dtype=bool)]


# --- the labelled rows ----------------------------------------------------------------------


def test_labelled_rows_keep_every_column_and_texts_show_no_contact() -> None:
    table = with_contacts()
    result = run(table)
    rows = rows_of(export_csv(result))
    assert list(rows[0]) == [*table.columns, "segment", "segment_name"]
    assert [r["Email"] for r in rows] == table["Email"].tolist()
    assert [r["Phone"] for r in rows] == table["Phone"].tolist()
    assert rows[0]["Last Name"] == "'" + table.loc[0, "Last Name"]
    assert rows[7]["First Name"] == "Zoë7"

    figure = build_figure(result)
    drawn = [t.get_text() for t in figure.findobj(Text)]  # every title, label, legend entry
    shown = json.dumps(result.to_dict(), ensure_ascii=False) + format_report(result)
    shown += format_report(result, markdown=True) + result.points.to_csv() + "\n".join(drawn)
    assert any(s.name in text for s in result.segments for text in drawn)  # legend read
    for needle in ("@example.org", "Zoë", "Quartermain", "20 7946", "HYPERLINK"):
        assert needle not in shown
    # The headers are named (so the person knows what was set aside), never their values.
    assert any("Email" in w and "never used for segments" in w for w in result.warnings)


def test_phone_numbers_stay_importable_and_formulas_do_not() -> None:
    frame = pd.DataFrame(
        {"x": ["+44 20 7946 0000", "-30.5", "+1 (555) 010-0199", "+1+cmd|' /C calc'!A0", "-2+3"]}
    )
    assert neutralise_formulas(frame)["x"].tolist() == [
        "+44 20 7946 0000",
        "-30.5",
        "+1 (555) 010-0199",
        "'+1+cmd|' /C calc'!A0",
        "'-2+3",
    ]


# --- audience files -------------------------------------------------------------------------


def test_one_importable_file_per_segment_with_the_contacts() -> None:
    table = with_contacts()
    result = run(table)
    files = audience_files(result)
    assert list(files) == [
        f"{slug}.csv" for slug in segment_slugs([s.name for s in result.segments])
    ]
    assert len(files) == result.k == 5

    seen: list[str] = []
    for segment, data in zip(result.segments, files.values(), strict=True):
        assert header_of(data) == CONTACT_HEADERS
        rows = rows_of(data)
        expected = members(result, segment.id)
        assert [r["Email"] for r in rows] == expected["Email"].tolist()
        assert [r["Phone Number"] for r in rows] == expected["Phone"].tolist()
        assert {r["segment_name"] for r in rows} == {segment.name}
        for row in rows:
            i = int(row["Email"].removeprefix("shopper").removesuffix("@example.org"))
            assert row["First Name"] == f"Zoë{i}"
            last = table.loc[i, "Last Name"]
            assert row["Last Name"] == (f"'{last}" if last.startswith("=") else last)
        seen += [r["Email"] for r in rows]
    assert sorted(seen) == sorted(table["Email"])  # every customer in exactly one file


def test_a_full_name_is_split_and_headers_found_by_content() -> None:
    table = generate_customers(120)
    firsts = "Ana María,Li,Jürgen,Zoë,Kwame,Noor,Olek,Siobhán,Tomás,Ines,Ravi,Mette".split(",")
    lasts = "García,Wei,Weiß,Brontë,Mensah,Haddad,Nowak,Ó Briain,Silva,Dubois".split(",")
    table["Customer"] = [f"{firsts[i % 12]} {lasts[i // 12]}" for i in range(120)]
    table["contact"] = [f"c{i}@mail.example" for i in range(120)]
    result = run(table)
    data = next(iter(audience_files(result).values()))
    assert header_of(data) == ["Email", "First Name", "Last Name", "segment_name"]
    for row in rows_of(data):
        i = int(row["Email"][1:].split("@")[0])
        full = table.loc[i, "Customer"]
        assert f"{row['First Name']} {row['Last Name']}" == full
        assert row["First Name"] == full.split()[0]


def test_mall_customers_audiences_carry_the_customer_id() -> None:
    result = run(shared_file("mall_customers.csv"))
    files = audience_files(result)
    assert sorted(files) == [
        "high-income-high-spend.csv",
        "high-income-low-spend.csv",
        "low-income-high-spend.csv",
        "low-income-low-spend.csv",
        "medium-income-medium-spend.csv",
    ]
    ids: list[int] = []
    for segment, data in zip(result.segments, files.values(), strict=True):
        assert header_of(data) == ["CustomerID", "segment_name"]
        rows = rows_of(data)
        assert len(rows) == segment.size
        ids += [int(r["CustomerID"]) for r in rows]
    assert sorted(ids) == list(range(1, 201))


def test_without_email_or_id_the_row_number_leads() -> None:
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"income": rng.normal(50, 10, 90), "spend": rng.normal(40, 9, 90)})
    result = run(table)
    rows = [r for data in audience_files(result).values() for r in rows_of(data)]
    assert sorted(int(r["Row"]) for r in rows) == list(range(1, 91))


def _order_log() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    people = [f"buyer{i}@shop.example" for i in range(150)]
    n = 900
    return pd.DataFrame(
        {
            "Email": rng.choice(people, n),
            "Order Date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "Total": rng.gamma(2.0, 30.0, n).round(2),
        }
    )


def test_rfm_audiences_lead_with_the_customer_key() -> None:
    result = run(_order_log(), filename="orders.csv")
    assert result.mode == "rfm"
    files = audience_files(result)
    key = result.table.columns[0]
    for segment, data in zip(result.segments, files.values(), strict=True):
        rows = rows_of(data)
        first = header_of(data)[0]
        values = members(result, segment.id)[key].astype(str).tolist()
        assert first in ("Email", key)
        assert [r[first] for r in rows] == values
        assert {r["segment_name"] for r in rows} == {segment.name}


def test_rfm_table_with_contact_columns_gives_importable_audiences() -> None:
    # The shape of an RFM table keyed to real customers: the key as written in the file, then
    # the order log's contact columns, then the RFM measures.
    result = run(_order_log(), filename="orders.csv")
    table = result.table.copy()
    n = len(table)
    contacts = pd.DataFrame(
        {
            "Customer ID": [f"CUST-{i:04d}" for i in range(n)],
            "E-mail": [f"buyer{i}@shop.example" for i in range(n)],
            "Billing Name": [f"Maya Okafor{i}" for i in range(n)],
            "Billing Phone": [f"+234 803 555 {i:04d}" for i in range(n)],
        },
        index=table.index,
    )
    table = pd.concat([contacts, table.iloc[:, 1:]], axis=1)
    shaped = dataclasses.replace(result, table=table)
    files = audience_files(shaped)
    data = next(iter(files.values()))
    assert header_of(data) == CONTACT_HEADERS
    row = rows_of(data)[0]
    i = int(row["Email"].removeprefix("buyer").split("@")[0])
    assert (row["First Name"], row["Last Name"]) == ("Maya", f"Okafor{i}")
    assert row["Phone Number"] == f"+234 803 555 {i:04d}"
    # Without e-mails the customer key leads, under its own header.
    no_mail = dataclasses.replace(result, table=table.drop(columns=["E-mail"]))
    data = next(iter(audience_files(no_mail).values()))
    assert header_of(data) == ["Customer ID", "First Name", "Last Name", "Phone Number"] + [
        "segment_name"
    ]


def test_slugs_are_safe_and_distinct() -> None:
    slugs = segment_slugs(
        ["Can't lose them", "Can’t lose them", "../../etc/passwd", "CON", "", "Ünïcode spend"]
    )
    assert slugs == ["cant-lose-them", "cant-lose-them-2", "etc-passwd", "con-segment", "segment",
                     "unicode-spend"]  # fmt: skip
    assert len(set(segment_slugs(["A b"] * 12))) == 12


# --- redaction ------------------------------------------------------------------------------


def test_redacted_files_hold_stable_pseudonyms_only() -> None:
    table = with_contacts()
    result = run(table)
    once = export_csv(result, redact_key=KEY)
    again = export_csv(run(table), redact_key=KEY)
    other = export_csv(result, redact_key=b"another key")
    assert once == again
    for data in (once, other, *audience_files(result, redact_key=KEY).values()):
        text = data.decode("utf-8-sig")
        for needle in ("@example.org", "Zoë", "Quartermain", "20 7946", "HYPERLINK"):
            assert needle not in text

    rows, other_rows = rows_of(once), rows_of(other)
    assert rows[3]["Email"].startswith("email-") and rows[3]["Phone"].startswith("phone-")
    assert rows[3]["First Name"].startswith("name-")
    assert len({r["Email"] for r in rows}) == N  # distinct people stay distinct
    assert all(a["Email"] != b["Email"] for a, b in zip(rows, other_rows, strict=True))
    # Only personal columns change.
    assert [r["Spending Score (1-100)"] for r in rows] == [
        str(v) for v in table["Spending Score (1-100)"]
    ]
    assert {r["segment_name"] for r in rows} == {s.name for s in result.segments}

    # The audience files use the same pseudonyms as the labelled rows.
    redacted = audience_files(result, redact_key=KEY)
    by_email = {r["Email"]: r for r in rows}
    for data in redacted.values():
        for row in rows_of(data):
            assert by_email[row["Email"]]["Phone"] == row["Phone Number"]


def test_the_same_contact_always_gets_the_same_pseudonym() -> None:
    values = pd.Series(["Ann@Shop.example", " ann@shop.example ", "bob@shop.example", None, ""])
    names = pseudonymise(values, "email", KEY).tolist()
    assert names[0] == names[1] != names[2]
    assert names[3] is None and names[4] is None
    phones = pseudonymise(pd.Series(["+44 20 7946 0000", "+44 (20) 7946-0000"]), "phone", KEY)
    assert phones[0] == phones[1]
    # It is the standard keyed HMAC-SHA256, for short keys and for keys longer than a block.
    for key in (KEY, b"x" * 100):
        digest = hmac.new(key, b"ann@shop.example", hashlib.sha256).hexdigest()
        assert pseudonymise(values, "email", key)[0] == f"email-{digest[:16]}"


# --- the key of the front ends --------------------------------------------------------------


def test_the_key_is_made_once_and_kept(tmp_path: Path) -> None:
    keys: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: keys.append(pseudonym_key(None, tmp_path / "data")))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 32
    assert [p.name for p in (tmp_path / "data").iterdir()] == [KEY_FILE]
    assert pseudonym_key(None, tmp_path / "data") == keys[0]
    assert pseudonym_key("our secret", tmp_path / "data") == b"our secret"


def test_an_unusable_key_folder_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(KeyUnavailable, match="SEGBOT_DATA_DIR"):
        pseudonym_key(None, blocker)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / KEY_FILE).write_text("zz-not-hex")
    with pytest.raises(KeyUnavailable, match="damaged"):
        pseudonym_key(None, tmp_path / "d")
