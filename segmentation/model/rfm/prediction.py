"""Purchase predictions for the customers of an order log, and what they add to each segment.

The models are those of :mod:`segmentation.model.clv` (BG/NBD for who is still buying and how
often, Gamma-Gamma for how much), fitted on the log's purchases up to its as-of day. Below the
minimums (:data:`~segmentation.model.clv.MIN_CUSTOMERS` customers,
:data:`~segmentation.model.clv.MIN_HISTORY_DAYS` days of orders,
:data:`~segmentation.model.clv.MIN_REGULARS` customers who ordered on three or more days) no
number is made up: the answer carries one sentence naming the minimum instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentation.explain.voice import outlook_words
from segmentation.model.clv import (
    MIN_CUSTOMERS,
    MIN_HISTORY_DAYS,
    MIN_REGULARS,
    BgNbdFit,
    GammaGammaFit,
    fit_bgnbd,
    fit_gamma_gamma,
    predict,
    spend_reason,
    summarise_transactions,
)
from segmentation.read.orders import CustomerTable

__all__ = ["PREDICTION_COLUMNS", "Outlook", "SegmentOutlook", "predict_purchases"]

# The columns predictions add to the per-customer table (expected_spend only with spend).
PREDICTION_COLUMNS = ("p_active", "expected_orders", "expected_spend")
# Time runs in weeks inside the model, as in the papers; the answer speaks in days.
_UNIT_DAYS = 7.0
# BG/NBD lets a customer drop out only after a repeat purchase, so a customer who bought on one
# day only is "active" with probability 1 (Fader, Hardie & Lee 2005). The words give a chance of
# still buying only for segments mostly of customers who came back, and then theirs alone;
# below this share of them the chance is left unsaid; from the second share on, "of them".
_SAY_CHANCE = 0.5
_ALL_CAME_BACK = 0.95


@dataclass(frozen=True)
class SegmentOutlook:
    """What the model expects of one segment: its customers' averages, its totals, in words."""

    p_active: float
    expected_orders: float
    expected_spend: float | None
    expected_spend_total: float | None
    words: str


@dataclass(frozen=True)
class Outlook:
    """Predictions for every customer of a log.

    ``customers`` has one row per customer of the table, in its order: ``p_active``,
    ``expected_orders`` and, when spend was predicted, ``expected_spend``. ``block`` is the JSON
    ``prediction``; ``spend_note`` says why spend was not predicted (None when it was, or when
    the log has no amounts, which the answer already says). ``came_back`` marks the customers
    who bought on more than one day.
    """

    customers: pd.DataFrame
    came_back: np.ndarray
    block: dict[str, Any]
    spend_note: str | None
    horizon_days: float
    currency: str | None

    def per_segment(self, labels: np.ndarray, k: int) -> list[SegmentOutlook]:
        """Each segment's averages and totals, and the sentence that says them."""
        counts = np.bincount(labels, minlength=k).astype(float)

        def sums(column: str) -> np.ndarray:
            return np.bincount(labels, weights=self.customers[column].to_numpy(float), minlength=k)

        p_active, orders = sums("p_active"), sums("expected_orders")
        spend = sums("expected_spend") if "expected_spend" in self.customers else None
        returners = np.bincount(labels, weights=self.came_back, minlength=k)
        p_returners = np.bincount(
            labels, weights=self.customers["p_active"].to_numpy(float) * self.came_back, minlength=k
        )
        out = []
        for i in range(k):
            total = None if spend is None else float(spend[i])
            share_back = returners[i] / counts[i]
            chance = p_returners[i] / returners[i] if share_back >= _SAY_CHANCE else None
            out.append(
                SegmentOutlook(
                    p_active=float(p_active[i] / counts[i]),
                    expected_orders=float(orders[i] / counts[i]),
                    expected_spend=None if total is None else total / counts[i],
                    expected_spend_total=total,
                    words=outlook_words(
                        chance,
                        float(orders[i]),
                        total,
                        self.horizon_days,
                        self.currency,
                        returners_only=share_back < _ALL_CAME_BACK,
                    ),
                )
            )
        return out


