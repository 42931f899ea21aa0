"""Order logs with planted customer groups, for tests and benchmarks of RFM segments.

Each planted group is a behaviour a marketer recognises (champions, lapsing regulars, new
customers, ...), written out as a shop's order export would be: one row per order, with the
dates and amounts in a chosen local style. The same spec and seed always give the same log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "GROUPS",
    "SCENARIOS",
    "Landing",
    "where_groups_land",
    "FITTING_NAMES",
    "PlantedLog",
    "OrderLogSpec",
    "planted_order_log",
    "with_currency_column",
    "STEADY_CHAMPIONS",
    "back_to_back_months",
]

DateStyle = Literal["iso", "us", "day_first"]
Currency = Literal["$", "€", "£"]


@dataclass(frozen=True)
class _Behaviour:
    """How one kind of customer orders; days count back from the log's last day."""

    orders: tuple[int, int]  # orders per customer, inclusive
    gap_days: tuple[float, float]  # the customer's usual days between orders
    recency_days: tuple[int, int]  # days since the last order
    order_value: tuple[float, float]  # the customer's typical order value


# The groups the issue names. Values are what a small online shop sees: champions order every
# two to five weeks; lapsing regulars ordered every month or two, spent ~800 in all, and have
# been silent for five to ten months; can't-lose customers are the big spenders among them.
GROUPS: dict[str, _Behaviour] = {
    "champions": _Behaviour((10, 20), (14, 35), (0, 25), (90, 150)),
    "loyal": _Behaviour((4, 8), (40, 80), (0, 60), (40, 70)),
    "at_risk": _Behaviour((6, 12), (30, 60), (150, 300), (70, 110)),
    "cant_lose": _Behaviour((10, 18), (20, 40), (150, 300), (250, 400)),
    "new": _Behaviour((1, 1), (0, 0), (0, 45), (30, 70)),
    "lost": _Behaviour((1, 1), (0, 0), (200, 700), (20, 60)),
    "hibernating": _Behaviour((2, 2), (20, 120), (200, 600), (15, 40)),
}

# The marketer names under which each planted group is correctly shown.
FITTING_NAMES: dict[str, frozenset[str]] = {
    "champions": frozenset({"Champions"}),
    "loyal": frozenset({"Loyal"}),
    "at_risk": frozenset({"At risk", "Can't lose them"}),
    "cant_lose": frozenset({"Can't lose them", "At risk"}),
    "new": frozenset({"New customers", "Promising"}),
    "lost": frozenset({"Lost", "Hibernating", "One-time buyers"}),
    "hibernating": frozenset({"Hibernating", "Lost"}),
}

_END = np.datetime64("2025-06-30")


@dataclass(frozen=True)
class OrderLogSpec:
    """What to plant: customers per group, and how the shop writes dates and money.

    ``groups`` maps names from :data:`GROUPS` to customer counts.
    """

    groups: tuple[tuple[str, int], ...]
    date_style: DateStyle = "iso"
    currency: Currency = "$"

    @property
    def one_time_share(self) -> float:
        """Share of planted customers with exactly one order."""
        once = sum(n for g, n in self.groups if GROUPS[g].orders == (1, 1))
        return once / sum(n for _, n in self.groups)


@dataclass(frozen=True)
class PlantedLog:
    """An order log and each customer's planted group (keyed by the customer id as text)."""

    orders: pd.DataFrame
    truth: dict[str, str]


