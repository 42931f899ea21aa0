"""Order logs: recognising them, reading their dates and amounts, and summarising per customer."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from segmentation import run
from segmentation.errors import NoUsableColumns, SegmentationError
from segmentation.explain.report import format_report
from segmentation.model.features import is_personal_header
from segmentation.output.export import export_csv
from segmentation.output.render import build_figure
from segmentation.read.orders import (
    CustomerTable,
    OrderColumns,
    build_customer_table,
    detect_order_log,
    find_order_columns,
    format_money,
    parse_dates,
)
from segmentation.read.table import load_table
from segmentation.result import SegmentationResult
from tests.support import SHARED_DATA

CDNOW = SHARED_DATA / "cdnow_orders.csv"
MALL = SHARED_DATA / "mall_customers.csv"

# Three customers, four orders, written in one date style per test; the expected per-customer
# facts do not depend on the style.
ISO_DATES = ["2024-01-05", "2024-03-14", "2024-02-20", "2024-03-01"]
DATE_FORMS = {
    "iso": ISO_DATES,
    "us": ["01/05/2024", "03/14/2024", "02/20/2024", "03/01/2024"],
    "european_slash": ["05/01/2024", "14/03/2024", "20/02/2024", "01/03/2024"],
    "european_dot": ["05.01.2024", "14.03.2024", "20.02.2024", "01.03.2024"],
    "iso_with_time_and_offset": [
        "2024-01-05T10:00:00+02:00",
        "2024-03-14T09:30:00+01:00",
        "2024-02-20T12:00:00Z",
        "2024-03-01T08:00:00-05:00",
    ],
    "us_with_time": ["1/5/2024 10:00", "3/14/2024 9:30", "2/20/2024 12:00", "3/1/2024 8:00"],
    "month_name": ["5 Jan 2024", "14 Mar 2024", "20 Feb 2024", "1 Mar 2024"],
    "utc_suffix": [
        "2024-01-05 10:00:00 UTC",
        "2024-03-14 09:30:00 UTC",
        "2024-02-20 12:00:00 UTC",
        "2024-03-01 08:00:00 UTC",
    ],
    "email_header_style": [
        "Fri, 05 Jan 2024 10:00:00 GMT",
        "Thu, 14 Mar 2024 09:30:00 GMT",
        "Tue, 20 Feb 2024 12:00:00 GMT",
        "Fri, 01 Mar 2024 08:00:00 GMT",
    ],
}


def small_log(dates: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "order_date": pd.array(dates, dtype="str"),
            "amount": [10.0, 30.0, 5.5, 100.0],
        }
    )


def generated_log(seed: int = 0, customers: int = 300) -> pd.DataFrame:
    """An order log where every customer orders 1 to 6 times over 2023."""
    rng = np.random.default_rng(seed)
    per_customer = rng.integers(1, 7, customers)
    cust = np.repeat(np.arange(1, customers + 1), per_customer)
    day = rng.integers(0, 365, len(cust))
    dates = (np.datetime64("2023-01-01") + day.astype("timedelta64[D]")).astype(str)
    return pd.DataFrame(
        {
            "Customer ID": cust,
            "Order Date": pd.array(dates, dtype="str"),
            "Total": rng.gamma(2.0, 25.0, len(cust)).round(2),
        }
    )


def csv_table(text: str) -> pd.DataFrame:
    return load_table(text.encode(), filename="orders.csv")


# --- recognising an order log -----------------------------------------------------------------


@pytest.mark.skipif(not CDNOW.exists(), reason="shared CDNOW data not available")
def test_cdnow_is_recognised_and_summarised_per_customer() -> None:
    df = pd.read_csv(CDNOW)
    cols = detect_order_log(df)
    assert cols == OrderColumns(
        customer="customer_id",
        date="order_date",
        amount="amount_usd",
        quantity="items",
        order_id=None,
        status=None,
    )
    table = build_customer_table(df, cols)
    assert table.customers_count == 23_570
    assert table.orders == table.orders_used == 69_659
    assert table.first_date == pd.Timestamp("1997-01-01")
    assert table.last_date == pd.Timestamp("1998-06-30")
    assert table.currency == "$"
    assert table.rows_dropped == 0 and table.refunds == 0 and table.cancelled == 0
    customers = table.customers
    # The key keeps the file's header and comes first, so rows map back to the file.
    assert table.key_column == "customer_id" and customers.columns[0] == "customer_id"
    assert len(customers) == 23_570 and customers["customer_id"].is_unique
    assert customers["frequency"].sum() == 69_659
    assert customers["monetary"].sum() == pytest.approx(df["amount_usd"].sum(), rel=1e-9)
    # Customer 3 ordered six times between 1997-01-02 and 1998-05-28 (checked by hand).
    three = customers.set_index("customer_id").loc["3"]
    assert three["frequency"] == 6
    assert three["first_order"] == "1997-01-02" and three["last_order"] == "1998-05-28"
    assert three["recency_days"] == 33
    assert three["tenure_days"] == (pd.Timestamp("1998-06-30") - pd.Timestamp("1997-01-02")).days
    assert three["monetary"] == pytest.approx(df.loc[df.customer_id == 3, "amount_usd"].sum())


@pytest.mark.skipif(not MALL.exists(), reason="shared Mall Customers data not available")
def test_mall_customers_is_not_an_order_log() -> None:
    assert detect_order_log(pd.read_csv(MALL)) is None


def test_a_customer_table_with_a_last_purchase_date_is_not_an_order_log() -> None:
    # One row per customer, even with a date and a spend column, is a customer table.
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "customer_id": np.arange(500),
            "last_purchase_date": pd.array(
                (np.datetime64("2024-01-01") + rng.integers(0, 300, 500).astype("timedelta64[D]"))
                .astype(str)
                .tolist(),
                dtype="str",
            ),
            "total_spend": rng.gamma(2, 100, 500),
            "age": rng.integers(18, 80, 500),
        }
    )
    assert detect_order_log(df) is None


def test_mall_like_generated_table_is_not_an_order_log() -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "CustomerID": np.arange(1, 201),
            "Genre": pd.array(rng.choice(["Male", "Female"], 200), dtype="str"),
            "Age": rng.integers(18, 70, 200),
            "Annual Income (k$)": rng.integers(15, 140, 200),
            "Spending Score (1-100)": rng.integers(1, 100, 200),
        }
    )
    assert detect_order_log(df) is None


def test_headers_are_matched_in_any_case_and_spacing() -> None:
    df = generated_log()
    df.columns = ["CLIENT_ID", "purchase date", "Revenue"]
    cols = detect_order_log(df)
    assert cols is not None
    assert (cols.customer, cols.date, cols.amount) == ("CLIENT_ID", "purchase date", "Revenue")


def test_order_date_beats_ship_date_and_order_id_status_quantity_are_found() -> None:
    df = pd.DataFrame(
        {
            "InvoiceNo": ["A1", "A1", "A2", "A3", "A4"],
            "Ship Date": ["2024-01-09", "2024-01-09", "2024-02-09", "2024-03-09", "2024-03-10"],
            "Order Date": ["2024-01-02", "2024-01-02", "2024-02-02", "2024-03-02", "2024-03-03"],
            "Customer Email": ["a@x.com", "a@x.com", "a@x.com", "b@y.org", "b@y.org"],
            "Qty": [1, 2, 1, 1, 3],
            "Sales": [10.0, 20.0, 5.0, 7.0, 9.0],
            "Status": ["paid", "paid", "cancelled", "shipped", "paid"],
        }
    ).astype({c: "str" for c in ("InvoiceNo", "Ship Date", "Order Date", "Customer Email")})
    cols = detect_order_log(df)
    assert cols == OrderColumns(
        customer="Customer Email",
        date="Order Date",
        amount="Sales",
        quantity="Qty",
        order_id="InvoiceNo",
        status="Status",
    )


def test_columns_about_orders_are_not_taken_for_order_ids() -> None:
    # Merging rows by "order_status" or "order_channel" would merge a customer's orders.
    df = generated_log()
    df["order_status"] = pd.array(np.resize(["paid", "shipped"], len(df)), dtype="str")
    df["order_channel"] = pd.array(np.resize(["web", "shop", "app"], len(df)), dtype="str")
    df["purchase_ref"] = pd.array(np.resize(["A", "B"], len(df)), dtype="str")
    cols = detect_order_log(df)
    assert cols is not None
    assert cols.order_id is None and cols.status == "order_status"
    table = build_customer_table(df, cols)
    assert table.orders_used == len(df)


def test_a_us_state_column_is_not_taken_for_an_order_status() -> None:
    df = generated_log()
    df["State"] = pd.array(np.resize(["CA", "NY", "TX"], len(df)), dtype="str")
    cols = detect_order_log(df)
    assert cols is not None and cols.status is None


# --- forced mode ------------------------------------------------------------------------------


def test_forced_mode_accepts_a_log_without_amounts_and_says_so() -> None:
    df = generated_log().drop(columns=["Total"])
    assert detect_order_log(df) is None  # auto mode wants an amount
    cols = find_order_columns(df)
    assert cols.amount is None
    table = build_customer_table(df, cols)
    assert not table.has_amount
    assert "monetary" not in table.customers.columns
    assert "avg_order_value" not in table.customers.columns
    assert any("no amount column" in w for w in table.warnings)


def test_forced_mode_without_a_date_lists_the_columns() -> None:
    df = pd.DataFrame({"customer": ["a", "b", "a"], "colour": ["red", "blue", "red"]})
    with pytest.raises(NoUsableColumns) as caught:
        find_order_columns(df)
    message = str(caught.value)
    assert "date column" in message and "customer, colour" in message


def test_forced_mode_without_a_customer_lists_the_columns() -> None:
    df = pd.DataFrame({"when": ["2024-01-01", "2024-01-02"], "price": [1.0, 2.0]})
    with pytest.raises(NoUsableColumns, match="customer column .* The file has: when, price"):
        find_order_columns(df)


def test_forced_mode_finds_an_email_column_by_its_values() -> None:
    df = pd.DataFrame(
        {
            "contact_point": pd.array(["a@x.com", "b@x.com", "a@x.com"], dtype="str"),
            "day": pd.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="str"),
        }
    )
    cols = find_order_columns(df)
    assert cols.customer == "contact_point" and cols.date == "day"


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(DATE_FORMS))
def test_every_date_form_gives_the_same_customers(form: str) -> None:
    expected = build_customer_table(small_log(ISO_DATES), find_order_columns(small_log(ISO_DATES)))
    df = small_log(DATE_FORMS[form])
    cols = detect_order_log(df)
    assert cols is not None and cols.date == "order_date"
    table = build_customer_table(df, cols)
    assert table.rows_dropped == 0
    got = table.customers[["customer_id", "recency_days", "frequency", "tenure_days", "last_order"]]
    want = expected.customers[got.columns]
    pd.testing.assert_frame_equal(got, want)


def test_day_first_is_proven_by_a_day_above_twelve() -> None:
    parsed, note = parse_dates(pd.Series(["03/04/2024", "25/12/2024"], dtype="str"))
    assert parsed.tolist() == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-12-25")]
    assert note is None


def test_month_first_is_proven_by_a_second_field_above_twelve() -> None:
    parsed, note = parse_dates(pd.Series(["03/04/2024", "12/25/2024"], dtype="str"))
    assert parsed.tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-12-25")]
    assert note is None


def test_ambiguous_slash_dates_are_read_month_first_and_said() -> None:
    df = small_log(["01/05/2024", "03/10/2024", "02/11/2024", "03/01/2024"])
    table = build_customer_table(df, find_order_columns(df))
    assert table.last_date == pd.Timestamp("2024-03-10")
    assert any("month-first" in w for w in table.warnings)


def test_mixed_time_zones_are_converted_to_utc() -> None:
    parsed, _ = parse_dates(
        pd.Series(
            ["2024-03-14T23:30:00-05:00", "2024-03-15T04:30:00Z", "2024-03-15T06:30:00+02:00"],
            dtype="str",
        )
    )
    assert parsed.tolist() == [pd.Timestamp("2024-03-15 04:30")] * 3


def test_unreadable_dates_and_missing_customers_are_dropped_and_counted() -> None:
    df = pd.DataFrame(
        {
            "customer": pd.array(["a", "a", None, "b", "b", "c"], dtype="str"),
            "date": pd.array(
                ["2024-01-01", "2024-02-01", "2024-02-02", "not a date", "2024-03-01", ""],
                dtype="str",
            ),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    table = build_customer_table(df, find_order_columns(df))
    assert table.rows_dropped == 3
    assert table.customers_count == 2
    assert table.orders_used == 3
    assert any(
        "1 row had no customer and 2 rows had a date I couldn't read" in w for w in table.warnings
    )


def test_numeric_yyyymmdd_dates() -> None:
    parsed, _ = parse_dates(pd.Series([19970101, 19980630]))
    assert parsed.tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30")]


# --- amounts, refunds, cancellations, line items ----------------------------------------------


def test_amounts_in_a_loaded_csv_are_read() -> None:
    df = csv_table(
        "customer,date,amount\n"
        'a,2024-01-01,"€1,200.50"\n'
        'a,2024-02-01,"€15,000"\n'
        "b,2024-03-01,€99\n"
        "b,2024-03-02,€1\n"
    )
    cols = detect_order_log(df)
    assert cols is not None
    table = build_customer_table(df, cols)
    spend = table.customers.set_index("customer")["monetary"]
    assert spend.to_dict() == {"a": pytest.approx(16_200.5), "b": pytest.approx(100)}


def test_amounts_left_as_text_are_read_and_their_currency_seen() -> None:
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "date": pd.array(["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-02"], dtype="str"),
            "amount": pd.array(["£1,200.50", "£15,000", "£99", "-£1"], dtype="str"),
        }
    )
    cols = detect_order_log(df)
    assert cols is not None and cols.amount == "amount"
    table = build_customer_table(df, cols)
    spend = table.customers.set_index("customer_id")["monetary"]
    assert spend.to_dict() == {"1": pytest.approx(16_200.5), "2": pytest.approx(98)}
    assert table.currency == "£"
    assert "1 refund (−£1) was netted against spend." in table.warnings


def test_refunds_are_netted_and_counted_and_cancelled_orders_left_out() -> None:
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2, 3],
            "date": pd.array(
                [
                    "2024-01-01",
                    "2024-02-01",
                    "2024-02-10",
                    "2024-01-05",
                    "2024-03-01",
                    "2024-03-20",
                    "2024-03-30",
                ],
                dtype="str",
            ),
            "amount_usd": [100.0, 50.0, -30.0, 20.0, 40.0, 500.0, 10.0],
            "status": pd.array(
                ["complete", "complete", "complete", "complete", "Cancelled", "REFUNDED", "paid"],
                dtype="str",
            ),
        }
    )
    cols = detect_order_log(df)
    assert cols is not None and cols.status == "status"
    table = build_customer_table(df, cols)
    by = table.customers.set_index("customer_id")
    assert by.loc["1", "frequency"] == 2 and by.loc["1", "monetary"] == pytest.approx(120.0)
    assert by.loc["2", "frequency"] == 1 and by.loc["2", "monetary"] == pytest.approx(20.0)
    # The refund is not a purchase, so customer 1's last order is still 1 February.
    assert by.loc["1", "last_order"] == "2024-02-01"
    assert table.refunds == 1 and table.refunds_total == pytest.approx(-30.0)
    assert table.cancelled == 2
    assert (
        "1 refund (−$30) was netted against spend; "
        "2 cancelled, refunded or failed orders were left out."
    ) in table.warnings


def test_a_customer_with_only_refunds_is_left_out_and_said() -> None:
    df = pd.DataFrame(
        {
            "customer": pd.array(["a", "a", "b"], dtype="str"),
            "date": pd.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="str"),
            "amount": [10.0, 5.0, -7.0],
        }
    )
    table = build_customer_table(df, find_order_columns(df))
    assert table.customers_count == 1
    assert any("1 customer had only refunds or cancelled orders" in w for w in table.warnings)


def test_line_items_sharing_an_order_id_are_one_order() -> None:
    df = pd.DataFrame(
        {
            "order_id": pd.array(["o1", "o1", "o1", "o2", "o3", "o3"], dtype="str"),
            "customer_id": [7, 7, 7, 7, 8, 8],
            "order_date": pd.array(
                ["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-01", "2024-02-03"]
                + ["2024-02-03"],
                dtype="str",
            ),
            "quantity": [1, 2, 3, 1, 1, 1],
            "line_total": [5.0, 10.0, 15.0, 20.0, 1.0, 2.0],
        }
    )
    cols = detect_order_log(df)
    assert cols is not None and cols.order_id == "order_id" and cols.quantity == "quantity"
    table = build_customer_table(df, cols)
    by = table.customers.set_index("customer_id")
    assert by.loc["7", "frequency"] == 2
    assert by.loc["7", "monetary"] == pytest.approx(50.0)
    assert by.loc["7", "avg_order_value"] == pytest.approx(25.0)
    assert by.loc["7", "items"] == 7
    assert by.loc["8", "frequency"] == 1
    assert table.orders == 3
    assert any("6 rows, 3 orders" in w for w in table.warnings)


def test_unit_price_times_quantity_and_credit_notes_as_refunds() -> None:
    # The Online Retail layout: price per unit, and returns as invoices with negative quantity.
    df = pd.DataFrame(
        {
            "InvoiceNo": pd.array(["536365", "536365", "536366", "C536367"], dtype="str"),
            "Quantity": [6, 2, 1, -2],
            "InvoiceDate": pd.array(
                ["12/1/2010 8:26", "12/1/2010 8:26", "12/13/2010 9:00", "12/14/2010 10:00"],
                dtype="str",
            ),
            "UnitPrice": [2.55, 3.39, 10.0, 3.39],
            "CustomerID": [17850.0, 17850.0, 17850.0, 17850.0],
            "Country": pd.array(["United Kingdom"] * 4, dtype="str"),
        }
    )
    cols = detect_order_log(df)
    assert cols is not None and cols.amount == "UnitPrice" and cols.amount_is_unit_price
    table = build_customer_table(df, cols)
    row = table.customers.iloc[0]
    assert row["CustomerID"] == "17850"  # a float id read as written, not "17850.0"
    assert row["frequency"] == 2
    assert row["monetary"] == pytest.approx(6 * 2.55 + 2 * 3.39 + 10.0 - 2 * 3.39)
    assert table.refunds == 1


# --- customer keys and contact columns -------------------------------------------------------


def test_email_keys_are_grouped_and_kept_as_first_written() -> None:
    emails = ["Ann@Shop.com", " ann@shop.com", "bob@mail.org", "cy@corp.io", "bob@mail.org"]
    df = pd.DataFrame(
        {
            "email": pd.array(emails, dtype="str"),
            "created_at": pd.array(
                ["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-03", "2024-02-01"], dtype="str"
            ),
            "total": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    table = build_customer_table(df, find_order_columns(df))
    customers = table.customers
    # The marketer's own key, under the file's header, so each row maps back to a person.
    assert table.key_column == "email" and customers.columns[0] == "email"
    assert customers["email"].tolist() == ["Ann@Shop.com", "bob@mail.org", "cy@corp.io"]
    assert customers["frequency"].tolist() == [2, 2, 1]
    assert table.contact_columns == ()  # the key is the e-mail; nothing else to carry


def test_name_keys_are_kept_as_written() -> None:
    df = pd.DataFrame(
        {
            "customer": pd.array(["Maria Lopez", "Maria Lopez", "John Smith"], dtype="str"),
            "date": pd.array(["2024-01-01", "2024-01-05", "2024-01-02"], dtype="str"),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    table = build_customer_table(df, find_order_columns(df))
    assert table.customers["customer"].tolist() == ["Maria Lopez", "John Smith"]


def test_keys_with_leading_zeros_stay_text_as_written() -> None:
    df = csv_table(
        "Customer ID,Order Date,Total\n"
        "00123,2024-01-01,10\n"
        "0042,2024-01-02,20\n"
        "00123,2024-02-01,5\n"
        "0042,2024-02-03,7\n"
    )
    cols = detect_order_log(df)
    assert cols is not None and cols.customer == "Customer ID"
    table = build_customer_table(df, cols)
    assert table.customers["Customer ID"].tolist() == ["00123", "0042"]
    assert table.customers["monetary"].tolist() == [15.0, 27.0]


def contact_log() -> pd.DataFrame:
    """Two customers by id; customer 1 changed phone and name over time."""
    return csv_table(
        "Customer ID,Order Date,Total,Email,First Name,Last Name,Phone,Billing City,"
        "Lineitem name,Company Name\n"
        # The newest order comes first in the file: "latest" means by date, not by row.
        "1,2024-03-01,10,ann.new@shop.com,Ann,Lee-Smith,,Leeds,Mug,Acme Ltd\n"
        "1,2024-01-01,20,ann@shop.com,Ann,Lee,+44 113 496 0000,Leeds,Tote,Acme Ltd\n"
        "2,2024-01-05,30,bo@mail.org,Bo,Chan,+44 20 7946 0001,London,Mug,Chan & Co\n"
        "1,2024-02-01,40,ann@shop.com,Ann,Lee,+44 113 496 0999,Leeds,Mug,Acme Ltd\n"
        "2,2024-02-10,50,,,,,London,Tea,Chan & Co\n"
    )


def test_contact_columns_carry_each_customers_latest_value() -> None:
    df = contact_log()
    cols = detect_order_log(df)
    assert cols is not None and cols.customer == "Customer ID"
    table = build_customer_table(df, cols)
    customers = table.customers
    assert table.contact_columns == ("Email", "First Name", "Last Name", "Phone")
    assert list(customers.columns[:6]) == ["Customer ID", *table.contact_columns, "recency_days"]
    by = customers.set_index("Customer ID")
    # Customer 1's newest order has a new address and surname but no phone: the newest phone
    # written anywhere is from 1 February.
    assert by.loc["1", ["Email", "Last Name", "Phone"]].tolist() == [
        "ann.new@shop.com",
        "Lee-Smith",
        "+44 113 496 0999",
    ]
    # Customer 2's newest row is blank: the older values stay.
    assert by.loc["2", ["Email", "First Name", "Phone"]].tolist() == [
        "bo@mail.org",
        "Bo",
        "+44 20 7946 0001",
    ]
    assert by.loc["2", "monetary"] == 80.0
    # Cities, products and companies are not contacts.
    assert not {"Billing City", "Lineitem name", "Company Name"} & set(customers.columns)


def test_carried_contact_headers_are_ones_the_exports_recognise_as_personal() -> None:
    table = build_customer_table(contact_log(), detect_order_log(contact_log()))
    assert all(is_personal_header(h) for h in table.contact_columns)


def test_code_keys_are_kept() -> None:
    df = pd.DataFrame(
        {
            "customer": pd.array(["CU-001", "CU-001", "CU-002"], dtype="str"),
            "date": pd.array(["2024-01-01", "2024-01-05", "2024-01-02"], dtype="str"),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    table = build_customer_table(df, find_order_columns(df))
    assert table.customers["customer"].tolist() == ["CU-001", "CU-002"]


# --- errors and formatting --------------------------------------------------------------------


def test_a_log_with_only_cancelled_orders_is_a_clear_error() -> None:
    df = pd.DataFrame(
        {
            "customer": pd.array(["a", "b"], dtype="str"),
            "date": pd.array(["2024-01-01", "2024-01-02"], dtype="str"),
            "status": pd.array(["cancelled", "void"], dtype="str"),
        }
    )
    with pytest.raises(SegmentationError, match="cancelled or a refund"):
        build_customer_table(df, find_order_columns(df))


def test_no_readable_dates_is_a_clear_error() -> None:
    df = pd.DataFrame(
        {"customer": pd.array(["a", "b"], dtype="str"), "date": pd.array(["x", "y"], dtype="str")}
    )
    cols = OrderColumns("customer", "date", None, None, None, None)
    with pytest.raises(SegmentationError, match="date I can read"):
        build_customer_table(df, cols)


def test_money_is_written_for_people() -> None:
    assert format_money(1234.4, "$") == "$1,234"
    assert format_money(12.5, "€") == "12.50 €"
    assert format_money(745, "CHF ") == "CHF 745"
    assert format_money(96_437, "£", approximate=True) == "£96,400"
    assert format_money(-340, "$") == "−$340"
    assert format_money(99, None) == "99"


# --- Shopify-style exports: one row per line item ---------------------------------------------

SHOPIFY_HEADERS = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Billing Name",
    "Billing Street",
    "Billing City",
    "Billing Zip",
    "Billing Phone",
    "Cancelled at",
    "Refunded Amount",
]
_PRODUCTS = [
    ("Ceramic Mug", 18.0),
    ("Linen Tote", 29.5),
    ("Oak Coaster Set", 24.0),
    ("Tea Sampler", 12.75),
    ("Notebook A5", 9.9),
]
_FIRST = ["Anna", "Lukas", "Marie", "Jonas", "Sofia", "Felix", "Emma", "Paul", "Lea", "Noah"]
_LAST = ["Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch"]
_CITIES = [("Berlin", "10115"), ("Hamburg", "20095"), ("Dresden", "01067"), ("Köln", "50667")]


@dataclass(frozen=True)
class ShopifyExport:
    """A generated export and what is true about it."""

    csv: bytes
    frequency: dict[str, int]  # e-mail -> orders that were not cancelled
    monetary: dict[str, float]  # e-mail -> sum of those orders' Total less Refunded Amount
    partly_refunded: int  # orders refunded in part
    line_rows: int  # rows after an order's first
    personal: list[str]  # e-mails, billing names, streets and phones, none to be shown
    people: list[dict[str, str]]  # every customer's e-mail, name, street, city, zip and phone


def shopify_export(seed: int = 7, customers: int = 200) -> ShopifyExport:
    """Shopify's order export: order-level columns on an order's first row only, one row per
    line item, orders numbered #1001 up in time order, a few refunds and cancellations, and
    "Refunded Amount" on every order's first row (the money given back, often 0.00)."""
    rng = np.random.default_rng(seed)
    people = []
    placed: list[tuple[int, np.datetime64]] = []
    for c in range(customers):
        first, last = _FIRST[rng.integers(len(_FIRST))], _LAST[rng.integers(len(_LAST))]
        city, zip_code = _CITIES[rng.integers(len(_CITIES))]
        people.append(
            {
                "email": f"{first.lower()}.{last.lower()}{c}@example.{('com', 'de', 'net')[c % 3]}",
                "name": f"{first} {last}",
                "street": f"Lindenallee {c + 1}",
                "city": city,
                "zip": zip_code,
                "phone": f"+49 30 {5_550_000 + c}",
            }
        )
        for _ in range(int(rng.choice([1, 1, 1, 2, 2, 3, 4, 6]))):
            offset = np.timedelta64(int(rng.integers(0, 300 * 86_400)), "s")
            placed.append((c, np.datetime64("2023-06-01T00:00:00") + offset))
    placed.sort(key=lambda order: order[1])

    frequency: dict[str, int] = {}
    partly_refunded = 0
    monetary: dict[str, float] = {}
    rows: list[list[object]] = []
    for number, (c, when) in enumerate(placed, start=1001):
        person = people[c]
        lines = [
            (int(rng.integers(1, 4)), *_PRODUCTS[rng.integers(len(_PRODUCTS))])
            for _ in range(int(rng.choice([1, 1, 2, 3])))
        ]
        subtotal = round(sum(qty * price for qty, _, price in lines), 2)
        shipping = 0.0 if subtotal >= 50 else 4.9
        total = round(subtotal + shipping, 2)
        offset = "+0200" if 4 <= when.astype(object).month <= 10 else "+0100"
        created = f"{str(when).replace('T', ' ')} {offset}"
        later = f"{str(when + np.timedelta64(2, 'D')).replace('T', ' ')} {offset}"
        draw = rng.random()
        status, cancelled_at, refunded = "paid", "", 0.0
        if draw < 0.04:
            status, cancelled_at, refunded = "refunded", later, total  # cancelled and refunded
        elif draw < 0.07:
            status, refunded = "refunded", total  # refunded without cancelling
        elif draw < 0.09:
            status, cancelled_at = "voided", later
        elif draw < 0.11:
            status, cancelled_at = "pending", later  # only "Cancelled at" says it
        elif draw < 0.13:
            # Still a purchase, worth its total less the money given back.
            status, refunded = "partially_refunded", round(total * rng.uniform(0.1, 0.6), 2)
            partly_refunded += 1
        elif draw < 0.16:
            status = "pending"
        if not cancelled_at and status not in ("refunded", "voided"):
            frequency[person["email"]] = frequency.get(person["email"], 0) + 1
            monetary[person["email"]] = monetary.get(person["email"], 0.0) + total - refunded
        # Some exports repeat the order's date on its other lines, others leave it blank.
        line_date = created if number % 2 else ""
        for index, (qty, product, price) in enumerate(lines):
            if index == 0:
                paid = "" if status == "pending" else created
                fulfilled = "fulfilled" if status == "paid" else "unfulfilled"
                order_level = [status, paid, fulfilled, "EUR", f"{subtotal:.2f}"]
                order_level += [f"{shipping:.2f}", f"{subtotal * 0.19 / 1.19:.2f}", f"{total:.2f}"]
                order_level += ["WELCOME10" if rng.random() < 0.1 else "", created]
                billing = [person[k] for k in ("name", "street", "city", "zip", "phone")]
            else:
                order_level = [""] * 9 + [line_date]
                billing = [""] * 5
            rows.append(
                [f"#{number}", person["email"], *order_level, qty, product, f"{price:.2f}"]
                + [*billing, *([cancelled_at, f"{refunded:.2f}"] if index == 0 else ["", ""])]
            )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SHOPIFY_HEADERS)
    writer.writerows(rows)
    personal = [p[k] for p in people for k in ("email", "name", "street", "phone")]
    return ShopifyExport(
        csv=out.getvalue().encode(),
        frequency=frequency,
        monetary={email: round(spend, 2) for email, spend in monetary.items()},
        partly_refunded=partly_refunded,
        line_rows=len(rows) - len(placed),
        personal=personal,
        people=people,
    )


