"""An order log summarised per customer where it lies (DuckDB for files, the database for
tables), into the same :class:`~segmentation.read.orders.CustomerTable` as the pandas path.

Values written in many ways (dates, money with currency, statuses) are read by the pandas
path's own functions, once per distinct value, and joined back as small look-up tables; the
rest is the one statement of :mod:`segmentation.read.plan`. So both paths read a log the same
way, and the tests check that they give the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from segmentation.errors import NoUsableColumns
from segmentation.read.orders._common import header_words
from segmentation.read.orders.customers import (
    CustomerTable,
    as_of_sentence,
    customer_key_header,
    no_order_by,
    outcome_sentences,
)
from segmentation.read.orders.dates import parse_dates
from segmentation.read.orders.detect import OrderColumns
from segmentation.read.orders.money import detect_currency
from segmentation.read.orders.purchases import (
    merged_orders_sentence,
    no_purchases,
    repeated_totals_sentence,
    totals_may_repeat,
)
from segmentation.read.orders.rows import (
    cancelled_statuses,
    dropped_sentence,
    no_usable_rows,
    unit_price_sentence,
)
from segmentation.read.plan import CUSTOMER_FIELDS, TOTAL_FIELDS, RowSql, customer_plan, to_dialect
from segmentation.read.table import tidy_column

__all__ = ["TableSource", "summarise_orders", "quote", "ColumnKind"]

ColumnKind = str  # "text", "number", "time", "time_utc" (with a zone), "date", "bool", "other"
_PLAIN_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_PLAIN_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")
_EARLIEST, _LATEST = "1900-01-01 00:00:00", "2100-12-31 00:00:00"
_MAGNITUDE = "1e100"  # segmentation.read.numbers.MAX_MAGNITUDE
_DAY = pd.Timedelta(days=1)
_UNIT_DAYS = 7.0  # the prediction's time unit (weeks), as in model.rfm.prediction


class TableSource(Protocol):
    """Where a large order log lies, and how to ask it questions."""

    dialect: str  # "duckdb", "postgres", ...
    relation: str  # the FROM item: a table name or a parenthesised SELECT
    kinds: dict[str, ColumnKind]
    raw_sample: pd.DataFrame  # the first rows as stored
    sample: pd.DataFrame  # the same rows as the pandas path reads them (tidied)
    decimal_comma: bool
    max_distinct: int  # most distinct values a look-up table may hold

    def query(self, sql: str, *, large: bool = False) -> pd.DataFrame:
        """Run a statement in this source's dialect (``large``: a result of many rows)."""
        ...

    def lookup(self, name: str, table: pd.DataFrame) -> str:
        """A FROM item with the columns ``raw`` (text) and ``v`` for ``table``."""
        ...


def quote(name: str) -> str:
    """An identifier quoted for SQL (both DuckDB and PostgreSQL use double quotes)."""
    return '"' + str(name).replace('"', '""') + '"'


