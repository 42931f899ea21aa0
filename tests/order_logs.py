"""Every kind of order log the tests use, as CSV bytes, for checking that the per-customer
table comes out the same whichever way it is computed (pandas, DuckDB, PostgreSQL).

Each log: the shop's export as written (dates ISO, US or day-first; amounts in $, €, £;
WooCommerce's repeated order totals; Shopify's line items, refunds and cancellations), and the
as-of day to use (None: the last order's).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.samples import SCENARIOS, OrderLogSpec, planted_order_log, with_currency_column
from tests.support import SHARED_DATA
from tests.test_orders import (
    DATE_FORMS,
    contact_log,
    generated_log,
    line_amount_export,
    shopify_export,
    small_log,
    woocommerce_export,
)

__all__ = ["OrderLog", "order_logs"]


@dataclass(frozen=True)
class OrderLog:
    name: str
    csv: bytes
    as_of: str | None = None


def _csv(df: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def _refunds_and_cancellations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2, 3, 4, 4, 5, 5],
            "date": [
                "2024-01-01", "2024-02-01", "2024-02-10", "2024-01-05", "2024-03-01",
                "2024-03-20", "2024-03-30", "2024-01-07", "2024-02-07", "2024-02-11", "bad",
            ],
            "amount_usd": [100.0, 50.0, -30.0, 20.0, 40.0, 500.0, 10.0, 12.5, 7.0, -5.0, 3.0],
            "status": [
                "complete", "complete", "complete", "complete", "Cancelled", "REFUNDED", "paid",
                "partially refunded", "void", "complete", "complete",
            ],
        }
    )  # fmt: skip


def _partly_refunded() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Name": ["#1", "#2", "#3", "#4", "#5", "#6"],
            # One address in two capitals is one customer. Where the log lies it has no order,
            # so the key is shown in its smallest writing, not its first: here they agree.
            "Email": ["A@x.io", "a@x.io", "a@x.io", "b@x.io", "b@x.io", " c@x.io"],
            "Created at": [
                "2024-01-01", "2024-02-01", "2024-03-01", "2024-03-02", "2024-04-02",
                "2024-04-09",
            ],
            "Total": [50.0, 80.0, 20.0, 10.0, 15.0, 99.0],
            "Refunded Amount": [0.0, 30.0, 20.0, np.nan, 0.0, 0.0],
        }
    )  # fmt: skip


def _unit_price_log(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    invoice = np.sort(rng.integers(0, 150, n))
    customer = (invoice * 7919) % 60 + 1000
    day = np.datetime64("2023-01-01") + (invoice * 2).astype("timedelta64[D]")
    price = rng.choice([1.25, 2.5, 3.75, 9.99], n)
    qty = rng.integers(-1, 6, n)
    return pd.DataFrame(
        {
            "InvoiceNo": invoice,
            "CustomerID": customer.astype(float),
            "InvoiceDate": pd.Series(day).dt.strftime("%d/%m/%Y %H:%M"),
            "Quantity": qty,
            "UnitPrice": price,
        }
    )


def order_logs() -> list[OrderLog]:
    """The logs, small enough for the tests (CDNOW only when the shared data is there)."""
    logs: list[OrderLog] = []
    styles = ("iso", "us", "day_first")
    currencies = ("$", "€", "£")
    for i, (name, spec) in enumerate(SCENARIOS.items()):
        for j, style in enumerate(styles):
            currency = currencies[(i + j) % 3]
            planted = planted_order_log(OrderLogSpec(spec.groups, style, currency), seed=i)
            logs.append(OrderLog(f"{name}-{style}-{currency}", _csv(planted.orders)))
    planted = planted_order_log(SCENARIOS["small_shop"], seed=5)
    logs.append(OrderLog("currency-column", _csv(with_currency_column(planted.orders, "EUR"))))
    logs.append(OrderLog("small-shop-as-of", _csv(planted.orders), as_of="2025-03-31"))
    for seed in (0, 1, 2):
        logs.append(OrderLog(f"generated-{seed}", _csv(generated_log(seed))))
    logs.append(OrderLog("generated-as-of", _csv(generated_log(4)), as_of="2023-09-30"))
    for form, dates in DATE_FORMS.items():
        logs.append(OrderLog(f"dates-{form}", _csv(small_log(dates))))
    logs.append(OrderLog("refunds-cancellations", _csv(_refunds_and_cancellations())))
    logs.append(OrderLog("partly-refunded", _csv(_partly_refunded())))
    logs.append(OrderLog("unit-price", _csv(_unit_price_log())))
    logs.append(OrderLog("contacts", _csv(contact_log())))
    for seed in (7, 8):
        logs.append(OrderLog(f"shopify-{seed}", shopify_export(seed).csv))
    logs.append(OrderLog("shopify-as-of", shopify_export(9).csv, as_of="2024-06-30"))
    for seed in (11, 13):
        logs.append(OrderLog(f"woocommerce-{seed}", woocommerce_export(seed).csv))
    logs.append(OrderLog("line-amounts", line_amount_export().csv))
    cdnow = SHARED_DATA / "cdnow_orders.csv"
    if cdnow.exists():
        logs.append(OrderLog("cdnow", cdnow.read_bytes()))
        logs.append(OrderLog("cdnow-as-of", cdnow.read_bytes(), as_of="1997-09-30"))
    return logs