def predict_purchases(
    table: CustomerTable, horizon_days: float
) -> tuple[Outlook | None, list[str]]:
    """Predict every customer's purchases over the horizon, when the log allows it.

    Parameters
    ----------
    table : CustomerTable
        The log summarised per customer, with its ``purchases`` and ``as_of`` day.
    horizon_days : float
        How far ahead, in days; 0 turns predictions off.

    Returns
    -------
    (Outlook or None, list of str)
        The predictions (None when turned off or below a minimum) and the sentences for the
        answer's warnings: the minimum the log does not meet, or why spend was not predicted.
    """
    if horizon_days <= 0 or table.as_of is None:
        return None, []
    if table.transactions is not None:
        # Summarised where the data lies, with the customer table.
        summary = table.transactions
        has_spend = table.has_amount
        first_day = pd.Timestamp(table.customers["first_order"].min())
    elif table.purchases is not None:
        summary, first_day = _summary(table)
        has_spend = "spend" in table.purchases.columns
    else:
        return None, []
    history_days = int((table.as_of - first_day) / pd.Timedelta(days=1))
    found = {
        "customers": len(summary),
        "history_days": history_days,
        "regulars": int((summary["frequency"] >= 2).sum()),
    }
    unmet = _unmet_minimum(found)
    if unmet:
        return None, [unmet]

    bgnbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"], _UNIT_DAYS)
    spend_fit, note = _spend_model(table, summary) if has_spend else (None, None)
    predicted = predict(summary, bgnbd, spend_fit, horizon_days)
    if not np.isfinite(predicted.to_numpy()).all():
        # Only a degenerate log gets here past the minimums; a number made up is worse than none.
        return None, ["I made no purchase predictions: the model could not fit these orders."]
    # The summary is indexed by the customer's row in the table, and every customer bought.
    predicted = predicted.reindex(pd.RangeIndex(len(table.customers)))
    block = _block(table, bgnbd, spend_fit, horizon_days, found, predicted)
    came_back = (summary["frequency"] > 0).reindex(predicted.index).to_numpy(dtype=bool)
    outlook = Outlook(predicted, came_back, block, note, horizon_days, table.currency)
    return outlook, [note] if note else []


def _summary(table: CustomerTable) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The per-customer summary of the purchases, and the first purchase's day."""
    purchases = table.purchases
    assert purchases is not None
    has_spend = "spend" in purchases.columns
    summary = summarise_transactions(
        purchases["customer"].to_numpy(),
        purchases["date"].to_numpy(),
        purchases["spend"].to_numpy() if has_spend else None,
        as_of=table.as_of,
        unit_days=_UNIT_DAYS,
    )
    return summary, pd.Timestamp(purchases["date"].min()).normalize()


def _spend_model(
    table: CustomerTable, summary: pd.DataFrame
) -> tuple[GammaGammaFit | None, str | None]:
    """The fitted spend model, or None and the sentence saying why spend is not predicted."""
    # What was sold and what was refunded (negative) is all spend_reason weighs.
    note = spend_reason(np.array([table.sold_total, table.refunds_total]))
    if note is not None:
        return None, note
    repeat = summary["frequency"].to_numpy() > 0
    if int((repeat & (summary["monetary_value"].to_numpy() > 0)).sum()) < 2:
        return None, "Too few customers came back and spent, so I predicted orders but not spend."
    fit = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    if fit.q <= 1:
        return None, "Spend per order varies too wildly between customers to predict it."
    return fit, None


def _unmet_minimum(found: dict[str, int]) -> str | None:
    """One sentence naming the first minimum not met (None when all are met)."""
    lead = "I made no purchase predictions: they need"
    if found["customers"] < MIN_CUSTOMERS:
        return (
            f"{lead} at least {MIN_CUSTOMERS:,} customers, and this log has {found['customers']:,}."
        )
    if found["history_days"] < MIN_HISTORY_DAYS:
        return (
            f"{lead} at least {MIN_HISTORY_DAYS} days of orders to tell a quiet customer from a "
            f"lost one, and this log covers {found['history_days']:,}."
        )
    if found["regulars"] < MIN_REGULARS:
        return (
            f"{lead} at least {MIN_REGULARS} customers who ordered on three or more days, and "
            f"this log has {found['regulars']:,}."
        )
    return None


def _block(
    table: CustomerTable,
    bgnbd: BgNbdFit,
    spend_fit: GammaGammaFit | None,
    horizon_days: float,
    found: dict[str, int],
    predicted: pd.DataFrame,
) -> dict[str, Any]:
    """The JSON ``prediction``: the model, its dates, parameters, minimums and totals."""
    required = {
        "customers": MIN_CUSTOMERS,
        "history_days": MIN_HISTORY_DAYS,
        "regulars": MIN_REGULARS,
    }
    spend = predicted["expected_spend"].sum() if "expected_spend" in predicted else None
    return {
        "model": "BG/NBD and Gamma-Gamma" if spend_fit is not None else "BG/NBD",
        "as_of": f"{table.as_of:%Y-%m-%d}",
        "horizon_days": int(horizon_days) if float(horizon_days).is_integer() else horizon_days,
        "time_unit": "week",
        "params": {n: round(getattr(bgnbd, n), 6) for n in ("r", "alpha", "a", "b")},
        "spend_params": (
            None if spend_fit is None else {n: round(getattr(spend_fit, n), 6) for n in "pqv"}
        ),
        "minimums": {n: {"required": required[n], "found": found[n]} for n in required},
        "p_active": round(float(predicted["p_active"].mean()), 4),
        "expected_orders_total": round(float(predicted["expected_orders"].sum()), 2),
        "expected_spend_total": None if spend is None else round(float(spend), 2),
    }
