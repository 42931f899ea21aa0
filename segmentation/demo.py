"""The built-in sample: mall-like customers in five groups, generated, deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["generate_customers", "demo_table", "demo_csv", "DEMO_FILENAME"]

DEMO_FILENAME = "demo_customers.csv"

# The five groups of the Mall Customers analysis: share, income (k$) mean and spread,
# spending score mean and spread, age mean and spread, share of women.
_GROUPS = (
    (0.405, 55.0, 8.0, 50.0, 6.0, 43.0, 13.0, 0.59),  # medium income, medium spend
    (0.195, 86.0, 13.0, 82.0, 9.0, 33.0, 4.0, 0.54),  # high income, high spend
    (0.175, 88.0, 13.0, 17.0, 10.0, 41.0, 11.0, 0.46),  # high income, low spend
    (0.115, 26.0, 7.0, 21.0, 13.0, 45.0, 13.0, 0.61),  # low income, low spend
    (0.110, 26.0, 7.0, 79.0, 10.0, 25.0, 5.0, 0.59),  # low income, high spend
)


def generate_customers(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` mall-like customers in five groups, the same for the same ``n`` and ``seed``.

    Columns: CustomerID, Gender, Age, Annual Income (k$), Spending Score (1-100).

    Examples
    --------
    >>> generate_customers(200).shape
    (200, 5)
    """
    rng = np.random.default_rng(seed)
    shares = np.array([g[0] for g in _GROUPS])
    counts = np.floor(shares / shares.sum() * n).astype(int)
    counts[0] += n - counts.sum()
    group = np.repeat(np.arange(len(_GROUPS)), counts)
    rng.shuffle(group)
    params = np.array([g[1:] for g in _GROUPS])[group]
    income = rng.normal(params[:, 0], params[:, 1]).clip(12, 140).round()
    spend = rng.normal(params[:, 2], params[:, 3]).clip(1, 99).round()
    age = rng.normal(params[:, 4], params[:, 5]).clip(18, 70).round()
    female = rng.random(n) < params[:, 6]
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, n + 1),
            "Gender": np.where(female, "Female", "Male"),
            "Age": age.astype(int),
            "Annual Income (k$)": income.astype(int),
            "Spending Score (1-100)": spend.astype(int),
        }
    )


def demo_table() -> pd.DataFrame:
    """The built-in demo sample: 200 generated mall-like customers."""
    return generate_customers(200)


def demo_csv() -> bytes:
    """The demo sample as CSV bytes, as if a user had shared it."""
    return demo_table().to_csv(index=False).encode("utf-8")