@pytest.fixture(scope="module")
def shopify() -> ShopifyExport:
    return shopify_export()


def test_shopify_export_columns_are_recognised(shopify: ShopifyExport) -> None:
    df = load_table(shopify.csv, filename="orders_export.csv")
    cols = detect_order_log(df)
    assert cols is not None
    assert (cols.customer, cols.date, cols.amount) == ("Email", "Created at", "Total")
    assert cols.order_id == "Name"  # "#1001" is the order number, not a person's name
    assert cols.status == "Financial Status" and cols.cancelled_at == "Cancelled at"
    assert cols.refunded == "Refunded Amount"
    assert cols.quantity == "Lineitem quantity" and not cols.amount_is_unit_price


def test_shopify_line_items_belong_to_their_order(shopify: ShopifyExport) -> None:
    df = load_table(shopify.csv, filename="orders_export.csv")
    cols = detect_order_log(df)
    assert cols is not None
    table = build_customer_table(df, cols)
    assert table.line_items == shopify.line_rows > 100
    assert table.rows_dropped == 0
    assert not any("couldn't read" in w for w in table.warnings)
    got = table.customers.set_index("Email")
    assert set(got.index) == set(shopify.frequency)
    emails = list(shopify.frequency)
    assert got.loc[emails, "frequency"].tolist() == list(shopify.frequency.values())
    np.testing.assert_allclose(got.loc[emails, "monetary"], [shopify.monetary[e] for e in emails])
    assert table.orders_used == sum(shopify.frequency.values())
    assert table.cancelled == table.orders - table.orders_used > 0
    assert table.partly_refunded == shopify.partly_refunded > 5
    assert any("partly refunded orders were counted less the money refunded" in w
               for w in table.warnings)  # fmt: skip
    assert table.currency is None or table.currency == "€"
    # The billing name and phone come along (from the order's first row); the street does not.
    assert table.contact_columns == ("Billing Name", "Billing Phone")
    person = {p["email"]: p for p in shopify.people}
    assert got["Billing Name"].tolist() == [person[e]["name"] for e in got.index]
    assert got["Billing Phone"].tolist() == [person[e]["phone"] for e in got.index]


