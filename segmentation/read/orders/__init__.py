"""Order logs (one row per order or order line) turned into one row per customer (RFM measures).
May import errors, result, read.numbers, and model.features (to spot personal headers)."""

from __future__ import annotations

from segmentation.read.orders.customers import CustomerTable, build_customer_table
from segmentation.read.orders.dates import parse_dates
from segmentation.read.orders.detect import OrderColumns, detect_order_log, find_order_columns
from segmentation.read.orders.money import format_money

# The stages: detect recognises the columns, dates and money read dates and amounts, rows and
# purchases read and sort the orders, customers sums them per customer, contacts keeps each
# customer's latest e-mail, name and phone for the exported table.
__all__ = [
    "OrderColumns",
    "CustomerTable",
    "detect_order_log",
    "find_order_columns",
    "build_customer_table",
    "parse_dates",
    "format_money",
]
