"""Marketers' names for RFM segments, and the one place that says which customer fits which name.

A segment may carry a name only when most of its customers (more than half) fit that name one
by one; :func:`name_fits` holds the rules. They judge recency twice: against the shop's usual
purchase cycle ("recent") and against each customer's own cycle ("stopped": silent for more
than twice their usual gap between orders), so a regular who ordered every month and has been
silent for half a year reads as at risk even where half a year is normal for the shop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

__all__ = ["NAMES", "Habits", "customer_habits", "name_fits", "fit_shares", "assign_names"]

# The shared vocabulary, best customers first; "One-time buyers" names the one-time buyers set
# apart when they are the majority.
NAMES = (
    "Champions",
    "Loyal",
    "Promising",
    "New customers",
    "Needs attention",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
    "One-time buyers",
)
# Silent for more than this many of one's own usual gaps between orders: stopped buying.
LAPSE_CYCLES = 2.0
# "Recent" is within this many of the shop's usual gaps between orders (median over repeat
# buyers), kept within a month and a year.
_RECENT_CYCLES = 2.0
_RECENT_BOUNDS = (30.0, 365.0)
# With fewer repeat buyers than this there is no usual cycle to speak of.
_MIN_CYCLES = 10


@dataclass(frozen=True)
class Habits:
    """What each customer did, with the shop's yardsticks; arrays have one value per customer.

    ``cycle`` is the customer's mean days between orders (NaN for one order); ``recent_days``
    the shop's "recent"; ``f_mid``, ``m_mid``, ``m_high`` the median and upper-third
    frequency and spend among repeat buyers (``m_*`` None without amounts).
    """

    recency: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray | None
    tenure: np.ndarray
    cycle: np.ndarray
    recent_days: float
    f_mid: float
    f_high: float
    m_mid: float | None
    m_high: float | None

    @property
    def recent(self) -> np.ndarray:
        return self.recency <= self.recent_days

    @property
    def stopped(self) -> np.ndarray:
        """Repeat buyers silent well beyond both the shop's recent window and their own cycle."""
        with np.errstate(invalid="ignore"):
            beyond_own = self.recency > LAPSE_CYCLES * self.cycle
        return (self.frequency >= 2) & ~self.recent & beyond_own

    @property
    def overdue(self) -> np.ndarray:
        """Recency in units of the customer's own cycle (the shop's for one-time buyers)."""
        shop = self.recent_days / _RECENT_CYCLES
        cycle = np.where(np.isnan(self.cycle), shop, self.cycle)
        return self.recency / np.maximum(cycle, 1.0)


def customer_habits(customers: pd.DataFrame) -> Habits:
    """The :class:`Habits` of a customer table (``recency_days``, ``frequency``, ``tenure_days``
    and, when there are amounts, ``monetary``).

    Examples
    --------
    >>> t = pd.DataFrame({"recency_days": [5, 200, 10], "frequency": [6, 6, 1],
    ...                   "tenure_days": [155, 450, 10], "monetary": [600.0, 500.0, 40.0]})
    >>> customer_habits(t).cycle.round(1).tolist()
    [30.0, 50.0, nan]
    """
    recency = customers["recency_days"].to_numpy(dtype=np.float64)
    frequency = customers["frequency"].to_numpy(dtype=np.float64)
    tenure = customers["tenure_days"].to_numpy(dtype=np.float64)
    monetary = customers["monetary"].to_numpy(dtype=np.float64) if "monetary" in customers else None
    repeat = frequency >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        # First to last order, over the gaps between them; same-day orders count as a day.
        cycle = np.where(repeat, np.maximum((tenure - recency) / (frequency - 1), 1.0), np.nan)
    if repeat.sum() >= _MIN_CYCLES:
        recent_days = float(np.clip(_RECENT_CYCLES * np.median(cycle[repeat]), *_RECENT_BOUNDS))
    else:
        recent_days = float(np.quantile(recency, 1 / 3))
    base = frequency[repeat] if repeat.any() else frequency
    spend = None if monetary is None else (monetary[repeat] if repeat.any() else monetary)
    return Habits(
        recency=recency,
        frequency=frequency,
        monetary=monetary,
        tenure=tenure,
        cycle=cycle,
        recent_days=recent_days,
        f_mid=float(np.median(base)),
        f_high=float(np.quantile(base, 2 / 3)),
        m_mid=None if spend is None else float(np.median(spend)),
        m_high=None if spend is None else float(np.quantile(spend, 2 / 3)),
    )


