"""Which columns are clustered, profiled or hidden."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.model.features import is_personal_header, plan_columns


def test_mall_like_table() -> None:
    table = pd.DataFrame(
        {
            "CustomerID": range(1, 101),
            "Genre": ["Male", "Female"] * 50,
            "Age": np.arange(100) % 50 + 18,
            "Annual Income (k$)": np.arange(100) + 15,
            "Spending Score (1-100)": (np.arange(100) * 7) % 100,
        }
    )
    plan = plan_columns(table)
    assert plan.features == ("Annual Income (k$)", "Spending Score (1-100)")
    assert set(plan.profile) == {"Genre", "Age"}
    assert plan.excluded["CustomerID"] == "an identifier"


def test_behaviour_columns_win_over_demographics() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 200),
            "total_orders": rng.integers(1, 30, 200),
            "avg basket value": rng.normal(50, 10, 200),
            "visits_last_90_days": rng.integers(0, 20, 200),
            "city": rng.choice(["Lyon", "Nice", "Lille"], 200),
        }
    )
    plan = plan_columns(table)
    assert plan.features == ("total_orders", "avg basket value", "visits_last_90_days")
    assert "age" in plan.profile and "city" in plan.profile


def test_unique_sequential_integers_are_identifiers_whatever_the_header() -> None:
    table = pd.DataFrame(
        {
            "row": range(500, 600),
            "spend": np.linspace(0, 1, 100) ** 2,
            "income": np.linspace(5, 9, 100),
        }
    )
    plan = plan_columns(table)
    assert plan.excluded["row"] == "an identifier"


def test_personal_data_by_header_and_by_content() -> None:
    table = pd.DataFrame(
        {
            "contact": [f"x{i}@shop.example" for i in range(50)],
            "who": [f"Jane Doe{chr(97 + i % 26)}" for i in range(50)],
            "Mobile": [f"07700 900{i:03d}" for i in range(50)],
            "Street Address": [f"{i} High St" for i in range(50)],
            "spend": np.arange(50.0),
            "income": np.arange(50.0) ** 1.5,
        }
    )
    plan = plan_columns(table)
    assert set(plan.personal) == {"contact", "Mobile", "Street Address"} | (
        {"who"} if "who" in plan.personal else set()
    )
    assert not set(plan.personal) & set(plan.features)
    assert not set(plan.personal) & set(plan.profile)


def test_person_names_without_a_telling_header_are_personal() -> None:
    names = ["Alice Martin", "Bruno Costa", "Chloe Dubois", "David Smith", "Emma Jones"] * 4
    table = pd.DataFrame(
        {
            "customer": [f"{n}{'x' * i}".title() for i, n in enumerate(names)],
            "spend": np.arange(20.0),
            "income": np.arange(20.0) ** 2,
        }
    )
    table["customer"] = [f"{n} {chr(65 + i)}" for i, n in enumerate(names)]
    plan = plan_columns(table)
    assert "customer" not in plan.features and "customer" not in plan.profile


def test_headers_that_only_look_personal_are_not() -> None:
    assert is_personal_header("E-mail")
    assert is_personal_header("first_name")
    assert is_personal_header("PostCode")
    assert not is_personal_header("Spending Score (1-100)")
    assert not is_personal_header("Store name")
    assert not is_personal_header("Annual Income (k$)")