@dataclass
class _Reading:
    """The SQL of each role and the notes found while reading distinct values."""

    source: TableSource
    joins: list[str]
    notes: list[str]

    def col(self, name: str) -> str:
        return f"src.{quote(name)}"

    def text(self, name: str) -> str:
        return f"CAST(src.{quote(name)} AS VARCHAR)"

    def distinct(self, name: str) -> pd.Series:
        src = self.source
        raw = src.query(
            to_dialect(
                f"SELECT DISTINCT CAST({quote(name)} AS VARCHAR) AS raw FROM {src.relation} AS src "
                f"LIMIT {src.max_distinct + 1}",
                src.dialect,
            )
        )["raw"]
        if len(raw) > src.max_distinct:
            raise NoUsableColumns(
                f"The column '{name}' holds more than {src.max_distinct:,} different texts; "
                "store it as a date or number column (not text), then try again."
            )
        return raw.dropna().reset_index(drop=True)

    def join(self, name: str, values: pd.Series, column: str) -> str:
        """Join a look-up table of ``values`` (indexed like the distinct texts) on ``column``."""
        alias = f"m{len(self.joins)}"
        frame = pd.DataFrame({"raw": values.index.astype(str), "v": values.to_numpy()})
        self.joins.append(
            f"LEFT JOIN {self.source.lookup(alias, frame)} ON {alias}.raw = {self.text(column)}"
        )
        return f"{alias}.v"

    def tidied(self, name: str) -> pd.Series:
        """The distinct texts of a column, read as the pandas path reads the column."""
        raw = self.distinct(name)
        frame = pd.DataFrame({"v": raw.astype(object)})
        tidy_column(frame, "v", decimal_comma=self.source.decimal_comma)
        return pd.Series(frame["v"].to_numpy(), index=pd.Index(raw.to_numpy()))

    def number(self, name: str, *, required: bool) -> str | None:
        kind = self.source.kinds.get(name, "other")
        if kind == "number":
            value = f"CAST({self.col(name)} AS DOUBLE)"
        elif kind == "text" and self.plain(name, _PLAIN_NUMBER) and self.source.dialect == "duckdb":
            value = f"TRY_CAST(trim({self.col(name)}) AS DOUBLE)"
        elif kind in ("text", "other"):
            values = self.tidied(name)
            if not is_numeric_dtype(values) or is_bool_dtype(values):
                if required:
                    raise NoUsableColumns(
                        f"The amount column '{name}' does not hold numbers I can read. "
                        "Check that it holds amounts such as 12.50 or €1,200, or leave it out."
                    )
                return None
            value = f"CAST({self.join(name, values.astype(float), name)} AS DOUBLE)"
        else:
            if required:
                raise NoUsableColumns(
                    f"The amount column '{name}' is of a type I can't read as money "
                    f"({kind}); store amounts as numbers, then try again."
                )
            return None
        return f"CASE WHEN abs({value}) <= {_MAGNITUDE} THEN {value} END"

    def plain(self, name: str, pattern: re.Pattern[str]) -> bool:
        values = self.source.raw_sample[name].dropna().astype(str)
        values = values[values.str.strip() != ""]
        return len(values) > 0 and bool(values.str.match(pattern).all())

    def date(self, name: str) -> str:
        kind = self.source.kinds.get(name, "other")
        col = self.col(name)
        if kind == "time_utc":
            value = (
                f"timezone('UTC', {col})"
                if self.source.dialect == "duckdb"
                else f"CAST({col} AT TIME ZONE 'UTC' AS TIMESTAMP)"
            )
        elif kind in ("time", "date"):
            value = f"CAST({col} AS TIMESTAMP)"
        elif kind == "text" and self.plain(name, _PLAIN_ISO) and self.source.dialect == "duckdb":
            value = f"TRY_CAST(trim({col}) AS TIMESTAMP)"
        else:
            tidy = self.tidied(name)
            parsed, note = parse_dates(pd.Series(tidy.to_numpy(), dtype=tidy.dtype))
            if note:
                self.notes.append(note)
            values = pd.Series(parsed.to_numpy(dtype="datetime64[ns]"), index=tidy.index)
            value = f"CAST({self.join(name, values, name)} AS TIMESTAMP)"
        return (
            f"CASE WHEN {value} >= CAST('{_EARLIEST}' AS TIMESTAMP) "
            f"AND {value} <= CAST('{_LATEST}' AS TIMESTAMP) THEN {value} END"
        )

    def key(self, name: str) -> tuple[str, str | None, bool]:
        """(group key, key as written or None for numbers, whether it is a number)."""
        series = self.source.sample[name]
        kind = self.source.kinds.get(name, "other")
        if is_numeric_dtype(series) and not is_bool_dtype(series):
            col = self.col(name)
            if kind == "number":
                raw = f"CAST({col} AS DOUBLE)"
            elif self.source.dialect == "duckdb":
                raw = f"TRY_CAST(trim(CAST({col} AS VARCHAR)) AS DOUBLE)"
            else:
                text = f"trim(CAST({col} AS VARCHAR))"
                raw = (
                    f"CASE WHEN regexp_matches({text}, '^[-+]?[0-9]+(\\.[0-9]+)?$') "
                    f"THEN CAST({text} AS DOUBLE) END"
                )
            return f"CASE WHEN abs({raw}) <= {_MAGNITUDE} THEN {raw} END", None, True
        text = f"NULLIF(trim({self.text(name)}), '')"
        return f"CASE WHEN strpos({text}, '@') > 0 THEN lower({text}) ELSE {text} END", text, False

    def cancelled(self, cols: OrderColumns) -> str:
        parts = []
        if cols.status is not None:
            tidy = self.tidied(cols.status)
            flags = pd.Series(
                np.where(
                    pd.isna(tidy.to_numpy()),
                    False,
                    cancelled_statuses(pd.Series(tidy.to_numpy(), dtype=object)),
                ),
                index=tidy.index,
            )
            parts.append(f"coalesce({self.join(cols.status, flags, cols.status)}, false)")
        if cols.cancelled_at is not None:
            parts.append(f"(NULLIF(trim({self.text(cols.cancelled_at)}), '') IS NOT NULL)")
        return " OR ".join(parts) if parts else "false"