def planted_order_log(spec: OrderLogSpec, seed: int = 0) -> PlantedLog:
    """A shop's order export with the groups of ``spec`` planted in it.

    Columns: ``Name`` (order number), ``Customer ID``, ``Created at`` and ``Total``, written in
    ``spec.date_style`` (``iso``: ``2025-06-30 14:03:00 -0400`` as Shopify writes it; ``us``:
    ``06/30/2025``; ``day_first``: ``30/06/2025``) and ``spec.currency`` (``$1,234.50``,
    ``£1,234.50``, ``1.234,50 €``). Rows are shuffled.

    Parameters
    ----------
    spec : OrderLogSpec
    seed : int
        The same spec and seed give the same log.

    Returns
    -------
    PlantedLog

    Examples
    --------
    >>> log = planted_order_log(OrderLogSpec((("champions", 5), ("new", 5))), seed=1)
    >>> sorted(set(log.truth.values()))
    ['champions', 'new']
    >>> log.orders.columns.tolist()
    ['Name', 'Customer ID', 'Created at', 'Total']
    """
    rng = np.random.default_rng(seed)
    customer_ids: list[np.ndarray] = []
    days_ago: list[np.ndarray] = []
    values: list[np.ndarray] = []
    truth: dict[str, str] = {}
    # Shopify-like customer ids: long numbers, unrelated to the group.
    ids = rng.permutation(sum(n for _, n in spec.groups)) + 6_100_000_000
    taken = 0
    for group, count in spec.groups:
        behaviour = GROUPS[group]
        for _ in range(count):
            cid = int(ids[taken])
            taken += 1
            truth[str(cid)] = group
            days = _order_days(rng, behaviour)
            customer_ids.append(np.full(len(days), cid, dtype=np.int64))
            days_ago.append(days)
            typical = rng.uniform(*behaviour.order_value)
            values.append(np.round(rng.gamma(9.0, typical / 9.0, len(days)), 2))
    cust = np.concatenate(customer_ids)
    ago = np.concatenate(days_ago)
    amount = np.concatenate(values)
    order = rng.permutation(len(cust))
    cust, ago, amount = cust[order], ago[order], amount[order]
    # The orders' times of day, so ISO timestamps look like a real export.
    seconds = rng.integers(8 * 3600, 22 * 3600, len(cust))
    stamps = _END - ago.astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            "Name": pd.array([f"#{1001 + i}" for i in range(len(cust))], dtype="str"),
            "Customer ID": cust,
            "Created at": pd.array(_write_dates(stamps, seconds, spec.date_style), dtype="str"),
            "Total": pd.array(_write_money(amount, spec.currency), dtype="str"),
        }
    )
    return PlantedLog(orders=frame, truth=truth)


def with_currency_column(orders: pd.DataFrame, code: str = "USD") -> pd.DataFrame:
    """The log as Shopify exports it: ``Total`` as plain numbers and a ``Currency`` column.

    The currency is then known only from that column (``USD``, ``EUR``...), as in a real export.

    Examples
    --------
    >>> log = planted_order_log(OrderLogSpec((("champions", 2),)), seed=1).orders
    >>> shop = with_currency_column(log, "EUR")
    >>> shop.columns.tolist(), shop["Total"].dtype.kind, set(shop["Currency"])
    (['Name', 'Customer ID', 'Created at', 'Total', 'Currency'], 'f', {'EUR'})
    """
    from segmentation.read.numbers import parse_number_column  # light at import: samples are data

    out = orders.copy()
    decimal_comma = out["Total"].astype(str).str.contains(r",\d{2}\b", regex=True).all()
    parsed = parse_number_column(out["Total"], decimal_comma=bool(decimal_comma))
    if parsed is None:
        raise ValueError("the log's Total column does not hold amounts")
    out["Total"] = parsed.astype(np.float64)
    out["Currency"] = pd.array([code] * len(out), dtype="str")
    return out


def _order_days(rng: np.random.Generator, behaviour: _Behaviour) -> np.ndarray:
    """Days before the log's end of one customer's orders, the last one first."""
    count = int(rng.integers(behaviour.orders[0], behaviour.orders[1] + 1))
    last = int(rng.integers(behaviour.recency_days[0], behaviour.recency_days[1] + 1))
    gap = rng.uniform(*behaviour.gap_days)
    # Gaps vary around the customer's habit (gamma with shape 6: roughly +-40%), at least a day.
    gaps = np.maximum(np.round(rng.gamma(6.0, gap / 6.0, count - 1)), 1.0) if count > 1 else []
    return last + np.concatenate([[0.0], np.cumsum(gaps)]).astype(np.int64)


def _write_dates(days: np.ndarray, seconds: np.ndarray, style: DateStyle) -> list[str]:
    stamps = pd.to_datetime(days) + pd.to_timedelta(seconds, unit="s")
    if style == "iso":
        return list(stamps.strftime("%Y-%m-%d %H:%M:%S -0400"))
    return list(stamps.strftime("%m/%d/%Y" if style == "us" else "%d/%m/%Y"))


def _write_money(amount: np.ndarray, currency: Currency) -> list[str]:
    if currency == "€":
        # European style: dot thousands, comma decimals, symbol after.
        swap = str.maketrans(",.", ".,")
        return [f"{v:,.2f}".translate(swap) + " €" for v in amount]
    return [f"{currency}{v:,.2f}" for v in amount]


