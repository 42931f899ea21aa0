"""Wide tables read as a marketer reads them: names, descriptions, numbers and the picture.

The tables are generated like the exports the issue met: a campaign export in CamelCase
(``MntWines``, ``NumWebPurchases``, ``Year_Birth``) and a card issuer's behaviour table in
SHOUTING_CASE (``PURCHASES_TRX``), 20 to 30 columns, spend long-tailed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from segmentation import run
from segmentation.explain.describe import profile_sentence, value_level
from segmentation.explain.wording import header_words, same_concept
from segmentation.output.profile_plot import build_profile_figure
from segmentation.output.render import build_figure

# A number quoted in a description: "(1,220)", "(85%)", "($3,600)".
QUOTED = re.compile(r"\([^()]*\d[^()]*\)")
# Columns a card issuer adds on top of the 17 classic ones (30 in all).
EXTRA_CARD_COLUMNS = (
    "AVG_PURCHASE_VALUE",
    "ONLINE_TRX",
    "POS_TRX",
    "ATM_WITHDRAWALS",
    "FOREIGN_TRX",
    "REWARD_POINTS",
    "LATE_PAYMENTS",
    "CREDIT_UTILISATION",
    "MONTHS_ON_BOOK",
    "STATEMENTS_VIEWED",
    "APP_LOGINS",
    "CONTACTLESS_TRX",
    "DISPUTES",
)
LEVELS = ("High ", "Low ", "Medium ", "high ", "low ", "medium ")


def campaign_export(n: int = 1500, seed: int = 3) -> pd.DataFrame:
    """A marketing-campaign export: four kinds of customer, CamelCase headers, 22 columns."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(4, n, p=[0.4, 0.25, 0.2, 0.15])
    income = np.array([32_000, 78_000, 55_000, 60_000])[kind] * rng.lognormal(0, 0.2, n)
    wine = np.array([40, 900, 300, 250])[kind] * rng.lognormal(0, 0.6, n)
    table = {
        "ID": np.arange(5_000, 5_000 + n),
        "Year_Birth": rng.integers(1945, 2000, n),
        "Education": rng.choice(["Graduation", "PhD", "Master", "Basic"], n),
        "Income": income.round(),
        "Kidhome": rng.integers(0, 3, n),
        "Recency": rng.integers(0, 100, n),
        "MntWines": wine.round(),
        "MntFruits": (wine * 0.1 * rng.lognormal(0, 0.5, n)).round(),
        "MntMeatProducts": (wine * 0.6 * rng.lognormal(0, 0.5, n)).round(),
        "MntFishProducts": (wine * 0.15 * rng.lognormal(0, 0.5, n)).round(),
        "MntSweetProducts": (wine * 0.1 * rng.lognormal(0, 0.5, n)).round(),
        "MntGoldProds": (wine * 0.12 * rng.lognormal(0, 0.5, n)).round(),
        "NumDealsPurchases": rng.poisson(np.array([2, 1, 5, 2])[kind]),
        "NumWebPurchases": rng.poisson(np.array([2, 5, 7, 3])[kind]),
        "NumCatalogPurchases": rng.poisson(np.array([0.5, 6, 2, 2])[kind]),
        "NumStorePurchases": rng.poisson(np.array([3, 8, 6, 5])[kind]),
        "NumWebVisitsMonth": rng.poisson(np.array([7, 2, 7, 5])[kind]),
        "AcceptedCmp1": rng.integers(0, 2, n),
        "AcceptedCmp2": rng.integers(0, 2, n),
        "Complain": rng.integers(0, 2, n),
        "Response": rng.integers(0, 2, n),
        "Marital_Status": rng.choice(["Married", "Single", "Together"], n),
    }
    return pd.DataFrame(table)


