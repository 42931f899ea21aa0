"""Customer tables the way public exports look, with known structure, for tests.

A marketing-campaign export (tab-separated, CamelCase headers, spend per product, purchases per
channel, 0/1 campaign flags, constant columns, a signup date and a birth year), a B2B wholesale
table (channel and region codes, skewed spend per category, a few exceptional buyers) and a
credit-card behaviour table (SHOUTING_CASE headers, frequencies in 0..1, a purchases total that
is the sum of two columns). The same seed always gives the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["campaign_export", "card_behaviour", "wholesale_buyers"]

_PRODUCTS = ("Wines", "Fruits", "MeatProducts", "FishProducts", "SweetProducts", "GoldProds")


def campaign_export(n: int = 2_240, seed: int = 0) -> pd.DataFrame:
    """One row per customer: three kinds of spenders (light, wine lovers, meat lovers)."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    income = rng.normal(35_000, 8_000, n) + kind * 25_000
    income[rng.choice(n, 20, replace=False)] = np.nan
    base = np.array([[30, 5, 20, 6, 5, 10], [700, 30, 150, 40, 30, 60], [150, 50, 700, 90, 60, 50]])
    mnt = np.rint(base[kind] * rng.lognormal(0, 0.4, (n, 6))).astype(int)
    visits = np.clip(rng.poisson(7 - 2 * kind), 0, None)
    table = pd.DataFrame(
        {
            "ID": rng.permutation(np.arange(1_000, 12_000))[:n],
            "Year_Birth": rng.integers(1945, 1998, n),
            "Education": rng.choice(["Graduation", "PhD", "Master", "Basic"], n),
            "Marital_Status": rng.choice(["Married", "Single", "Together"], n),
            "Income": income.round(0),
            "Kidhome": rng.choice([0, 1, 2], n, p=[0.6, 0.35, 0.05]),
            "Teenhome": rng.choice([0, 1, 2], n, p=[0.5, 0.45, 0.05]),
            "Dt_Customer": _signup_dates(rng, n),
            "Recency": rng.integers(0, 100, n),
        }
    )
    for j, product in enumerate(_PRODUCTS):
        table[f"Mnt{product}"] = mnt[:, j]
    for channel, scale in (("Deals", 2), ("Web", 3), ("Catalog", 2), ("Store", 5)):
        table[f"Num{channel}Purchases"] = rng.poisson(scale * (1 + kind))
    table["NumWebVisitsMonth"] = visits
    for campaign in (3, 4, 5, 1, 2):
        table[f"AcceptedCmp{campaign}"] = (rng.random(n) < 0.03 + 0.05 * kind).astype(int)
    table["Complain"] = (rng.random(n) < 0.01).astype(int)
    table["Z_CostContact"] = 3
    table["Z_Revenue"] = 11
    table["Response"] = (rng.random(n) < 0.1 + 0.1 * kind).astype(int)
    return table


def _signup_dates(rng: np.random.Generator, n: int) -> list[str]:
    days = pd.Timestamp("2012-07-30") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return [f"{d.day}/{d.month}/{d.year}" for d in days]


def wholesale_buyers(n: int = 440, seed: int = 0, exceptional: int = 7) -> pd.DataFrame:
    """Hotels and restaurants (fresh, frozen) against retailers (grocery, milk, detergents),
    channel 1/2 and region 1/2/3 codes, and ``exceptional`` buyers of huge grocery volumes."""
    rng = np.random.default_rng(seed)
    retail = rng.random(n) < 0.35
    medians = np.where(
        retail[:, None],
        np.array([6_000, 8_000, 12_000, 1_300, 5_000, 1_400]),
        np.array([12_000, 3_000, 3_800, 3_000, 700, 1_000]),
    )
    spend = np.rint(medians * rng.lognormal(0, 0.8, (n, 6))).astype(int)
    top = rng.choice(n, exceptional, replace=False)
    spend[top, 2] = rng.integers(400_000, 600_000, exceptional)
    table = pd.DataFrame(
        {
            "Customer ID": np.arange(100, 100 + n),
            "Channel": np.where(retail, 2, 1),
            "Region": rng.choice([1, 2, 3], n, p=[0.2, 0.1, 0.7]),
        }
    )
    for j, column in enumerate(("Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper")):
        table[column] = spend[:, j]
    table["Delicassen"] = spend[:, 5]
    return table


def card_behaviour(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    """Card holders who buy in one go, who pay in instalments, and who draw cash."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, n, p=[0.45, 0.3, 0.25])
    oneoff = np.where(kind == 0, rng.lognormal(6.5, 0.8, n), rng.lognormal(3, 1, n)) * (
        rng.random(n) < 0.9
    )
    instalments = np.where(kind == 1, rng.lognormal(6.3, 0.7, n), rng.lognormal(2.5, 1, n))
    cash = np.where(kind == 2, rng.lognormal(7.5, 0.7, n), 0.0)
    purchases = oneoff + instalments
    frequency = np.clip(np.log1p(purchases) / 9 + rng.normal(0, 0.05, n), 0, 1)
    table = pd.DataFrame(
        {
            "CUST_ID": [f"C{10_001 + i}" for i in range(n)],
            "BALANCE": rng.lognormal(6.5, 1.2, n).round(2) + 400 * (kind == 2),
            "BALANCE_FREQUENCY": np.clip(rng.beta(8, 1, n), 0, 1).round(6),
            "PURCHASES": purchases.round(2),
            "ONEOFF_PURCHASES": oneoff.round(2),
            "INSTALLMENTS_PURCHASES": instalments.round(2),
            "CASH_ADVANCE": cash.round(2),
            "PURCHASES_FREQUENCY": frequency.round(6),
            "ONEOFF_PURCHASES_FREQUENCY": np.clip(frequency - 0.3 * (kind != 0), 0, 1).round(6),
            "PURCHASES_INSTALLMENTS_FREQUENCY": np.clip(frequency - 0.3 * (kind != 1), 0, 1),
            "CASH_ADVANCE_FREQUENCY": np.where(kind == 2, rng.uniform(0.1, 0.6, n), 0.0),
            "CASH_ADVANCE_TRX": np.where(kind == 2, rng.poisson(5, n), 0),
            "PURCHASES_TRX": rng.poisson(1 + 20 * frequency),
            "CREDIT_LIMIT": (rng.lognormal(8, 0.6, n) // 500 * 500 + 500),
            "PAYMENTS": rng.lognormal(7, 1, n).round(2),
            "MINIMUM_PAYMENTS": rng.lognormal(5.5, 1, n).round(2),
            "PRC_FULL_PAYMENT": np.clip(rng.beta(0.5, 2, n), 0, 1).round(6),
            "TENURE": rng.choice(
                [6, 7, 8, 9, 10, 11, 12], n, p=[0.03, 0.03, 0.03, 0.03, 0.03, 0.05, 0.8]
            ),
        }
    )
    return table