def _order_id(reading: _Reading, column: str | None) -> str | None:
    """The order id: numbers as they are (cheaper to group), text trimmed, blanks missing."""
    if column is None:
        return None
    if reading.source.kinds.get(column) == "number":
        return reading.col(column)
    return f"NULLIF(trim({reading.text(column)}), '')"


def summarise_orders(
    source: TableSource, cols: OrderColumns, as_of: pd.Timestamp | None = None
) -> CustomerTable:
    """The order log in ``source`` summarised per customer, as
    :func:`segmentation.read.orders.build_customer_table` summarises a DataFrame.

    The per-purchase rows are not brought back: ``transactions`` carries what the purchase
    predictions need, computed in the same statement. Contact columns are not carried.
    """
    reading = _Reading(source, [], [])
    key, shown, key_is_number = reading.key(cols.customer)
    date = reading.date(cols.date)
    warnings = list(reading.notes)
    amount = reading.number(cols.amount, required=True) if cols.amount else None
    quantity = reading.number(cols.quantity, required=False) if cols.quantity else None
    if amount is not None and cols.amount_is_unit_price and quantity is not None:
        amount = f"({amount}) * coalesce({quantity}, 0)"
        warnings.append(unit_price_sentence(cols))
    refunded = reading.number(cols.refunded, required=False) if cols.refunded else None
    if refunded is not None:
        refunded = f"CASE WHEN abs({refunded}) <= 1e12 THEN abs({refunded}) ELSE 0 END"
    row = RowSql(
        key=key,
        shown=shown,
        key_is_number=key_is_number,
        date=date,
        amount=amount,
        quantity=quantity,
        order=_order_id(reading, cols.order_id),
        cancelled=reading.cancelled(cols),
        refunded=refunded,
        joins=tuple(reading.joins),
    )
    lines = False
    if amount is not None and cols.order_id is not None:
        check = (
            f"SELECT count(*) AS n FROM {source.relation} AS src {' '.join(reading.joins)} "
            f"WHERE ({amount}) IS NULL"
        )
        lines = int(source.query(to_dialect(check, source.dialect))["n"].iloc[0]) > 0
    end = None
    if as_of is not None:
        end = f"CAST('{as_of.normalize() + _DAY:%Y-%m-%d %H:%M:%S}' AS TIMESTAMP)"
    words, _ = header_words(cols.amount) if cols.amount else ([], "")
    sql = customer_plan(
        source.relation,
        row,
        line_items=lines,
        totals_may_repeat=cols.amount is not None and totals_may_repeat(cols),
        order_named=bool(set(words) & {"order", "orders"}),
        end=end,
        dialect=source.dialect,
    )
    result = source.query(to_dialect(sql, source.dialect), large=True)
    return _customer_table(result, cols, source, as_of, warnings)


def _customer_table(
    result: pd.DataFrame,
    cols: OrderColumns,
    source: TableSource,
    as_of: pd.Timestamp | None,
    warnings: list[str],
) -> CustomerTable:
    totals_row = result[result["part"] == 1].iloc[0]
    t = {f: totals_row[f"n{i}"] for i, f in enumerate(TOTAL_FIELDS)}
    t = {f: (0.0 if pd.isna(v) else float(v)) for f, v in t.items()}
    note = dropped_sentence(int(t["no_customer"]), int(t["bad_date"]), int(t["bad_amount"]))
    if note:
        warnings.append(note)
    if t["usable"] == 0:
        raise no_usable_rows(int(t["rows"]), cols)
    if as_of is not None:
        if t["orders"] == 0:
            raise no_order_by(as_of, pd.Timestamp(totals_row["t2"]))
        if t["after"]:
            warnings.append(as_of_sentence(as_of, int(t["after"])))
    if t["repeated"]:
        warnings.append(repeated_totals_sentence(cols))
    if cols.order_id is not None and t["orders"] < t["usable_rows"]:
        warnings.append(merged_orders_sentence(cols, int(t["usable_rows"]), int(t["orders"])))
    if t["buyers"] == 0:
        raise no_purchases()
    has_amount = cols.amount is not None
    currency = detect_currency(source.sample, cols.amount) if has_amount else None
    partly_total = -t["partly_total"]
    warnings += outcome_sentences(
        without_purchase=int(t["seen"] - t["buyers"]),
        refunds=int(t["refunds"]),
        refunds_total=t["refunds_total"],
        partly=int(t["partly"]),
        partly_total=partly_total,
        cancelled=int(t["cancelled"]),
        currency=currency,
        has_amount=has_amount,
    )
    first_date = pd.Timestamp(totals_row["t0"])
    last_date = pd.Timestamp(totals_row["t1"])
    ref = (as_of if as_of is not None else last_date).normalize()
    rows = result[result["part"] == 0]
    numeric = rows["kn"].notna().all()
    rows = rows.sort_values("kn" if numeric else "shown", kind="stable")
    customers, transactions = _customer_frame(rows, cols, ref, has_amount)
    return CustomerTable(
        customers=customers,
        orders=int(t["orders"]),
        orders_used=int(t["purchases"]),
        customers_count=len(customers),
        first_date=first_date,
        last_date=last_date,
        refunds=int(t["refunds"]),
        refunds_total=round(t["refunds_total"] + partly_total, 2),
        cancelled=int(t["cancelled"]),
        rows_dropped=int(t["no_customer"] + t["bad_date"] + t["bad_amount"]),
        has_amount=has_amount,
        line_items=int(t["line_items"]),
        currency=currency,
        warnings=tuple(warnings),
        key_column=customer_key_header(cols.customer),
        partly_refunded=int(t["partly"]),
        as_of=ref,
        orders_after=int(t["after"]),
        purchases=None,
        sold_total=t["sold"] + t["partly_total"] if has_amount else 0.0,
        transactions=transactions,
    )


