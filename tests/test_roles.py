"""Public tables as a new user brings them: the reading, the columns used and left out with
their reasons, and segments big enough to act on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.customer_samples import campaign_export, card_behaviour, wholesale_buyers
from segmentation.errors import NoUsableColumns
from segmentation.explain.report import format_report
from segmentation.model.features import plan_columns
from segmentation.pipeline import run
from segmentation.result import Options


@pytest.fixture(scope="module")
def campaign():
    data = campaign_export().to_csv(sep="\t", index=False).encode()
    return run(data, filename="marketing_campaign.csv")


def test_a_campaign_export_reads_as_one_row_per_customer(campaign) -> None:
    # Its constant Z_CostContact once passed for a customer key of an order log.
    assert campaign.mode == "customers"
    assert campaign.rows == 2_240


def test_a_campaign_export_segments_on_spend_then_behaviour(campaign) -> None:
    assert campaign.features[0] == "Total spend"
    assert "Income" in campaign.features and "Recency" in campaign.features
    assert len(campaign.features) <= 6
    derived = campaign.details["derived_columns"]["Total spend"]
    assert derived["from"] == [
        f"Mnt{p}"
        for p in ("Wines", "Fruits", "MeatProducts", "FishProducts", "SweetProducts", "GoldProds")
    ]
    assert "Total spend" in campaign.details["log_scale"]
    assert campaign.details["features_reason"].startswith("Segments are shaped by total spend")
    assert campaign.details["features_reason"] in format_report(campaign)


def test_codes_flags_constants_dates_and_birth_years_are_set_aside_with_reasons(campaign) -> None:
    why = campaign.excluded_columns
    assert why["Z_CostContact"] == "the same value in every row"  # not personal data
    assert why["Kidhome"].startswith("a code")
    assert why["AcceptedCmp1"].startswith("a yes/no flag") and why["Response"].startswith(
        "a yes/no"
    )
    assert why["Dt_Customer"].startswith("a date: profiled as tenure")
    assert why["Year_Birth"].startswith("a birth year: profiled as age")
    assert why["ID"] == "an identifier"
    assert "personal data" not in why.values()
    text = format_report(campaign)
    assert "Not used for segments" in text and "Kidhome: a code" in text


@pytest.mark.parametrize("style", ["%Y-%m-%d", "%d-%m-%Y", "%m/%d/%Y %H:%M"])
def test_a_signup_date_in_any_common_writing_is_tenure_not_a_phone_number(style: str) -> None:
    # Copies of the campaign export write Dt_Customer as 2013-05-04 or 04-09-2012: eight
    # digits and dashes, which once read as phone numbers and were set aside as personal data.
    table = campaign_export()
    table["Dt_Customer"] = pd.to_datetime(table["Dt_Customer"], dayfirst=True).dt.strftime(style)
    result = run(table.to_csv(index=False).encode(), filename="marketing_campaign.csv")
    assert result.excluded_columns["Dt_Customer"].startswith("a date: profiled as tenure")
    assert "personal data" not in result.excluded_columns.values()


def test_segments_profile_codes_and_flags_as_shares_and_derive_age_and_tenure(campaign) -> None:
    profile = campaign.segments[0].profile
    assert profile["Kidhome"]["kind"] == "code" and "Kidhome 0" in profile["Kidhome"]["top"]
    assert profile["Response"]["kind"] == "flag" and set(profile["Response"]["top"]) <= {
        "yes",
        "no",
    }
    assert 15 < profile["Age"]["median"] < 75
    tenure = next(v for c, v in profile.items() if c.startswith("Tenure"))
    assert 0 <= tenure["median"] <= 24


def test_three_planted_kinds_of_spender_come_back_at_their_sizes(campaign) -> None:
    sizes = sorted((s.size for s in campaign.segments), reverse=True)
    assert campaign.k == 3
    for size, expected in zip(sizes, (0.5, 0.3, 0.2), strict=True):
        assert abs(size / campaign.rows_used - expected) < 0.05


def test_a_wholesale_table_profiles_its_codes_and_keeps_segments_at_2_percent() -> None:
    result = run(wholesale_buyers(), filename="wholesale.csv")
    assert not {"Channel", "Region"} & set(result.features)
    assert min(s.share for s in result.segments) >= 0.02
    shares = {s.name: s.profile["Channel"]["top"] for s in result.segments}
    assert all(set(top) <= {"Channel 1", "Channel 2"} for top in shares.values())
    assert result.plot_axes[0] != "Channel" and result.plot_axes[1] != "Channel"


def test_a_given_k_is_honoured_even_when_segments_come_out_small() -> None:
    result = run(wholesale_buyers(), Options(k=8), filename="wholesale.csv")
    assert result.k == 8 and len(result.segments) == 8


def test_a_card_table_in_shouting_case_collapses_totals_and_duplicates() -> None:
    result = run(card_behaviour(), filename="cards.csv")
    assert result.features[0] == "PURCHASES"
    assert (
        result.excluded_columns["ONEOFF_PURCHASES"] == "part of PURCHASES: profiled, not clustered"
    )
    assert "CREDIT_LIMIT" in result.features
    assert not result.excluded_columns["TENURE"].startswith("a code")
    assert len(result.features) <= 5
    assert min(s.share for s in result.segments) >= 0.02


def test_a_handful_of_exceptional_customers_is_said_in_one_line_and_kept() -> None:
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"income": rng.normal(50, 10, 600), "spend": rng.normal(40, 8, 600)})
    table.loc[:4, "spend"] = 900.0
    result = run(table)
    assert result.details["exceptional_customers"] == 5
    assert "5 exceptional customers with very high spend" in " ".join(result.warnings)
    assert result.table["segment"].notna().all()  # kept in the labelled file
    assert min(s.share for s in result.segments) >= 0.02


def test_a_table_of_codes_is_segmented_on_its_categories() -> None:
    rng = np.random.default_rng(4)
    table = pd.DataFrame(
        {
            "CustomerID": np.arange(1, 301),
            "Channel": rng.choice([1, 2], 300),
            "Region": rng.choice([1, 2, 3], 300),
            "Response": rng.choice([0, 1], 300),
        }
    )
    result = run(table)
    assert set(result.features) == {"Channel", "Region", "Response"}
    assert "no measures of value or behaviour" in result.details["features_reason"]


def test_a_table_of_flags_and_identifiers_says_what_it_holds() -> None:
    rng = np.random.default_rng(4)
    table = pd.DataFrame(
        {
            "CustomerID": np.arange(1, 301),
            "Complain": rng.choice([0, 1], 300),
            "Response": rng.choice([0, 1], 300),
            "Store": "Main street",
        }
    )
    with pytest.raises(NoUsableColumns, match=r"Complain \(a yes/no flag.*Store \(the same"):
        run(table)


def test_personal_data_is_read_from_values_not_from_a_word_in_the_header() -> None:
    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        {
            "contact": rng.choice(["cellular", "telephone"], 200),
            "Z_CostContact": 3,
            "Phone": [f"+44 20 7946 {i:04d}" for i in range(200)],
            "spend": rng.gamma(2, 50, 200),
            "income": rng.normal(50, 10, 200),
        }
    )
    plan = plan_columns(table)
    assert plan.personal == ("Phone",)
    assert plan.excluded["contact"] == "a category: profiled per segment"
