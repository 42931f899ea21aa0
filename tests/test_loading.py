"""The loader, as a person with a spreadsheet export sees it: their table comes back, numbers
as numbers, or one sentence saying what is wrong and what to do."""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.api.types import is_float_dtype, is_numeric_dtype, is_string_dtype

from segmentation.errors import FileTooLarge, SegmentationError, TooManyRows, UnreadableFile
from segmentation.read.numbers import parse_number_column
from segmentation.read.table import load_table
from segmentation.result import Limits
from tests.support import shared_file

MakeXlsx = Callable[..., bytes]


def rows(table: pd.DataFrame) -> list[list[object]]:
    """The table's values as plain Python lists, for readable comparisons."""
    return [list(row) for row in table.itertuples(index=False)]


def unreadable(data: bytes, **kwargs: object) -> str:
    """Load bytes that must be refused; return the sentence the user would see."""
    with pytest.raises(UnreadableFile) as caught:
        load_table(data, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# --- delimiters, encodings, line endings ----------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed(delimiter: str) -> None:
    text = delimiter.join(["name", "age", "city"]) + "\n"
    text += delimiter.join(["Ada", "36", "London"]) + "\n"
    text += delimiter.join(["Grace", "45", "New York"]) + "\n"
    table = load_table(text.encode())
    assert list(table.columns) == ["name", "age", "city"]
    assert rows(table) == [["Ada", 36, "London"], ["Grace", 45, "New York"]]


def test_semicolon_file_with_decimal_commas_is_not_split_on_the_commas() -> None:
    table = load_table(b"id;spend;visits\n1;12,5;3\n2;1.234,56;4\n3;7;5\n")
    assert list(table.columns) == ["id", "spend", "visits"]
    assert table["spend"].tolist() == [12.5, 1234.56, 7.0]


def test_tab_file_with_commas_in_text_is_split_on_tabs() -> None:
    table = load_table(b"name\tcity\tspend\nAda\tParis, France\t10\nBob\tLyon, France\t20\n")
    assert list(table.columns) == ["name", "city", "spend"]
    assert table["city"].tolist() == ["Paris, France", "Lyon, France"]


def test_excel_separator_hint_line_is_obeyed() -> None:
    table = load_table(b"sep=;\nname;note\nAda;a,b\nBob;c,d\n")
    assert list(table.columns) == ["name", "note"]
    assert table["note"].tolist() == ["a,b", "c,d"]


def test_single_column_file() -> None:
    table = load_table(b"spend\n10\n20\n30\n")
    assert list(table.columns) == ["spend"]
    assert table["spend"].tolist() == [10, 20, 30]


def test_crlf_line_endings_and_trailing_blank_lines() -> None:
    table = load_table(b"a,b\r\n1,2\r\n3,4\r\n\r\n\r\n   \r\n")
    assert rows(table) == [[1, 2], [3, 4]]


def test_old_mac_carriage_return_line_endings() -> None:
    assert rows(load_table(b"a,b\r1,2\r3,4\r")) == [[1, 2], [3, 4]]


def test_quoted_fields_with_delimiters_quotes_and_line_breaks() -> None:
    data = b'name,address,spend\n"Doe, Jane","1 Main St\nSpringfield","$1,200.50"\n"O""Neil",x,5\n'
    table = load_table(data)
    assert table["name"].tolist() == ["Doe, Jane", 'O"Neil']
    assert table["address"].tolist() == ["1 Main St\nSpringfield", "x"]
    assert table["spend"].tolist() == [1200.5, 5.0]


def test_utf8_with_and_without_bom() -> None:
    text = "name,city\nZoë,Zürich\n"
    for data in (text.encode("utf-8"), text.encode("utf-8-sig")):
        table = load_table(data)
        assert list(table.columns) == ["name", "city"]  # no BOM glued to the first header
        assert table["city"].tolist() == ["Zürich"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    text = "name\tspend\nZoë\t€1.234,50\n"
    data = text.encode(codec)
    if codec != "utf-16":  # "utf-16" writes its own BOM; the others need one in front
        data = ("\ufeff" + text).encode(codec)
    table = load_table(data)
    assert table["name"].tolist() == ["Zoë"]
    assert table["spend"].tolist() == [1234.5]


def test_windows_1252_euro_sign() -> None:
    data = "customer;spend\nA;1.500 €\nB;€ 20,25\n".encode("cp1252")
    assert data.count(b"\x80") == 2  # the euro sign's byte in Windows-1252
    assert load_table(data)["spend"].tolist() == [1500.0, 20.25]


def test_latin1_accents() -> None:
    data = "name,city\nRenée,Orléans\n".encode("latin-1")
    assert rows(load_table(data)) == [["Renée", "Orléans"]]


# --- headers, blank rows and columns --------------------------------------------------


def test_headers_are_stripped_filled_and_made_unique() -> None:
    table = load_table(b" Annual Income (k$) ,,x,x, X ,column_2\n1,2,3,4,5,6\n")
    assert list(table.columns) == [
        "Annual Income (k$)",
        "column_2_2",
        "x",
        "x_2",
        "X_3",
        "column_2",
    ]


def test_blank_rows_and_empty_columns_are_dropped() -> None:
    data = b"\n,,\n a , , b \n1,,2\n,,\n\n3,,4\n ,  ,\n"
    table = load_table(data)
    assert list(table.columns) == ["a", "b"]
    assert rows(table) == [[1, 2], [3, 4]]
    assert table.index.tolist() == [0, 1]


def test_trailing_delimiter_on_every_row_is_harmless() -> None:
    assert rows(load_table(b"a,b\n1,2,\n3,4,\n")) == [[1, 2], [3, 4]]


def test_text_values_are_stripped() -> None:
    table = load_table(b"gender,age\n Female ,30\nFemale,31\n")
    assert table["gender"].tolist() == ["Female", "Female"]


# --- numbers as people write them ------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("€15,000", 15000.0),
        ("$1,200.50", 1200.5),
        ("15 000", 15000.0),
        ("15\u00a0000", 15000.0),  # no-break space
        ("15\u202f000,50", 15000.5),  # narrow no-break space, as French software writes it
        ("1'000", 1000.0),
        ("12%", 12.0),
        ("12,5 %", 12.5),
        ("(30.00)", -30.0),
        ("($1,200)", -1200.0),
        ("-5", -5.0),
        ("−5", -5.0),  # the Unicode minus sign
        ("-$5", -5.0),
        ("1.234,56", 1234.56),
        ("USD 1,200", 1200.0),
        ("1.200,00 EUR", 1200.0),
        ("£3", 3.0),
        ("¥1,000", 1000.0),
        ("US$ 7.25", 7.25),
        (".5", 0.5),
    ],
)
def test_number_forms(written: str, value: float) -> None:
    parsed = parse_number_column(pd.Series([written, "1"]))
    assert parsed is not None
    assert parsed.iloc[0] == pytest.approx(value)