def card_behaviour(columns: int, n: int = 2000, seed: int = 5) -> pd.DataFrame:
    """A card issuer's behaviour table in SHOUTING_CASE: 17 or 30 columns, spend long-tailed."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(4, n, p=[0.45, 0.25, 0.2, 0.1])
    purchases = np.array([150, 900, 300, 4000])[kind] * rng.lognormal(0, 0.8, n)
    oneoff = purchases * rng.uniform(0.2, 0.8, n)
    table = {
        "CUST_ID": [f"C{10_000 + i}" for i in range(n)],
        "BALANCE": np.array([1200, 800, 5000, 2500])[kind] * rng.lognormal(0, 0.7, n),
        "BALANCE_FREQUENCY": np.clip(rng.normal(0.9, 0.1, n), 0, 1),
        "PURCHASES": purchases,
        "ONEOFF_PURCHASES": oneoff,
        "INSTALLMENTS_PURCHASES": purchases - oneoff,
        "CASH_ADVANCE": np.array([300, 50, 3000, 200])[kind] * rng.lognormal(0, 0.9, n),
        "PURCHASES_FREQUENCY": np.clip(
            np.array([0.15, 0.85, 0.3, 0.95])[kind] + rng.normal(0, 0.08, n), 0, 1
        ),
        "CASH_ADVANCE_FREQUENCY": np.clip(
            np.array([0.1, 0.02, 0.5, 0.05])[kind] + rng.normal(0, 0.05, n), 0, 1
        ),
        "PURCHASES_TRX": rng.poisson(np.array([2, 18, 5, 60])[kind]),
        "CASH_ADVANCE_TRX": rng.poisson(np.array([2, 0.3, 10, 1])[kind]),
        "CREDIT_LIMIT": np.array([3000, 3500, 9000, 11000])[kind] * rng.lognormal(0, 0.3, n),
        "PAYMENTS": np.array([900, 1100, 3800, 6000])[kind] * rng.lognormal(0, 0.6, n),
        "MINIMUM_PAYMENTS": rng.lognormal(6, 1, n),
        "PRC_FULL_PAYMENT": np.clip(rng.normal(0.15, 0.2, n), 0, 1),
        "TENURE": rng.choice([6, 8, 10, 12], n, p=[0.05, 0.05, 0.1, 0.8]),
        "AvgTxnAmt": purchases / np.maximum(rng.poisson(np.array([2, 18, 5, 60])[kind]), 1),
    }
    frame = pd.DataFrame(table)
    for col in EXTRA_CARD_COLUMNS[: max(columns - frame.shape[1], 0)]:
        frame[col] = purchases / 12 * rng.lognormal(0, 0.6, n) + rng.poisson(3, n)
    return frame.iloc[:, :columns]


@pytest.fixture(scope="module")
def campaign():
    return run(campaign_export(), filename="marketing_campaign.csv")


@pytest.fixture(scope="module", params=[17, 30])
def cards(request):
    table = card_behaviour(request.param)
    assert table.shape[1] == request.param
    return run(table, filename=f"cards_{request.param}.csv")


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("MntWines", "wine spend"),
        ("NumWebPurchases", "web purchases"),
        ("PURCHASES_TRX", "purchase transactions"),
        ("Detergents_Paper", "detergents & paper"),
        ("NumWebVisitsMonth", "web visits a month"),
        ("AmtTotal", "amount total"),
        ("QtyOrdered", "quantity ordered"),
        ("AvgOrderValue", "average order value"),
        ("PctReturned", "returned share"),
        ("FreqVisits", "frequency visits"),
        ("CntOrders", "orders"),
        ("Year_Birth", "birth year"),
        ("Annual Income (k$)", "annual income"),
        ("AOV", "AOV"),
        # Shares the spend mix derives: a name reads "wine share", not "wine share spend".
        ("MntWines share", "wine share"),
        ("ONEOFF_PURCHASES share", "one-off purchase share"),
    ],
)
def test_headers_read_as_words_whatever_their_case(header: str, words: str) -> None:
    assert header_words(header) == words


def _name_parts(name: str) -> list[str]:
    parts = re.sub(r" \((higher|lower|highest|lowest|middle) [^)]*\)$", "", name).split(", ")
    return [p[len(next(w for w in LEVELS if p.startswith(w))) :] for p in parts]


def _assert_marketer_names(result) -> None:
    names = [s.name for s in result.segments]
    # Distinct, whatever the order of their words ("High frozen, high delicassen" and
    # "High delicassen, high frozen" are one name).
    assert len({frozenset(n.lower().split(", ")) for n in names}) == len(names), names
    for name in names:
        if name == "Close to average":
            continue
        parts = _name_parts(name)
        assert 1 <= len(parts) <= 3, name
        for i, a in enumerate(parts):
            # Words, not headers: no CamelCase, underscores or schema abbreviations.
            assert "_" not in a and not re.search(r"[a-z][A-Z]", a), name
            assert not {"mnt", "num", "trx", "amt", "qty", "cnt"} & set(a.lower().split()), name
            for b in parts[i + 1 :]:
                assert not same_concept(a, b), f"{name}: '{a}' and '{b}' say the same thing"


def _assert_one_breath(result) -> None:
    for seg in result.segments:
        assert len(seg.description) <= 300, seg.description
        assert len(QUOTED.findall(seg.description)) <= 3, seg.description


def test_campaign_export_names_and_descriptions(campaign) -> None:
    assert len(campaign.features) > 2
    _assert_marketer_names(campaign)
    _assert_one_breath(campaign)
    # Words the user's headers never say in a sentence.
    text = " ".join(
        [campaign.headline, campaign.priority] + [s.description for s in campaign.segments]
    )
    assert not re.search(r"numwebpurchases|mntwines|numcatalog", text, re.IGNORECASE)


def test_card_table_names_descriptions_and_picture(cards) -> None:
    _assert_marketer_names(cards)
    _assert_one_breath(cards)
    assert cards.plot_kind == "profile"
    fig = build_profile_figure(cards)
    shown = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    # Every segment's whole name, never cut.
    assert shown == [f"{s.name} ({s.size:,})" for s in cards.segments]
    assert "…" not in " ".join(shown)
    # The title stands alone above the picture: no axes title under it to collide with.
    assert fig.get_suptitle() and not fig.axes[1].get_title()


def test_shares_read_as_percentages_in_descriptions(cards) -> None:
    text = " ".join(s.description for s in cards.segments)
    # PURCHASES_FREQUENCY is a share of months (0 to 1): "purchase frequency (85%)".
    if "purchase frequency (" in text:
        assert re.search(r"purchase frequency \(\d+%\)", text), text


def test_years_read_as_years_and_value_words_follow_spend() -> None:
    profile = {"Year_Birth": {"mean": 1969.4, "median": 1973.0}}
    assert profile_sentence(profile) == "Median birth year 1973."
    # High-income catalogue buyers who rarely visit the website: nothing says what they are
    # worth, so no value words ("they bring in little") may be said.
    quiet = {"Income": "high", "NumCatalogPurchases": "high", "NumWebVisitsMonth": "low"}
    assert value_level(quiet) is None
    with_spend = {**quiet, "MntWines": "high", "MntMeatProducts": "high", "MntFruits": "medium"}
    assert value_level(with_spend) == "high"
    little = {**quiet, "MntWines": "low", "MntMeatProducts": "low", "MntFruits": "medium"}
    assert value_level(little) == "low"


def test_names_are_distinct_whatever_the_order_of_their_words() -> None:
    from segmentation.explain.describe import name_segments

    # Two small segments high on the same two columns, in opposite order of strength.
    levels = [
        {"Fresh": "high", "Frozen": "high", "Milk": "medium", "Grocery": "low"},
        {"Fresh": "high", "Frozen": "high", "Milk": "high", "Grocery": "medium"},
    ]
    distinct = [
        {"Fresh": 2.0, "Frozen": 1.0, "Milk": 0.1, "Grocery": -0.5},
        {"Fresh": 1.0, "Frozen": 2.0, "Milk": 0.8, "Grocery": 0.1},
    ]
    a, b = name_segments(levels, distinct)
    assert frozenset(a.lower().split(", ")) != frozenset(b.lower().split(", "))
    assert "milk" in b


def test_two_columns_keep_the_scatter_and_its_whole_legend() -> None:
    table = campaign_export()[["Income", "MntWines"]]
    result = run(table, filename="two.csv")
    assert result.plot_kind == "scatter"
    fig = build_figure(result)
    legend = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
    for seg in result.segments:
        assert f"{seg.name} ({seg.size:,})" in legend


def _cells(fig, result) -> dict[str, list[str]]:
    """The picture's cells by column header (as the file wrote it), one per segment."""
    heads = [t.get_text().replace("\n", " ") for t in fig.axes[1].get_xticklabels()]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert len(texts) == len(heads) * len(result.segments)
    return {h: texts[j :: len(heads)] for j, h in enumerate(heads)}


