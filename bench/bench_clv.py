"""Customer lifetime value on CDNOW: fit and predict times, and how far forecasts can be trusted.

Times: summarising the 69,659 orders, fitting BG/NBD and Gamma-Gamma on the 23,570 customers and
predicting all of them, against a baseline run in the same process on the same customers: the
BG/NBD log-likelihood as a notebook would write it (one row per customer, no gradient) minimised
with Nelder-Mead from the same start.

``--subsets`` measures what the minimums in ``segmentation.model.clv`` rest on: the 39-week
forecast total against what happened, for random subsets of customers of several sizes, and for
calibration histories of several lengths.

Run: python bench/bench_clv.py [--repeat N] [--subsets] [--draws N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

from segmentation.model.clv import (
    fit_bgnbd,
    fit_gamma_gamma,
    predict,
    summarise_transactions,
)

CDNOW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdnow_orders.csv"
CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_DAYS = 273


def notebook_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, float]:
    """The baseline: eq. 6 per customer, summed, minimised by Nelder-Mead in log-parameters."""

    def minus_ll(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(invalid="ignore", divide="ignore"):
            a4 = np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x)
        a4 = np.where(x > 0, a4, -np.inf)
        return -float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))

    rate = x.sum() / T.sum()
    result = minimize(minus_ll, np.log([1.0, 1.0 / rate, 1.0, 2.0]), method="Nelder-Mead")
    return np.exp(result.x), -result.fun


def best_of(repeat: int, call) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - start)
    return min(times), value


def timings(orders: pd.DataFrame, repeat: int) -> None:
    ids, dates, amounts = orders["customer_id"], orders["order_date"], orders["amount_usd"]
    dates = pd.to_datetime(dates)
    t_sum, summary = best_of(repeat, lambda: summarise_transactions(ids, dates, amounts))
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    t_bg, bg = best_of(repeat, lambda: fit_bgnbd(x, t_x, T))
    t_gg, gg = best_of(repeat, lambda: fit_gamma_gamma(x, summary["monetary_value"]))
    t_pr, _ = best_of(repeat, lambda: predict(summary, bg, gg, horizon_days=365))
    t_nb, (params, ll) = best_of(max(1, repeat // 3), lambda: notebook_bgnbd(x, t_x, T))
    print(f"CDNOW, {len(orders):,} orders, {len(summary):,} customers (best of {repeat}):")
    print(f"  summarise orders          {t_sum * 1e3:8.1f} ms")
    print(f"  fit BG/NBD                {t_bg * 1e3:8.1f} ms   {bg}")
    print(f"  fit Gamma-Gamma           {t_gg * 1e3:8.1f} ms   {gg}")
    print(f"  both fits                 {(t_bg + t_gg) * 1e3:8.1f} ms")
    print(f"  predict 365 days          {t_pr * 1e3:8.1f} ms")
    print(f"  baseline (Nelder-Mead)    {t_nb * 1e3:8.1f} ms   params {np.round(params, 4)}")
    print(f"  BG/NBD fit speed-up over the baseline: {t_nb / t_bg:.1f}x")
    print(f"  log-likelihood: ours {bg.log_likelihood:.3f}, baseline {ll:.3f}")


def holdout_ratio(orders: pd.DataFrame, as_of: pd.Timestamp) -> float:
    """Forecast total over the 39 weeks after ``as_of`` divided by what happened."""
    end = as_of + pd.Timedelta(days=HOLDOUT_DAYS)
    ids, dates = orders["customer_id"], orders["order_date"]
    calibration = summarise_transactions(ids, dates, as_of=as_of)
    later = summarise_transactions(ids, dates, as_of=end)
    actual = later["frequency"].loc[calibration.index] - calibration["frequency"]
    fit = fit_bgnbd(calibration["frequency"], calibration["recency"], calibration["T"])
    expected = predict(calibration, fit, horizon_days=HOLDOUT_DAYS)["expected_orders"]
    return float(expected.sum() / max(actual.sum(), 1))


def subsets(orders: pd.DataFrame, draws: int) -> None:
    rng = np.random.default_rng(0)
    customers = orders["customer_id"].unique()
    whole = holdout_ratio(orders, CALIBRATION_END)
    print(
        f"\nForecast / actual over 39 weeks; whole log {whole:.3f}. Random subsets ({draws} each):"
    )
    print("  customers   regulars(median)   10%    50%    90%   share within 25%")
    for size in (100, 250, 500, 1000, 2500):
        ratios, regulars = [], []
        for _ in range(draws):
            chosen = rng.choice(customers, size, replace=False)
            part = orders[orders["customer_id"].isin(chosen)]
            cal = summarise_transactions(
                part["customer_id"], part["order_date"], as_of=CALIBRATION_END
            )
            regulars.append(int((cal["frequency"] >= 2).sum()))
            ratios.append(holdout_ratio(part, CALIBRATION_END))
        q = np.quantile(ratios, [0.1, 0.5, 0.9])
        within = np.mean(np.abs(np.array(ratios) / whole - 1) <= 0.25)
        print(
            f"  {size:>9,}   {np.median(regulars):>16.0f}   {q[0]:.2f}   {q[1]:.2f}   {q[2]:.2f}"
            f"   {within:>16.0%}"
        )
    print("\nHistory before the as-of date (all customers who bought by then):")
    first = orders["order_date"].min()
    for days in (60, 90, 120, 180, 270):
        as_of = first + pd.Timedelta(days=days)
        print(f"  {days:>4} days: forecast / actual {holdout_ratio(orders, as_of):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--subsets", action="store_true")
    parser.add_argument("--draws", type=int, default=40)
    args = parser.parse_args()
    orders = pd.read_csv(CDNOW, parse_dates=["order_date"])
    timings(orders, args.repeat)
    if args.subsets:
        subsets(orders, args.draws)


if __name__ == "__main__":
    main()