def picture_texts(result: SegmentationResult) -> str:
    fig = build_figure(result)
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def test_shopify_personal_data_is_only_in_the_exported_file(shopify: ShopifyExport) -> None:
    result = run(shopify.csv, filename="orders_export.csv")
    assert result.rows_used == len(shopify.frequency)
    shown = "\n".join(
        [
            json.dumps(result.to_dict(), ensure_ascii=False),
            format_report(result),
            format_report(result, markdown=True, image="segments.png"),
            picture_texts(result),
        ]
    )
    assert "@" not in shown
    assert [value for value in shopify.personal if value in shown] == []
    # The exported table is keyed by the e-mail as written, with the customers' billing names
    # and phones, for the marketer's own use; their streets stay out.
    exported = list(csv.DictReader(io.StringIO(export_csv(result).decode("utf-8-sig"))))
    assert list(exported[0])[:3] == ["Email", "Billing Name", "Billing Phone"]
    assert sorted(row["Email"] for row in exported) == sorted(shopify.frequency)
    rows = {row["Email"]: row for row in exported}
    for email in shopify.frequency:
        person = next(p for p in shopify.people if p["email"] == email)
        assert rows[email]["Billing Name"] == person["name"]
        # A leading "+" may be neutralised with an apostrophe: the export is formula-safe.
        assert rows[email]["Billing Phone"].removeprefix("'") == person["phone"]
    assert not any(p["street"] in export_csv(result).decode() for p in shopify.people)
    # The customers are those with a purchase, at their true order counts.
    assert sorted(result.table["frequency"]) == sorted(shopify.frequency.values())