def test_numbers_in_a_csv_become_float_columns() -> None:
    data = (
        b'name,income,share,balance\nAda,"\xe2\x82\xac15,000",12%,(30.00)\n'
        b'Bob,"$1,200.50",7.5%,40\n'
    )
    table = load_table(data)
    assert all(is_float_dtype(table[c].dtype) for c in ["income", "share", "balance"])
    assert rows(table) == [["Ada", 15000.0, 12.0, -30.0], ["Bob", 1200.5, 7.5, 40.0]]


def test_comma_with_three_digits_is_a_thousands_separator_even_in_a_semicolon_file() -> None:
    table = load_table(b"id;income\n1;1,234\n2;12,000\n3;950\n")
    assert table["income"].tolist() == [1234.0, 12000.0, 950.0]


def test_comma_with_other_digit_counts_is_the_decimal_mark() -> None:
    table = load_table(b"id;income\n1;1,5\n2;12,000\n3;1234,25\n")
    assert table["income"].tolist() == [1.5, 12.0, 1234.25]


def test_dot_groups_are_thousands_in_a_semicolon_file_and_decimals_in_a_comma_file() -> None:
    assert load_table(b"id;n\n1;1.234\n2;12.000\n")["n"].tolist() == [1234.0, 12000.0]
    assert load_table(b"id,n\n1,1.234\n2,12.000\n")["n"].tolist() == [1.234, 12.0]


def test_the_file_convention_breaks_a_tie() -> None:
    values = pd.Series(["1.200 EUR", "3.500 EUR"])
    assert parse_number_column(values).tolist() == [1.2, 3.5]
    assert parse_number_column(values, decimal_comma=True).tolist() == [1200.0, 3500.0]


