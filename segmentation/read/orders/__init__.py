"""Order logs (one row per order or order line) turned into one row per customer.

The per-customer table carries recency, frequency and monetary value (RFM), the measures
marketers already use. The work is split by stage: :mod:`.detect` recognises the columns,
:mod:`.dates` and :mod:`.money` read dates and amounts, :mod:`.customers` aggregates.
"""

from __future__ import annotations

from segmentation.read.orders.customers import CustomerTable, build_customer_table
from segmentation.read.orders.dates import parse_dates
from segmentation.read.orders.detect import OrderColumns, detect_order_log, find_order_columns
from segmentation.read.orders.money import format_money

__all__ = [
    "OrderColumns",
    "CustomerTable",
    "detect_order_log",
    "find_order_columns",
    "build_customer_table",
    "parse_dates",
    "format_money",
]
