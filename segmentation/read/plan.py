"""The one per-customer aggregation of an order log, as SQL for DuckDB and PostgreSQL.

Written once in DuckDB's SQL and translated by sqlglot, so files (DuckDB) and database tables
(the database itself) are summarised by the same statement. The rules are those of
:mod:`segmentation.read.orders` and use its constants: line items without an amount belong to
their order, lines sharing an order id are one order (their amounts added, or counted once
when every line repeats the order's total), cancelled orders and orders refunded in full are
left out, partial refunds are deducted, negative orders are refunds netted against spend.

The statement returns one row per customer who bought (``part`` 0) and one row of totals
(``part`` 1) in the same columns, so the data is read once. Per customer it also sums each
day's purchases, which is all the purchase predictions need (no per-purchase rows come back).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot

from segmentation.read.orders.money import MAX_AMOUNT
from segmentation.read.orders.purchases import CENT, MIN_REPEATED_ORDERS, REPEATED_SHARE

__all__ = ["RowSql", "customer_plan", "CUSTOMER_FIELDS", "TOTAL_FIELDS", "to_dialect"]

# The numbers of a customer row (n0...), then of the totals row, in the same columns.
CUSTOMER_FIELDS = ("frequency", "net", "items", "days", "day_spend", "first_day_spend")
TOTAL_FIELDS = (
    "rows", "no_customer", "bad_date", "bad_amount", "line_items", "after", "usable",
    "usable_rows", "orders", "purchases", "refunds", "refunds_total", "cancelled", "partly",
    "partly_total", "sold", "seen", "buyers", "repeated",
)  # fmt: skip
_NULL_TEXT = "CAST(NULL AS VARCHAR)"


@dataclass(frozen=True)
class RowSql:
    """Each role of a row as an SQL expression over ``src`` (None: the log has no such column).

    ``key`` groups customers: a number when ``key_is_number``, else text, with ``shown`` the
    key as written. ``date`` is a timestamp (NULL when unreadable), ``amount`` a double (NULL
    when blank or unreadable), ``cancelled`` a boolean, ``refunded`` money refunded (>= 0).
    """

    key: str
    shown: str | None
    key_is_number: bool
    date: str
    amount: str | None
    quantity: str | None
    order: str | None
    cancelled: str
    refunded: str | None
    joins: tuple[str, ...] = ()


def customer_plan(
    relation: str,
    row: RowSql,
    *,
    line_items: bool,
    totals_may_repeat: bool,
    order_named: bool,
    end: str | None,
    dialect: str = "duckdb",
) -> str:
    """The statement (DuckDB's SQL) summarising ``relation`` per customer.

    ``line_items``: some amounts are blank, so lines of an order may carry none;
    ``totals_may_repeat`` and ``order_named`` are what the amount's header says (see
    :func:`segmentation.read.orders.purchases.totals_repeated`); ``end`` is the SQL timestamp
    before which orders count (the day after the as-of day), or None; ``dialect`` where it
    will run (the one aggregate written differently: the first day's spend).
    """
    good_amount = f"abs(a) <= {MAX_AMOUNT:.0f}" if row.amount is not None else "true"
    usable = f"k IS NOT NULL AND d IS NOT NULL AND coalesce({good_amount}, false)"
    before = f"d < {end}" if end else "true"
    repeat = row.amount is not None and totals_may_repeat
    ctes = [
        _rows(relation, row),
        _lines(row, line_items),
        f"u AS (SELECT * FROM r2 WHERE {usable} AND {before})",
        _orders(row, repeat),
        _decision(repeat, order_named),
        _outcomes(dialect),
        _totals(good_amount, usable, before),
    ]
    return "WITH " + ",\n".join(ctes) + _select(row)


def _rows(relation: str, row: RowSql) -> str:
    """Each row's roles (``r``)."""
    amount = row.amount or "CAST(NULL AS DOUBLE)"
    return f"""r AS (
  SELECT {row.key} AS k, {row.shown or _NULL_TEXT} AS shown,
    {row.date} AS d, {amount} AS a, coalesce({row.quantity or "0"}, 0) AS q,
    {row.order or _NULL_TEXT} AS o, coalesce({row.cancelled}, false) AS c,
    coalesce({row.refunded or "0"}, 0) AS rf
  FROM {relation} AS src {" ".join(row.joins)}
)"""


def _lines(row: RowSql, line_items: bool) -> str:
    """Line items without an amount take their order's date and count 0 (``r2``)."""
    carries = f"a IS NOT NULL AND abs(a) <= {MAX_AMOUNT:.0f} AND d IS NOT NULL"
    if line_items and row.order is not None and row.amount is not None:
        return f"""g AS (
  SELECT k, o, min(d) AS od FROM r
  WHERE k IS NOT NULL AND o IS NOT NULL AND {carries} GROUP BY k, o
),
r2 AS (
  SELECT r.k, r.shown, r.q, r.o, r.c, r.rf,
    (r.a IS NULL AND g.k IS NOT NULL) AS line,
    CASE WHEN r.a IS NULL AND g.k IS NOT NULL THEN coalesce(r.d, g.od) ELSE r.d END AS d,
    CASE WHEN r.a IS NULL AND g.k IS NOT NULL THEN 0 ELSE r.a END AS a
  FROM r LEFT JOIN g ON r.k = g.k AND r.o = g.o
)"""
    return "r2 AS (SELECT k, shown, q, o, c, rf, false AS line, d, a FROM r)"


def _orders(row: RowSql, repeat: bool) -> str:
    """Usable rows sharing an order id (for one customer) as one order (``ord``); the lowest
    and highest amount and the lines carrying one only when totals may repeat."""
    if row.order is None:
        return (
            "ord AS (SELECT k, shown, d, c, a AS a_sum, a AS lo, a AS hi, 1 AS n_carry, q, "
            "rf, 1 AS n_rows FROM u)"
        )
    shown = "min(shown)" if row.shown is not None else _NULL_TEXT
    q = "sum(q)" if row.quantity is not None else "0"
    rf = "max(rf)" if row.refunded is not None else "0"
    if repeat:
        spread = (
            "min(a) FILTER (WHERE NOT line) AS lo, max(a) FILTER (WHERE NOT line) AS hi, "
            "count(*) FILTER (WHERE NOT line) AS n_carry"
        )
    else:
        spread = "CAST(NULL AS DOUBLE) AS lo, CAST(NULL AS DOUBLE) AS hi, 1 AS n_carry"
    return f"""ord AS (
  SELECT k, {shown} AS shown, min(d) AS d, bool_or(c) AS c, sum(a) AS a_sum, {spread},
    {q} AS q, {rf} AS rf, count(*) AS n_rows
  FROM u WHERE o IS NOT NULL GROUP BY k, o
  UNION ALL
  SELECT k, shown, d, c, a, a, a, 1, q, rf, 1 FROM u WHERE o IS NULL
)"""


def _decision(repeat: bool, order_named: bool) -> str:
    """Whether the amounts repeat each order's total on its lines (``s``, ``rep``)."""
    if not repeat:
        return "s AS (SELECT 0 AS several), rep AS (SELECT false AS repeated)"
    few = "s.same = s.several" + ("" if order_named else " AND false")
    decision = (
        f"s.several > 0 AND CASE WHEN s.several >= {MIN_REPEATED_ORDERS} "
        f"THEN s.same >= {REPEATED_SHARE} * s.several ELSE {few} END"
    )
    return f"""s AS (
  SELECT count(*) FILTER (WHERE n_carry >= 2) AS several,
    count(*) FILTER (WHERE n_carry >= 2 AND lo = hi) AS same FROM ord
),
rep AS (SELECT {decision} AS repeated FROM s)"""


def _outcomes(dialect: str) -> str:
    """Orders sorted out into purchases, refunds and cancellations (``o``), summed per
    customer and day (``dy``), then per customer (``cu``), with what the purchase predictions
    need: the days with a purchase, their spend, and the first such day's spend."""
    # The first day's spend: DuckDB's arg_min; elsewhere the first of the ordered list.
    if dialect == "duckdb":
        first_spend = "arg_min(v, day) FILTER (WHERE n_p > 0)"
    else:
        first_spend = "(array_agg(v ORDER BY day) FILTER (WHERE n_p > 0))[1]"
    return f"""o1 AS (
  SELECT ord.*, CASE WHEN rep.repeated THEN coalesce(lo, 0) ELSE a_sum END AS sp
  FROM ord CROSS JOIN rep
),
o2 AS (
  SELECT o1.*, (NOT c AND rf > 0 AND coalesce(sp > 0, false)) AS touched FROM o1
),
o3 AS (
  SELECT k, shown, d, q, rf, n_rows,
    touched AND rf < sp - {CENT} AS partly,
    c OR (touched AND rf >= sp - {CENT}) AS c,
    CASE WHEN touched AND rf < sp - {CENT} THEN sp - rf ELSE sp END AS sp
  FROM o2
),
o AS (
  SELECT o3.*, (NOT c AND coalesce(sp < 0, false)) AS refund,
    (NOT c AND NOT coalesce(sp < 0, false)) AS purchase
  FROM o3
),
dy AS (
  SELECT k, CAST(d AS DATE) AS day, min(shown) AS shown,
    count(*) FILTER (WHERE purchase) AS n_p,
    sum(coalesce(sp, 0)) FILTER (WHERE purchase) AS v,
    sum(sp) FILTER (WHERE purchase OR refund) AS net,
    sum(q) FILTER (WHERE purchase) AS items,
    min(d) FILTER (WHERE purchase) AS first_d, max(d) FILTER (WHERE purchase) AS last_d
  FROM o GROUP BY k, CAST(d AS DATE)
),
cu AS (
  SELECT k, min(shown) AS shown, sum(n_p) AS frequency, min(first_d) AS first_d,
    max(last_d) AS last_d, sum(net) AS net, sum(items) AS items,
    count(*) FILTER (WHERE n_p > 0) AS days, sum(v) AS v_total, {first_spend} AS v_first
  FROM dy GROUP BY k
)"""


def _totals(good_amount: str, usable: str, before: str) -> str:
    """The counts of rows (``rt``), orders (``ot``) and customers (``ct``) the warnings
    report."""
    return f"""rt AS (
  SELECT count(*) AS rows, count(*) FILTER (WHERE k IS NULL) AS no_customer,
    count(*) FILTER (WHERE k IS NOT NULL AND d IS NULL) AS bad_date,
    count(*) FILTER (WHERE k IS NOT NULL AND d IS NOT NULL AND NOT coalesce({good_amount}, false))
      AS bad_amount,
    count(*) FILTER (WHERE line) AS line_items,
    count(*) FILTER (WHERE {usable} AND NOT ({before})) AS after,
    count(*) FILTER (WHERE {usable}) AS usable, min(d) FILTER (WHERE {usable}) AS first_usable
  FROM r2
),
ot AS (
  SELECT sum(n_rows) AS usable_rows, count(*) AS orders,
    count(*) FILTER (WHERE purchase) AS purchases, count(*) FILTER (WHERE refund) AS refunds,
    sum(sp) FILTER (WHERE refund) AS refunds_total, count(*) FILTER (WHERE c) AS cancelled,
    count(*) FILTER (WHERE partly) AS partly, sum(rf) FILTER (WHERE partly) AS partly_total,
    sum(sp) FILTER (WHERE purchase) AS sold, min(d) AS first_d, max(d) AS last_d
  FROM o
),
ct AS (SELECT count(*) AS seen, count(*) FILTER (WHERE frequency > 0) AS buyers FROM cu)"""


def number_shown(value: str) -> str:
    """A numeric key as written: whole numbers without a decimal point."""
    return (
        f"CASE WHEN {value} = floor({value}) AND abs({value}) < 9e18 "
        f"THEN CAST(CAST({value} AS BIGINT) AS VARCHAR) ELSE CAST({value} AS VARCHAR) END"
    )


def _select(row: RowSql) -> str:
    """One row per buyer and one row of totals, in the same columns."""
    n = max(len(CUSTOMER_FIELDS), len(TOTAL_FIELDS))
    null = "CAST(NULL AS DOUBLE)"
    customer_values = [
        "cu.frequency", "cu.net", "cu.items", "cu.days", "cu.v_total", "cu.v_first",
    ]  # fmt: skip
    total_values = [
        "rt.rows", "rt.no_customer", "rt.bad_date", "rt.bad_amount", "rt.line_items", "rt.after",
        "rt.usable", "ot.usable_rows", "ot.orders", "ot.purchases", "ot.refunds",
        "ot.refunds_total", "ot.cancelled", "ot.partly", "ot.partly_total", "ot.sold", "ct.seen",
        "ct.buyers", "CASE WHEN rep.repeated THEN 1 ELSE 0 END",
    ]  # fmt: skip
    c_cols = ", ".join(
        f"CAST({v} AS DOUBLE) AS n{i}" for i, v in enumerate(customer_values)
    ) + "".join(f", {null} AS n{i}" for i in range(len(customer_values), n))
    t_cols = ", ".join(f"CAST({v} AS DOUBLE) AS n{i}" for i, v in enumerate(total_values)) + (
        "".join(f", {null} AS n{i}" for i in range(len(total_values), n))
    )
    if row.key_is_number:
        shown, number = number_shown("cu.k"), "CAST(cu.k AS DOUBLE)"
    else:
        shown, number = "cu.shown", null
    return f"""
SELECT 0 AS part, {shown} AS shown, {number} AS kn, cu.first_d AS t0, cu.last_d AS t1,
  CAST(NULL AS TIMESTAMP) AS t2, {c_cols}
FROM cu WHERE cu.frequency > 0
UNION ALL
SELECT 1, {_NULL_TEXT}, {null}, ot.first_d, ot.last_d, rt.first_usable, {t_cols}
FROM rt CROSS JOIN ot CROSS JOIN ct CROSS JOIN rep"""


def to_dialect(sql: str, dialect: str) -> str:
    """The statement in ``dialect`` ("duckdb" as written, or "postgres", ...)."""
    if dialect == "duckdb":
        return sql
    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