def test_two_groups_decide_the_reading() -> None:
    assert parse_number_column(pd.Series(["1,234,567", "1,234"])).tolist() == [1234567.0, 1234.0]
    assert parse_number_column(pd.Series(["1.234.567", "1.234"])).tolist() == [1234567.0, 1234.0]


def test_blank_cells_and_dashes_are_missing() -> None:
    parsed = parse_number_column(pd.Series(["$5", "", None, "-", "  "], dtype=object))
    assert parsed is not None
    assert parsed.iloc[0] == 5.0
    assert parsed.iloc[1:].isna().all()


def test_a_few_stray_words_in_a_number_column_become_missing() -> None:
    values = pd.Series(["$10"] * 39 + ["unknown"])
    parsed = parse_number_column(values)
    assert parsed is not None
    assert parsed.isna().sum() == 1
    assert parsed.iloc[0] == 10.0


def test_a_column_with_many_words_stays_text() -> None:
    assert parse_number_column(pd.Series(["$10"] * 18 + ["unknown", "n/a yet"])) is None


@pytest.mark.parametrize(
    "values",
    [
        ["00123", "00456", "789"],  # customer codes
        ["+44 20 7946 0958", "+1 555 123 4567"],  # phone numbers
        ["+44 207 946 095", "+33 612 345 678"],  # phone numbers that look grouped
        ["020 7946 0958", "0161 496 0000"],  # national phone numbers
        ["2024-01-05", "2024-02-05"],  # ISO dates
        ["05/01/2024", "6/2/2024"],  # slashed dates
        ["05.01.2024", "06.02.2024"],  # dotted dates
        ["12:30", "13:45"],  # times
        ["Ada", "Grace"],  # names
        ["10 apples", "12 pears"],  # mixed text
        ["A-1001", "A-1002"],  # order codes
    ],
)
def test_things_that_are_not_quantities_stay_text(values: list[str]) -> None:
    assert parse_number_column(pd.Series(values)) is None


def test_codes_with_leading_zeros_stay_text_in_a_csv() -> None:
    table = load_table(b"customer_code,zip,spend\n00123,02134,10\n00456,90210,20\n")
    assert table["customer_code"].tolist() == ["00123", "00456"]
    assert table["zip"].tolist() == ["02134", "90210"]
    assert table["spend"].tolist() == [10, 20]


def test_quoted_thousands_do_not_make_integer_columns_look_like_codes() -> None:
    table = load_table(b'id,spend\n1,"12,045"\n2,"3,001"\n')
    assert is_numeric_dtype(table["id"].dtype)
    assert table["spend"].tolist() == [12045.0, 3001.0]


def test_phone_numbers_and_dates_stay_text_in_a_csv() -> None:
    data = b"phone,joined,spend\n+44 20 7946 0958,2024-01-05,10\n+1 555 123 4567,2024-02-05,20\n"
    table = load_table(data)
    assert table["phone"].tolist() == ["+44 20 7946 0958", "+1 555 123 4567"]
    assert table["joined"].tolist() == ["2024-01-05", "2024-02-05"]
    assert is_string_dtype(table["phone"].dtype) and is_string_dtype(table["joined"].dtype)


def test_infinity_is_not_a_measurement() -> None:
    assert math.isnan(load_table(b"a,b\ninf,1\n2,3\n")["a"].iloc[0])


def test_parse_number_column_keeps_index_and_name_and_handles_numeric_input() -> None:
    values = pd.Series(["$1", "$2"], index=[10, 20], name="spend")
    parsed = parse_number_column(values)
    assert parsed is not None
    assert parsed.index.tolist() == [10, 20] and parsed.name == "spend"
    assert parse_number_column(pd.Series([1, 2])).tolist() == [1.0, 2.0]
    assert parse_number_column(pd.Series([True, False])) is None
    assert parse_number_column(pd.Series([None, None], dtype=object)) is None


def test_placeholders_at_the_top_do_not_hide_a_number_column() -> None:
    values = pd.Series(["-"] * 6_000 + ["$1,000"] * 600)
    parsed = parse_number_column(values)
    assert parsed is not None
    assert parsed.isna().sum() == 6_000 and parsed.iloc[-1] == 1000.0