def test_the_picture_writes_shares_of_spend_as_percentages(campaign) -> None:
    cells = _cells(build_profile_figure(campaign), campaign)
    shares = [h for h in cells if h.endswith("share")]
    assert shares, cells
    for head in shares:
        column = head.replace(" ", "").replace("share", " share")
        for seg, text in zip(campaign.segments, cells[head], strict=True):
            # "49%", not "0.49".
            assert re.fullmatch(r"\d+%", text), text
            assert abs(int(text[:-1]) - 100 * seg.centroid[column]) <= 1


def _flags_and_codes(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table of codes and 0/1 campaign flags only: it is segmented on them."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "ID": np.arange(n),
            "Region": rng.integers(1, 4, n),
            "AcceptedCmp1": (rng.random(n) < np.array([0.1, 0.8, 0.4])[kind]).astype(int),
            "AcceptedCmp2": (rng.random(n) < np.array([0.7, 0.1, 0.3])[kind]).astype(int),
            "Response": (rng.random(n) < np.array([0.2, 0.3, 0.9])[kind]).astype(int),
        }
    )


def test_the_picture_writes_flags_as_the_share_who_have_them() -> None:
    table = _flags_and_codes()
    result = run(table, filename="flags.csv")
    assert result.plot_kind == "profile"
    cells = _cells(build_profile_figure(result), result)
    flags = [h for h in cells if h.replace(" ", "") in ("AcceptedCmp1", "AcceptedCmp2", "Response")]
    assert flags, cells
    for head in flags:
        for seg, text in zip(result.segments, cells[head], strict=True):
            share = table.loc[result.table["segment"] == seg.id, head.replace(" ", "")].mean()
            assert re.fullmatch(r"\d+%", text), text
            assert abs(int(text[:-1]) - 100 * share) <= 1
    # A region code (1 to 3) is no share: its cells stay numbers.
    if "Region" in cells:
        assert not any(t.endswith("%") for t in cells["Region"])