def name_fits(name: str, h: Habits) -> np.ndarray:
    """Which customers (bool per customer) the marketer name ``name`` fits.

    Champions: not stopped, recent, at least the median orders and spend of repeat buyers.
    Loyal: three orders or more, the last one recent or within their usual gap. Promising:
    recent, one or two orders. New customers: first order recent. Needs attention: two orders
    or more, not recent, not yet stopped. At risk: stopped, after three orders or more or
    spending at least the repeat buyers' median. Can't lose them: stopped, among the top
    third by spend (by orders without amounts). Hibernating: bought a little (one or two
    orders, or under the median spend), not recent. Lost: bought a little, none in twice the
    recent window. One-time buyers: one order.

    Examples
    --------
    >>> t = pd.DataFrame({"recency_days": [5, 200, 10], "frequency": [6, 6, 1],
    ...                   "tenure_days": [155, 450, 10], "monetary": [600.0, 500.0, 40.0]})
    >>> h = customer_habits(t)
    >>> name_fits("At risk", h).tolist(), name_fits("One-time buyers", h).tolist()
    ([False, True, False], [False, False, True])
    """
    f, r = h.frequency, h.recency
    repeat, once, recent, stopped = f >= 2, f == 1, h.recent, h.stopped
    few = f <= 2
    spent_mid = np.ones_like(repeat) if h.monetary is None else h.monetary >= h.m_mid
    # "Bought a little": one or two orders, or less than most repeat buyers spent.
    little = few | (np.zeros_like(repeat) if h.monetary is None else h.monetary < h.m_mid)
    if name == "Champions":
        return ~stopped & repeat & recent & (f >= h.f_mid) & spent_mid
    if name == "Loyal":
        with np.errstate(invalid="ignore"):
            due = r <= h.cycle
        return repeat & (f >= 3) & (recent | due)
    if name == "Promising":
        return recent & few
    if name == "New customers":
        return h.tenure <= h.recent_days
    if name == "Needs attention":
        return repeat & ~recent & ~stopped
    if name == "At risk":
        return stopped & ((f >= 3) | spent_mid)
    if name == "Can't lose them":
        big = f >= h.f_high if h.monetary is None else h.monetary >= h.m_high
        return stopped & big
    if name == "Hibernating":
        return little & ~recent
    if name == "Lost":
        return little & (r > 2 * h.recent_days)
    if name == "One-time buyers":
        return once
    raise ValueError(f"unknown segment name {name!r}")


def fit_shares(labels: np.ndarray, k: int, h: Habits) -> np.ndarray:
    """Share of each segment's customers that each name fits, shape (k, len(NAMES))."""
    sizes = np.maximum(np.bincount(labels, minlength=k), 1)
    out = np.empty((k, len(NAMES)))
    for j, name in enumerate(NAMES):
        out[:, j] = np.bincount(labels, weights=name_fits(name, h), minlength=k) / sizes
    return out


# Where each name sits, as (recency, value) mid-rank positions from 0 (worst) to 1 (best):
# recency is 1 for the most recent, value averages the positions of orders and spend. These
# follow the usual RFM grid (R against FM scores) that Klaviyo-style segment maps draw.
_PROTOTYPES: dict[str, tuple[float, float]] = {
    "Champions": (0.85, 0.85),
    "Loyal": (0.6, 0.7),
    "Promising": (0.8, 0.4),
    "New customers": (0.9, 0.15),
    "Needs attention": (0.5, 0.5),
    "At risk": (0.2, 0.6),
    "Can't lose them": (0.15, 0.9),
    "Hibernating": (0.2, 0.35),
    "Lost": (0.1, 0.1),
}
# What each unit of misfit costs next to the squared distance to the name's place: a name that
# fits everyone beats a nearer one that fits barely more than half.
_MISFIT_COST = 0.5
# Using a name a second time (with a qualifier) costs more than any first use.
_REPEAT_COST = 3.0
_IMPOSSIBLE = 1e6


def assign_names(
    shares: np.ndarray, positions: list[tuple[float, float]], fixed: dict[int, str]
) -> list[str | None]:
    """One name per segment that fits most (>50%) of its customers, each name used once where
    possible (least total cost, Hungarian method).

    ``shares`` is :func:`fit_shares`; ``positions`` each segment's (recency, value) place;
    ``fixed`` names set by construction (the one-time buyers' segments). A segment that no
    name fits gets None; a name may repeat when nothing else fits (the caller qualifies it).
    """
    k = len(positions)
    free = [i for i in range(k) if i not in fixed]
    names = [n for n in _PROTOTYPES if n not in fixed.values()]
    out: list[str | None] = [fixed.get(i) for i in range(k)]
    if not free:
        return out
    cost = np.full((len(free), 2 * len(names)), _IMPOSSIBLE)
    for row, i in enumerate(free):
        r, v = positions[i]
        for col, name in enumerate(names):
            share = shares[i, NAMES.index(name)]
            if share <= 0.5:
                continue
            pr, pv = _PROTOTYPES[name]
            # Squared distances keep the order: of two segments, the better one gets the
            # better of two names.
            c = (r - pr) ** 2 + (v - pv) ** 2 + _MISFIT_COST * (1.0 - share)
            cost[row, col] = c
            cost[row, len(names) + col] = c + _REPEAT_COST
    if len(free) > len(names):
        # More segments than names: every name may be taken again, at the repeat cost.
        cost = np.hstack([cost] + [cost[:, len(names) :]] * (len(free) // len(names)))
    rows, cols = linear_sum_assignment(cost)
    for row, col in zip(rows, cols, strict=True):
        if cost[row, col] < _IMPOSSIBLE:
            out[free[row]] = names[col % len(names)]
    return out