def test_a_large_number_column_is_parsed_whole() -> None:
    rng = np.random.default_rng(7)
    amounts = rng.integers(0, 10_000_000, 200_000) / 100
    written = pd.Series([f"€{a:,.2f}" for a in amounts])
    parsed = parse_number_column(written)
    assert parsed is not None
    np.testing.assert_allclose(parsed.to_numpy(), amounts)


# --- errors a person can cause ----------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t "])
def test_empty_file(data: bytes) -> None:
    assert "empty" in unreadable(data)


@pytest.mark.parametrize("data", [b"name,age\n", b"name,age\n\n,\n  \n", "\ufeffa;b\r\n".encode()])
def test_header_without_rows(data: bytes) -> None:
    assert "header but no rows" in unreadable(data)


def test_sign_in_page_instead_of_a_file() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>...</body></html>"
    assert "web page" in unreadable(page, filename="customers.csv")


def test_binary_junk() -> None:
    junk = bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8))
    sentence = unreadable(junk, filename="customers.csv")
    assert "CSV" in sentence


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ".xls"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"\x1f\x8b\x08\x00" + bytes(40), "compressed"),
    ],
)
def test_other_formats_are_named_and_csv_or_xlsx_is_suggested(data: bytes, named: str) -> None:
    sentence = unreadable(data, filename="upload")
    assert named in sentence
    assert "CSV" in sentence and ".xlsx" in sentence


def test_opendocument_spreadsheet() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    sentence = unreadable(buffer.getvalue(), filename="customers.ods")
    assert ".ods" in sentence and ".xlsx" in sentence


def test_a_plain_zip_archive() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("customers.csv", "a,b\n1,2\n")
    assert "Unpack" in unreadable(buffer.getvalue(), filename="export.zip")


def test_json_and_xml_are_not_tables() -> None:
    assert "JSON" in unreadable(b'[{"name": "Ada", "age": 36}]')
    assert "XML" in unreadable(b'<?xml version="1.0"?><rows><row a="1"/></rows>')


def test_ragged_row_names_the_line() -> None:
    data = b"email,spend\nada@example.com,10\nbob@example.com,20,30\ngrace@example.com,5\n"
    sentence = unreadable(data)
    assert "Line 3" in sentence and "3 values" in sentence and "2 columns" in sentence
    assert "example.com" not in sentence  # personal data is never echoed
    # Lines above the header still count, as in the user's text editor.
    assert "Line 6" in unreadable(b"\n,,\nsep=,\n" + data)


# --- title and note lines above the header ---------------------------------------------

_EXPORT = "CustomerID,Name,Annual Income,Spending Score\n1,Ann,15,39\n2,Bob,16,81\n3,Cy,17,6\n"
_EXPORT_ROWS = [[1, "Ann", 15, 39], [2, "Bob", 16, 81], [3, "Cy", 17, 6]]


def test_one_title_line_above_the_header_is_skipped() -> None:
    table = load_table(("Report: Q1 sales\n" + _EXPORT).encode())
    assert list(table.columns) == ["CustomerID", "Name", "Annual Income", "Spending Score"]
    assert rows(table) == _EXPORT_ROWS


def test_two_title_lines_and_a_blank_line_above_the_header_are_skipped() -> None:
    preamble = "Customer export 2024\nGenerated by ShopCRM on 2024-03-01\n\n"
    table = load_table((preamble + _EXPORT).encode())
    assert list(table.columns) == ["CustomerID", "Name", "Annual Income", "Spending Score"]
    assert rows(table) == _EXPORT_ROWS


def test_title_with_a_comma_above_a_wider_header_is_skipped() -> None:
    table = load_table(('"Customers, all regions"\nExported, 2024-03-01\n' + _EXPORT).encode())
    assert rows(table) == _EXPORT_ROWS


def test_semicolon_file_with_a_title_keeps_its_decimal_commas() -> None:
    table = load_table(b"Customer export 2024\nid;spend;visits\n1;12,5;3\n2;1.234,56;4\n3;7;5\n")
    assert list(table.columns) == ["id", "spend", "visits"]
    assert table["spend"].tolist() == [12.5, 1234.56, 7.0]