def _customer_frame(
    rows: pd.DataFrame, cols: OrderColumns, ref: pd.Timestamp, has_amount: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-customer table and the per-customer summary the predictions need."""
    n = {f: rows[f"n{i}"].to_numpy(dtype=np.float64) for i, f in enumerate(CUSTOMER_FIELDS)}
    first_day = rows["t0"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    last_day = rows["t1"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    ref_day = np.datetime64(ref.date(), "D")
    freq = n["frequency"].astype(np.int64)
    table = pd.DataFrame(
        {
            customer_key_header(cols.customer): pd.array(rows["shown"].to_numpy(), dtype="str"),
            "recency_days": (ref_day - last_day).astype(np.int64),
            "frequency": freq,
        }
    )
    if has_amount:
        net = np.nan_to_num(n["net"])
        table["monetary"] = np.round(net, 2)
        table["avg_order_value"] = np.round(net / freq, 2)
    table["tenure_days"] = (ref_day - first_day).astype(np.int64)
    table["first_order"] = pd.array(first_day.astype(str), dtype="str")
    table["last_order"] = pd.array(last_day.astype(str), dtype="str")
    if cols.quantity is not None and not np.isnan(n["items"]).all():
        bought = np.nan_to_num(n["items"])
        whole = bool(np.all(bought == np.floor(bought)))
        table["items"] = bought.astype(np.int64) if whole else bought
    repeats = n["days"] - 1
    unit = np.timedelta64(1, "D") * _UNIT_DAYS
    repeat_spend = n["day_spend"] - n["first_day_spend"]
    transactions = pd.DataFrame(
        {
            "frequency": repeats,
            "recency": (last_day - first_day) / unit,
            "T": (ref_day - first_day) / unit,
            "monetary_value": np.divide(
                repeat_spend, repeats, out=np.zeros(len(repeats)), where=repeats > 0
            ),
        }
    )
    return table, transactions


def source_order_columns(source: TableSource, mode: str) -> OrderColumns | None:
    """The order-log columns of a large source, as for a file: found on its first rows, and
    (in ``auto`` mode) only when enough customers appear on several rows of the whole log."""
    from segmentation.model.clustering import MIN_ROWS
    from segmentation.read.orders.detect import (
        MIN_REPEAT_SHARE,
        find_order_columns,
        order_columns_in_sample,
    )

    if mode == "rfm":
        return find_order_columns(source.sample)
    found = order_columns_in_sample(source.sample)
    if found is None:
        return None
    keys = source.sample[found.customer].dropna()
    counts = keys.value_counts()
    if len(counts) >= MIN_ROWS and float((counts >= 2).mean()) >= MIN_REPEAT_SHARE:
        return found  # the first rows settle it; a row sample only hides repeats
    key = f"NULLIF(trim(CAST(src.{quote(found.customer)} AS VARCHAR)), '')"
    sql = (
        "SELECT count(*) AS customers, count(*) FILTER (WHERE n >= 2) AS repeat "
        f"FROM (SELECT {key} AS k, count(*) AS n FROM {source.relation} AS src "
        f"WHERE {key} IS NOT NULL GROUP BY {key}) AS per_customer"
    )
    got = source.query(to_dialect(sql, source.dialect)).iloc[0]
    customers, repeat = int(got["customers"]), int(got["repeat"])
    if customers < MIN_ROWS or repeat < MIN_REPEAT_SHARE * customers:
        return None
    return found