# Configurations that tests and benchmarks share: group sizes vary, and so do the share of
# one-time buyers (both sides of 50%), the date style and the currency.
SCENARIOS: dict[str, OrderLogSpec] = {
    # The issue's shop: ~700 customers, ~100 lapsing regulars, 37% one-time buyers.
    "shopify_700": OrderLogSpec(
        (
            ("champions", 120),
            ("loyal", 150),
            ("at_risk", 100),
            ("new", 110),
            ("lost", 150),
            ("hibernating", 70),
        ),
        "iso",
        "$",
    ),
    # Most customers bought once (71%), European dates and money.
    "one_time_majority": OrderLogSpec(
        (
            ("new", 300),
            ("lost", 450),
            ("champions", 70),
            ("loyal", 90),
            ("at_risk", 80),
            ("hibernating", 60),
        ),
        "day_first",
        "€",
    ),
    # Lapsing regulars and lapsing big spenders both present, US style, pounds.
    "big_spenders": OrderLogSpec(
        (
            ("champions", 200),
            ("loyal", 250),
            ("at_risk", 120),
            ("cant_lose", 60),
            ("new", 150),
            ("lost", 200),
            ("hibernating", 80),
        ),
        "us",
        "£",
    ),
    # Just over half bought once (52%).
    "half_one_time": OrderLogSpec(
        (
            ("new", 200),
            ("lost", 330),
            ("champions", 100),
            ("loyal", 150),
            ("at_risk", 100),
            ("hibernating", 140),
        ),
        "iso",
        "€",
    ),
    # A small shop: 300 customers, no hibernating group.
    "small_shop": OrderLogSpec(
        (("champions", 40), ("loyal", 60), ("at_risk", 50), ("new", 60), ("lost", 90)),
        "us",
        "$",
    ),
}


# A shop whose 80 champions order steadily every two to five weeks, among many regulars: the
# pair of monthly exports where the issue saw champions named "Loyal" one month.
STEADY_CHAMPIONS = OrderLogSpec(
    (
        ("champions", 80),
        ("loyal", 400),
        ("at_risk", 60),
        ("cant_lose", 40),
        ("new", 80),
        ("lost", 200),
        ("hibernating", 50),
    ),
    "iso",
    "$",
)


def back_to_back_months(spec: OrderLogSpec, seed: int = 0) -> tuple[PlantedLog, PlantedLog]:
    """Two monthly exports of one shop: everything ordered up to the end of May, then up to the
    end of June. Customers keep their habits (a champion orders every few weeks in both), so a
    customer whose behaviour did not change should keep the name of their segment.

    Examples
    --------
    >>> may, june = back_to_back_months(OrderLogSpec((("champions", 5),)), seed=1)
    >>> len(may.orders) < len(june.orders), set(may.truth) <= set(june.truth)
    (True, True)
    """
    june = planted_order_log(spec, seed=seed)
    when = pd.to_datetime(june.orders["Created at"].str.slice(0, 10), format="%Y-%m-%d")
    orders = june.orders.loc[when <= pd.Timestamp("2025-05-31")].reset_index(drop=True)
    kept = set(orders["Customer ID"].astype(str))
    may = PlantedLog(orders=orders, truth={c: g for c, g in june.truth.items() if c in kept})
    return may, june


@dataclass(frozen=True)
class Landing:
    """Where a planted group landed: its largest share in one segment, and that segment."""

    group: str
    share: float
    segment: int
    name: str
    fits: bool  # the segment's name is one under which the group is correctly shown


def where_groups_land(labels: pd.DataFrame, truth: dict[str, str]) -> dict[str, Landing]:
    """Each planted group's largest share in one segment of a per-customer result table.

    ``labels`` is an RFM result's ``table``: the customer key first (under the file's own
    header), then ``segment`` and ``segment_name`` among the others; names are compared without
    a qualifier such as " (higher spend)".
    """
    planted = labels.iloc[:, 0].astype(str).map(truth)
    out: dict[str, Landing] = {}
    for group in dict.fromkeys(truth.values()):
        members = labels[planted.to_numpy() == group]
        counts = members["segment"].value_counts()
        segment = int(counts.index[0])
        name = str(members.loc[members["segment"] == segment, "segment_name"].iloc[0])
        base = name.split(" (")[0]
        out[group] = Landing(
            group=group,
            share=float(counts.iloc[0] / len(members)),
            segment=segment,
            name=name,
            fits=base in FITTING_NAMES[group],
        )
    return out