def test_title_with_crlf_line_endings() -> None:
    table = load_table(b"Customer export 2024\r\n\r\nid,spend\r\n1,10\r\n2,20\r\n")
    assert list(table.columns) == ["id", "spend"]
    assert rows(table) == [[1, 10], [2, 20]]


def test_title_after_an_excel_separator_hint() -> None:
    table = load_table(b"sep=;\nCustomer export\nid;spend\n1;2,5\n3;4\n")
    assert list(table.columns) == ["id", "spend"]
    assert rows(table) == [[1, 2.5], [3, 4.0]]


def test_ragged_row_below_a_title_names_the_line_as_the_editor_counts_it() -> None:
    data = b"email,spend\nada@example.com,10\nbob@example.com,20,30\ngrace@example.com,5\n"
    sentence = unreadable(b"Customers\r\nGenerated today\r\n\r\n" + data)
    assert "Line 6" in sentence and "3 values" in sentence and "2 columns" in sentence
    assert "example.com" not in sentence


@pytest.mark.parametrize(
    "data", [b"spend\n10\n20\n30\n", b"Customer\nAda Lovelace\nGrace Hopper\n"]
)
def test_a_single_column_file_keeps_its_first_line(data: bytes) -> None:
    first, *rest = data.decode().splitlines()
    table = load_table(data)
    assert list(table.columns) == [first]
    assert len(table) == len(rest)


def test_commas_in_a_single_column_of_words_are_reported_not_guessed_away() -> None:
    # No column of numbers tells a header from a row here, so the first line stays the header.
    assert "Row 1" in unreadable(b"note\nsee below, please\nlater, maybe\n")


@pytest.mark.parametrize(
    "data",
    [
        b"name,city\nAnn,Paris,3\nBob,Rome,4\n",  # a real header, rows one value too long
        b"a,b\n1,2,3\n4,5,6\n",
        b"name,spend\nDoe, Jane,10\nBob,20\n",
    ],
)
def test_a_real_header_is_never_taken_for_a_title(data: bytes) -> None:
    assert "more values than the header" in unreadable(data)


def test_a_header_as_wide_as_its_rows_loads_as_before() -> None:
    table = load_table(b"Customer export 2024,,,\n" + _EXPORT.encode())
    assert list(table.columns) == ["Customer export 2024", "column_2", "column_3", "column_4"]
    assert rows(table)[0] == ["CustomerID", "Name", "Annual Income", "Spending Score"]


def test_the_pipeline_segments_a_file_with_a_title_line() -> None:
    from segmentation import generate_customers, run

    csv_text = generate_customers(200).to_csv(index=False)
    result = run(("Mall customers, exported 2024-03-01\n\n" + csv_text).encode())
    assert result.rows == 200
    assert result.k == 5 and len(result.segments) == 5
    assert "Annual Income (k$)" in result.features


def test_xlsx_title_rows_above_the_header_are_skipped(make_xlsx: MakeXlsx) -> None:
    data = make_xlsx(
        [
            ["Customer export 2024"],
            [None, "Generated by ShopCRM"],
            [],
            ["CustomerID", "Name", "Annual Income", "Spending Score"],
            [1, "Ann", 15, 39],
            [2, "Bob", 16, 81],
            [3, "Cy", 17, 6],
        ]
    )
    table = load_table(data, filename="export.xlsx")
    assert list(table.columns) == ["CustomerID", "Name", "Annual Income", "Spending Score"]
    assert rows(table) == _EXPORT_ROWS


def test_xlsx_header_with_unnamed_columns_is_kept(make_xlsx: MakeXlsx) -> None:
    data = make_xlsx([["Name"], ["Ann", "Paris", 3], ["Bob", "Rome", 4]])
    table = load_table(data, filename="export.xlsx")
    assert list(table.columns) == ["Name", "column_2", "column_3"]
    assert rows(table) == [["Ann", "Paris", 3], ["Bob", "Rome", 4]]


def test_first_row_longer_than_the_header_is_not_silently_shifted() -> None:
    sentence = unreadable(b"name,spend\nDoe, Jane,10\nBob,20\n")
    assert "Row 1" in sentence and "more values than the header" in sentence
    assert "Jane" not in sentence


def test_unclosed_quote() -> None:
    sentence = unreadable(b'a,b\n1,2\n"3,4\n5,6\n')
    assert "never closed" in sentence and "line 3" in sentence