def _with_exceptional(count: int, n: int = 400, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "Customer": np.arange(n),
            "Income": rng.normal(50_000, 8_000, n).round(),
            "Spend": rng.normal(900, 150, n).round(),
            "Visits": rng.normal(12, 3, n).round(1),
        }
    )
    table.loc[: count - 1, "Income"] = 900_000 + 1_000 * np.arange(count)
    return table


def test_one_exceptional_customer_is_said_in_the_singular() -> None:
    one = run(_with_exceptional(1), filename="one.csv")
    assert (
        "1 exceptional customer with very high income was set aside while the segments were "
        "found, then put in the closest segment (the labelled file has it)."
    ) in one.warnings
    three = run(_with_exceptional(3), filename="three.csv")
    assert any(
        w.startswith("3 exceptional customers with very high income were set aside")
        for w in three.warnings
    ), three.warnings


def test_a_wide_table_is_not_cut_in_two(campaign, cards) -> None:
    # On both, two segments score the highest silhouette (0.28 and 0.36), and they used to be
    # the answer: "Close to average" and one other, nothing to run campaigns on.
    for result in (campaign, cards):
        assert result.k_selection.scores[2] > result.k_selection.scores[result.k]
        assert 3 <= result.k <= 10
        assert "Two segments would score higher" in result.k_selection.note


def test_two_groups_far_apart_stay_two() -> None:
    rng = np.random.default_rng(4)
    n = 300
    big = rng.random(n) < 0.5
    table = pd.DataFrame(
        {
            "Income": np.where(big, 90_000, 30_000) + rng.normal(0, 3_000, n),
            "Spend": np.where(big, 2_000, 300) + rng.normal(0, 60, n),
            "Visits": np.where(big, 20, 4) + rng.normal(0, 1, n),
        }
    )
    result = run(table, filename="two_kinds.csv")
    assert result.k == 2