def test_the_cli_shows_no_contact_data_but_writes_it_to_segments_csv(
    shopify: ShopifyExport, tmp_path: Path
) -> None:
    source = tmp_path / "orders_export.csv"
    source.write_bytes(shopify.csv)
    outputs = []
    for args in (["--out", str(tmp_path / "out")], ["--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "segmentation.cli", str(source), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs += [done.stdout, done.stderr]
    outputs.append((tmp_path / "out" / "report.md").read_text(encoding="utf-8"))
    shown = "\n".join(outputs)
    assert "@" not in shown
    assert [value for value in shopify.personal if value in shown] == []
    exported = (tmp_path / "out" / "segments.csv").read_text(encoding="utf-8-sig")
    assert all(email in exported for email in shopify.frequency)


def test_an_unreadable_amount_on_a_line_row_is_still_reported() -> None:
    # Order #1001 has a second line (blank amount); #1002's amount is text, not a blank.
    names = ["#1001", "#1001", "#1002"] + [f"#{n}" for n in range(1003, 1023)]
    totals = ["10.00", "", "ten"] + ["5.00"] * 20
    df = pd.DataFrame(
        {
            "Name": pd.array(names, dtype="str"),
            "Email": pd.array(
                ["a@x.io", "a@x.io", "b@x.io"] + ["a@x.io", "b@x.io"] * 10, dtype="str"
            ),
            "Created at": pd.array(["2024-01-01", ""] + ["2024-01-02"] * 21, dtype="str"),
            "Total": pd.array(totals, dtype="str"),
        }
    )
    cols = detect_order_log(df)
    assert cols is not None and cols.order_id == "Name" and cols.amount == "Total"
    table = build_customer_table(df, cols)
    assert table.line_items == 1
    assert table.rows_dropped == 1
    assert any("1 row had an amount I couldn't read" in w for w in table.warnings)
    assert table.customers.set_index("Email").loc["a@x.io", "monetary"] == 60.0


def test_the_same_order_number_under_two_customers_is_two_orders() -> None:
    # Some shops number orders per customer: a blank amount is never borrowed across customers.
    df = pd.DataFrame(
        {
            "order_no": [1, 1, 1, 2],
            "customer_id": [7, 7, 8, 8],
            "order_date": pd.array(["2024-01-01"] * 4, dtype="str"),
            "total": [30.0, np.nan, np.nan, 12.0],
        }
    )
    table = build_customer_table(df, find_order_columns(df))
    by = table.customers.set_index("customer_id")
    assert table.line_items == 1
    assert by.loc["7", "frequency"] == 1 and by.loc["7", "monetary"] == 30.0
    assert by.loc["8", "frequency"] == 1 and by.loc["8", "monetary"] == 12.0
    assert any("1 row had an amount I couldn't read" in w for w in table.warnings)


# --- WooCommerce-style exports: the order's total repeated on every line ----------------------

WOO_HEADERS = [
    "Order Number",
    "Order Status",
    "Order Date",
    "First Name (Billing)",
    "Last Name (Billing)",
    "Email (Billing)",
    "Phone (Billing)",
    "Order Subtotal Amount",
    "Order Shipping Amount",
    "Order Refund Amount",
    "Order Total Amount",
    "Item #",
    "Item Name",
    "Quantity (- Refund)",
    "Item Cost",
]


@dataclass(frozen=True)
class OrderExport:
    """A generated line-item export and the true facts per customer e-mail."""

    csv: bytes
    frequency: dict[str, int]
    monetary: dict[str, float]
    orders: int  # every order in the file


def woocommerce_export(seed: int = 11, customers: int = 120) -> OrderExport:
    """WooCommerce's order export ("Advanced Order Export" default fields): one row per line
    item, with every order-level column, the total included, repeated on each of its rows.
    Refunded in part: "Order Refund Amount" (negative, as WooCommerce writes it)."""
    rng = np.random.default_rng(seed)
    frequency: dict[str, int] = {}
    monetary: dict[str, float] = {}
    rows: list[list[object]] = []
    number = 5000
    for c in range(customers):
        first, last = _FIRST[c % len(_FIRST)], _LAST[c % len(_LAST)]
        email = f"{first.lower()}{c}@woo.example"
        phone = f"0{1512_000_000 + c}"
        for _ in range(int(rng.choice([1, 1, 2, 3, 5]))):
            number += 1
            day = np.datetime64("2024-01-01") + np.timedelta64(int(rng.integers(0, 200)), "D")
            # Mostly several lines per order, so a repeated total would be counted many times.
            lines = [_PRODUCTS[rng.integers(len(_PRODUCTS))] for _ in range(rng.integers(1, 5))]
            quantities = [int(rng.integers(1, 3)) for _ in lines]
            priced = list(zip(lines, quantities, strict=True))
            subtotal = round(sum(q * price for (_, price), q in priced), 2)
            shipping = 4.9
            total = round(subtotal + shipping, 2)
            status = str(rng.choice(["completed"] * 8 + ["processing", "cancelled", "refunded"]))
            refund = 0.0
            if status == "completed" and rng.random() < 0.15:
                refund = round(float(rng.uniform(2, subtotal / 2)), 2)
            if status in ("completed", "processing"):
                frequency[email] = frequency.get(email, 0) + 1
                monetary[email] = monetary.get(email, 0.0) + total - refund
            for item, ((name, price), qty) in enumerate(priced, start=1):
                rows.append(
                    [number, status, f"{day} {rng.integers(8, 20)}:15", first, last, email, phone]
                    + [f"{subtotal:.2f}", f"{shipping:.2f}", f"{-refund:.2f}", f"{total:.2f}"]
                    + [item, name, qty, f"{price:.2f}"]
                )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(WOO_HEADERS)
    writer.writerows(rows)
    return OrderExport(
        csv=out.getvalue().encode(),
        frequency=frequency,
        monetary={e: round(v, 2) for e, v in monetary.items()},
        orders=number - 5000,
    )


def line_amount_export(seed: int = 12, customers: int = 120) -> OrderExport:
    """An export with one row per line and the line's own amount: the lines add up."""
    rng = np.random.default_rng(seed)
    frequency: dict[str, int] = {}
    monetary: dict[str, float] = {}
    rows: list[list[object]] = []
    number = 0
    for c in range(customers):
        email = f"buyer{c}@lines.example"
        for _ in range(int(rng.choice([1, 2, 3, 4]))):
            number += 1
            day = np.datetime64("2024-01-01") + np.timedelta64(int(rng.integers(0, 200)), "D")
            # Two lines of the same product cost the same, as happens in real shops.
            lines = [_PRODUCTS[rng.integers(3)] for _ in range(rng.integers(1, 4))]
            frequency[email] = frequency.get(email, 0) + 1
            monetary[email] = monetary.get(email, 0.0) + sum(price for _, price in lines)
            rows += [
                [f"SO-{number}", email, str(day), name, f"{price:.2f}"] for name, price in lines
            ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Order ID", "Customer Email", "Order Date", "Product", "Sales"])
    writer.writerows(rows)
    return OrderExport(
        csv=out.getvalue().encode(),
        frequency=frequency,
        monetary={e: round(v, 2) for e, v in monetary.items()},
        orders=number,
    )


def assert_true_customers(table: CustomerTable, key: str, truth: OrderExport) -> None:
    got = table.customers.set_index(key)
    assert set(got.index) == set(truth.frequency)
    emails = list(truth.frequency)
    assert got.loc[emails, "frequency"].tolist() == list(truth.frequency.values())
    np.testing.assert_allclose(got.loc[emails, "monetary"], [truth.monetary[e] for e in emails])


def test_woocommerce_repeated_order_totals_are_counted_once() -> None:
    woo = woocommerce_export()
    df = load_table(woo.csv, filename="orders-2024.csv")
    cols = detect_order_log(df)
    assert cols is not None
    assert (cols.customer, cols.date, cols.amount) == (
        "Email (Billing)",
        "Order Date",
        "Order Total Amount",
    )
    assert (cols.order_id, cols.status, cols.refunded) == (
        "Order Number",
        "Order Status",
        "Order Refund Amount",
    )
    table = build_customer_table(df, cols)
    assert table.orders == woo.orders
    assert_true_customers(table, "Email (Billing)", woo)
    assert table.partly_refunded > 0
    assert any("repeats each order's total on every line" in w for w in table.warnings)
    assert table.contact_columns == (
        "First Name (Billing)",
        "Last Name (Billing)",
        "Phone (Billing)",
    )
    # The phone keeps its leading zero: it is text, as written.
    assert table.customers["Phone (Billing)"].str.startswith("01512").all()


def test_per_line_amounts_are_summed_even_when_some_lines_cost_the_same() -> None:
    lines = line_amount_export()
    df = load_table(lines.csv, filename="sales.csv")
    cols = detect_order_log(df)
    assert cols is not None and cols.amount == "Sales" and cols.order_id == "Order ID"
    table = build_customer_table(df, cols)
    assert_true_customers(table, "Customer Email", lines)
    assert not any("repeats each order's total" in w for w in table.warnings)


def test_a_few_orders_repeating_a_total_named_for_the_order_count_once() -> None:
    # Too few orders to judge by the values alone; the header says it is the order's total.
    df = pd.DataFrame(
        {
            "order_id": ["A", "A", "A", "B", "C", "C"],
            "customer": ["x", "x", "x", "x", "y", "y"],
            "date": ["2024-01-01"] * 3 + ["2024-02-01"] + ["2024-01-03"] * 2,
            "order_total": [30.0, 30.0, 30.0, 12.0, 8.0, 8.0],
        }
    ).astype({"order_id": "str", "customer": "str", "date": "str"})
    table = build_customer_table(df, find_order_columns(df))
    assert table.customers.set_index("customer")["monetary"].to_dict() == {"x": 42.0, "y": 8.0}
    df = df.rename(columns={"order_total": "line_total"})
    table = build_customer_table(df, find_order_columns(df))
    assert table.customers.set_index("customer")["monetary"].to_dict() == {"x": 102.0, "y": 16.0}


def test_an_order_refunded_in_full_is_left_out_and_a_partial_refund_deducted() -> None:
    df = pd.DataFrame(
        {
            "Name": ["#1", "#2", "#3", "#4"],
            "Email": ["a@x.io", "a@x.io", "a@x.io", "b@x.io"],
            "Created at": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-02"],
            "Total": [50.0, 80.0, 20.0, 10.0],
            "Refunded Amount": [0.0, 30.0, 20.0, np.nan],
        }
    ).astype({"Name": "str", "Email": "str", "Created at": "str"})
    cols = find_order_columns(df)
    assert cols.amount == "Total" and cols.refunded == "Refunded Amount"
    table = build_customer_table(df, cols)
    a = table.customers.set_index("Email").loc["a@x.io"]
    assert a["frequency"] == 2 and a["monetary"] == 100.0
    assert a["last_order"] == "2024-02-01"  # the order given back in full did not happen
    assert table.cancelled == 1 and table.partly_refunded == 1
    assert table.refunds_total == -30.0
    assert "1 partly refunded order was counted less the money refunded (−30)" in " ".join(
        table.warnings
    )