def test_file_named_xlsx_that_is_not_a_workbook() -> None:
    assert ".xlsx" in unreadable(b"a,b\n1,2\n", filename="customers.xlsx")
    page = b"<html><head><title>Sign in</title></head></html>"
    assert "web page" in unreadable(page, filename="customers.xlsx")


def test_damaged_workbook(make_xlsx: MakeXlsx) -> None:
    workbook = make_xlsx([["a", "b"], [1, 2]])
    sentence = unreadable(workbook[: len(workbook) // 2], filename="customers.xlsx")
    assert "damaged" in sentence and "CSV" in sentence


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="can't find"):
        load_table(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFile, match="folder"):
        load_table(tmp_path)


# --- limits -------------------------------------------------------------------------------


def test_too_many_bytes_as_bytes() -> None:
    with pytest.raises(FileTooLarge) as caught:
        load_table(b"a,b\n" + b"1,2\n" * 400_000, limits=Limits(max_bytes=1024 * 1024))
    assert "1.5 MB" in str(caught.value) and "limit of 1.0 MB" in str(caught.value)


def test_huge_file_on_disk_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"a,b\n1,2\n")
        handle.truncate(5 * 1024**3)  # sparse: 5 GB on paper, nothing on disk
    with pytest.raises(FileTooLarge) as caught:
        load_table(path, limits=Limits(max_bytes=200 * 1024 * 1024))
    assert "5,120 MB" in str(caught.value) and "200 MB" in str(caught.value)


def test_within_the_byte_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert rows(load_table(path, limits=Limits(max_bytes=8))) == [[1, 2]]
    with pytest.raises(FileTooLarge):
        load_table(path, limits=Limits(max_bytes=7))


def test_too_many_rows_as_bytes_and_as_path(tmp_path: Path) -> None:
    data = b"a,b\n" + b"1,2\n" * 1_500
    path = tmp_path / "rows.csv"
    path.write_bytes(data)
    for source in (data, path, str(path)):
        with pytest.raises(TooManyRows) as caught:
            load_table(source, limits=Limits(max_rows=1_000))
        assert "1,500" in str(caught.value) and "1,000" in str(caught.value)
    assert len(load_table(data, limits=Limits(max_rows=1_500))) == 1_500


def test_too_many_rows_in_a_workbook(make_xlsx: MakeXlsx) -> None:
    workbook = make_xlsx([["a", "b"]] + [[i, i] for i in range(30)])
    with pytest.raises(TooManyRows) as caught:
        load_table(workbook, limits=Limits(max_rows=20))
    assert "30" in str(caught.value) and "20" in str(caught.value)
    assert len(load_table(workbook, limits=Limits(max_rows=30))) == 30


# --- Excel ----------------------------------------------------------------------------------


def test_xlsx_first_sheet_only_with_typed_cells(make_xlsx: MakeXlsx) -> None:
    first = [
        [],  # a blank row above the header
        [" Name ", "Spend", "Joined", "Code", "Score", None, "Spend"],
        ["Ada", "€1,200.50", dt.datetime(2024, 1, 5), "00123", 5, None, 3],
        ["Bob", 300, dt.datetime(2024, 2, 5), "00456", 7.5, None, 4],
        [],
    ]
    second = [["Other"], ["not this one"]]
    workbook = make_xlsx(first, second)
    for name in ("customers.xlsx", None):
        table = load_table(workbook, filename=name)
        assert list(table.columns) == ["Name", "Spend", "Joined", "Code", "Score", "Spend_2"]
        assert rows(table) == [
            ["Ada", 1200.5, "2024-01-05", "00123", 5.0, 3],
            ["Bob", 300.0, "2024-02-05", "00456", 7.5, 4],
        ]


def test_xlsx_from_a_path(make_xlsx: MakeXlsx, tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_bytes(make_xlsx([["age", "income"], [30, 50_000], [40, 60_000]]))
    assert rows(load_table(path)) == [[30, 50_000], [40, 60_000]]


def test_empty_first_sheet(make_xlsx: MakeXlsx) -> None:
    assert "empty" in unreadable(make_xlsx([], [["a"], [1]]), filename="x.xlsx")


def test_xlsx_header_without_rows(make_xlsx: MakeXlsx) -> None:
    assert "header but no rows" in unreadable(make_xlsx([["a", "b"]]))


# --- the real files -----------------------------------------------------------------------


def test_mall_customers() -> None:
    table = load_table(shared_file("mall_customers.csv"))
    assert table.shape == (200, 5)
    assert list(table.columns) == [
        "CustomerID",
        "Genre",
        "Age",
        "Annual Income (k$)",
        "Spending Score (1-100)",
    ]
    assert is_numeric_dtype(table["Annual Income (k$)"].dtype)
    assert is_numeric_dtype(table["Spending Score (1-100)"].dtype)
    assert table["Annual Income (k$)"].between(15, 137).all()
    assert set(table["Genre"]) == {"Male", "Female"}


def test_mall_customers_from_bytes_as_excel_would_save_them() -> None:
    """The same table re-saved the European way (BOM, ';', CRLF) loads identically."""
    original = load_table(shared_file("mall_customers.csv"))
    european = original.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8-sig")
    pd.testing.assert_frame_equal(load_table(european), original)


def test_cdnow_orders() -> None:
    table = load_table(shared_file("cdnow_orders.csv"))
    assert len(table) == 69_659
    assert is_float_dtype(table["amount_usd"].dtype)
    assert is_string_dtype(table["order_date"].dtype)
    assert table["order_date"].min() == "1997-01-01"
    assert table["order_date"].max() == "1998-06-30"
    assert table["customer_id"].nunique() == 23_570


# --- any input: a table or a sentence, never anything else --------------------------------

_FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _table_or_sentence(data: bytes, filename: str | None = None) -> None:
    try:
        table = load_table(data, filename=filename, limits=Limits(max_rows=50))
    except SegmentationError as error:
        sentence = str(error)
        assert sentence and sentence.endswith(".") and "\n" not in sentence
        assert "Traceback" not in sentence and "Error tokenizing" not in sentence
        return
    assert isinstance(table, pd.DataFrame)
    assert len(table) >= 1 and len(table.columns) >= 1
    assert table.columns.is_unique
    assert all(isinstance(name, str) and name == name.strip() and name for name in table.columns)
    assert isinstance(table.index, pd.RangeIndex)


@_FUZZ
@given(st.binary(max_size=1000))
def test_any_bytes_give_a_table_or_a_sentence(data: bytes) -> None:
    _table_or_sentence(data)


@_FUZZ
@given(
    st.sampled_from([b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"<", b"["]),
    st.binary(max_size=300),
    st.sampled_from([None, "data.csv", "data.xlsx", "data.xls"]),
)
def test_bytes_behind_a_known_signature(prefix: bytes, rest: bytes, filename: str | None) -> None:
    _table_or_sentence(prefix + rest, filename)


_TEXT_PIECES = st.sampled_from(
    [",", ";", "\t", "|", '"', '""', "\n", "\r\n", "\r", " ", "\u00a0", "0", "1", "7", "00",
     "12", ".", "-", "(", ")", "%", "€", "$", "£", "USD", "a", "Zoë", "x y", "inf", "nan",
     "1,234", "1.234,5", "sep=;", "#", "\x0b", "é", "9" * 25]
)  # fmt: skip


@_FUZZ
@given(
    st.lists(_TEXT_PIECES, max_size=80).map("".join),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_any_delimited_text_gives_a_table_or_a_sentence(text: str, codec: str) -> None:
    _table_or_sentence(text.encode(codec, errors="replace"))


# Excel cells cannot hold control characters; openpyxl refuses them before we are involved.
_CELL_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8)


@settings(_FUZZ, max_examples=100)  # each example writes and reads a real workbook
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(), st.floats(), _CELL_TEXT), max_size=4),
        max_size=6,
    )
)
def test_any_workbook_gives_a_table_or_a_sentence(cells: list[list[object]]) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in cells:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    _table_or_sentence(buffer.getvalue(), "data.xlsx")


def test_the_currency_of_a_money_column_is_remembered() -> None:
    table = load_table('name,spend,visits\nA,"€1,200",3\nB,€15,5\nC,"€2,500.50",1\n'.encode())
    assert table["spend"].tolist() == [1200.0, 15.0, 2500.5]
    assert table.attrs["currency"] == {"spend": "€"}
    mixed = load_table(b"spend\n$12\n\xc2\xa315\n$3\n")
    assert "currency" not in mixed.attrs
