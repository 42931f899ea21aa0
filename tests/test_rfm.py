"""RFM segments from order logs: planted behaviours recovered, named and described for marketers."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.text import Text
from sklearn.metrics import adjusted_rand_score

from segmentation.errors import SegmentationError, UnknownColumn
from segmentation.explain.report import format_report
from segmentation.model.rfm.names import NAMES, customer_habits, name_fits
from segmentation.model.rfm.segments import segment_orders
from segmentation.output.render import build_figure, render_scatter
from segmentation.pipeline import run
from segmentation.read.orders import OrderColumns, detect_order_log, find_order_columns
from segmentation.result import Options, SegmentationResult
from segmentation.samples import (
    GROUPS,
    SCENARIOS,
    planted_order_log,
    where_groups_land,
)
from tests.support import SHARED_DATA

CDNOW = SHARED_DATA / "cdnow_orders.csv"
START = np.datetime64("2023-01-01")
MARKETER_NAMES = (
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


def _orders(
    rng: np.random.Generator,
    first_id: int,
    customers: int,
    orders: tuple[int, int],
    days: tuple[int, int],
    spend: float,
) -> pd.DataFrame:
    """Customers who each order ``orders`` times (inclusive) between ``days`` after START."""
    counts = rng.integers(orders[0], orders[1] + 1, customers)
    ids = np.repeat(np.arange(first_id, first_id + customers), counts)
    day = rng.integers(days[0], days[1] + 1, len(ids))
    return pd.DataFrame(
        {
            "customer_id": ids,
            "day": day,
            "amount": np.round(rng.gamma(8.0, spend / 8.0, len(ids)), 2),
        }
    )


def planted_log(seed: int = 0) -> tuple[pd.DataFrame, dict[int, int]]:
    """Three behaviours over one year: recent big frequent buyers, lapsed regulars, and
    occasional small buyers from long ago. Returns the log and each customer's planted group."""
    rng = np.random.default_rng(seed)
    groups = [
        _orders(rng, 1, 150, (10, 16), (320, 364), 90.0),  # Champions
        _orders(rng, 1001, 150, (5, 8), (100, 200), 60.0),  # regulars gone quiet
        _orders(rng, 2001, 150, (1, 2), (0, 60), 12.0),  # small, occasional, long ago
    ]
    truth = {cid: g for g, frame in enumerate(groups) for cid in frame["customer_id"].unique()}
    log = pd.concat(groups, ignore_index=True).sample(frac=1.0, random_state=seed)
    log["order_date"] = pd.array(
        (START + log.pop("day").to_numpy().astype("timedelta64[D]")).astype(str), dtype="str"
    )
    return log.reset_index(drop=True), truth


def one_time_majority_log(seed: int = 1) -> pd.DataFrame:
    """60% one-time buyers (half recent, half long ago) and two kinds of repeat buyers."""
    rng = np.random.default_rng(seed)
    frames = [
        _orders(rng, 1, 300, (1, 1), (330, 364), 30.0),  # new this month
        _orders(rng, 1001, 300, (1, 1), (0, 150), 30.0),  # bought once, long ago
        _orders(rng, 2001, 200, (8, 14), (250, 364), 80.0),
        _orders(rng, 3001, 200, (2, 4), (0, 200), 40.0),
    ]
    log = pd.concat(frames, ignore_index=True)
    log["order_date"] = pd.array(
        (START + log.pop("day").to_numpy().astype("timedelta64[D]")).astype(str), dtype="str"
    )
    return log


def segment(df: pd.DataFrame, options: Options | None = None) -> SegmentationResult:
    cols = detect_order_log(df)
    assert cols is not None, "the generated order log was not recognised"
    return segment_orders(df, cols, options or Options(), "orders.csv")


def assert_names_fit(result: SegmentationResult) -> None:
    """Every segment's name fits most (more than half) of its customers, one by one."""
    habits = customer_habits(result.table)
    segment_of = result.table["segment"].to_numpy()
    for seg in result.segments:
        fits = name_fits(seg.name.split(" (")[0], habits)[segment_of == seg.id]
        assert fits.mean() > 0.5, (seg.name, seg.size, float(fits.mean()))


def assert_consistent(result: SegmentationResult, names_fit: bool = True) -> None:
    """What every RFM result must satisfy, whatever the data."""
    assert result.mode == "rfm"
    names = [s.name for s in result.segments]
    assert len(set(names)) == len(names), names
    assert all(any(n.startswith(base) for base in MARKETER_NAMES) for n in names), names
    assert 2 <= result.k == len(result.segments) <= 10
    sizes = [s.size for s in result.segments]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == result.rows_used
    assert len(result.table) == result.rows_used == len(result.points)
    assert result.table["segment"].between(0, result.k - 1).all()
    labelled = result.table["segment_name"].to_numpy()
    assert (labelled == np.array(names, dtype=object)[result.table["segment"]]).all()
    assert {s.color for s in result.segments}.__len__() == result.k
    # The scores are keyed by the total number of segments, as the note counts them.
    selection = result.k_selection
    assert selection.chosen == result.k
    assert set(selection.scores) <= set(range(2, 11)), selection.scores
    if selection.method == "silhouette":
        # Never coarser than the best silhouette: near-ties and hidden groups only add segments.
        assert max(selection.scores, key=selection.scores.__getitem__) <= result.k
        if len(selection.scores) > 1:
            assert f"{min(selection.scores)} to {max(selection.scores)}" in selection.note
    json.dumps(result.to_dict())
    for seg in result.segments:
        assert re.search(r"\d days? since the last order", seg.description)
        assert "order" in seg.description
        # Centroids are medians in plain units, so they can be checked against the table.
        members = result.table[result.table["segment"] == seg.id]
        for col, value in seg.centroid.items():
            assert value == pytest.approx(members[col].median())
    if names_fit:
        assert_names_fit(result)


# --- planted behaviours ------------------------------------------------------------------------


def test_three_planted_behaviours_are_recovered_and_named() -> None:
    log, truth = planted_log()
    result = segment(log)
    assert_consistent(result)
    assert result.k == 3
    table = result.table
    planted = table["customer_id"].astype(int).map(truth).to_numpy()
    assert adjusted_rand_score(planted, table["segment"].to_numpy()) > 0.9
    by_group = {g: table.loc[planted == g, "segment_name"].mode()[0] for g in range(3)}
    assert by_group[0] == "Champions"
    assert by_group[1] in {"Needs attention", "At risk", "Can't lose them"}
    assert by_group[2] in {"Lost", "Hibernating"}
    champions = next(s for s in result.segments if s.name == "Champions")
    assert champions.levels == {"recency_days": "low", "frequency": "high", "monetary": "high"}
    assert "Reward" in champions.description
    assert result.headline.startswith("450 customers from ")
    assert ", 2023-01-0" in result.headline and "to 2023-12-3" in result.headline


def test_same_seed_same_segments_and_k_is_honoured() -> None:
    log, _ = planted_log(seed=3)
    first = segment(log, Options(k=4, seed=7))
    again = segment(log, Options(k=4, seed=7))
    assert first.k == 4
    assert_consistent(first)
    assert (first.table["segment"].to_numpy() == again.table["segment"].to_numpy()).all()
    assert [s.name for s in first.segments] == [s.name for s in again.segments]


def test_many_segments_still_have_unique_marketer_names() -> None:
    log, _ = planted_log(seed=4)
    result = segment(log, Options(k=8))
    assert result.k == 8
    assert_consistent(result)


def test_descriptions_state_median_recency_orders_and_spend_with_currency() -> None:
    log, _ = planted_log()
    log = log.rename(columns={"amount": "amount_eur"})
    result = segment(log)
    for seg in result.segments:
        members = result.table[result.table["segment"] == seg.id]
        days = f"{members['recency_days'].median():,.0f} days since the last order"
        assert days in seg.description
        assert f"{members['frequency'].median():g} order" in seg.description
        assert "€" in seg.description
    assert result.details["currency"] == "€"


# --- generated shop exports with planted groups (segmentation.samples) ----------------------

# Kinds of group that the vocabulary names alike may share a segment; any other two may not.
_SAME_KIND = ({"lost", "hibernating"}, {"at_risk", "cant_lose"})


def test_the_scenarios_cover_both_sides_of_half_one_time_buyers_and_every_style() -> None:
    shares = [spec.one_time_share for spec in SCENARIOS.values()]
    assert min(shares) < 0.5 < max(shares)
    assert {spec.date_style for spec in SCENARIOS.values()} == {"iso", "us", "day_first"}
    assert {spec.currency for spec in SCENARIOS.values()} == {"$", "€", "£"}
    assert {g for spec in SCENARIOS.values() for g, _ in spec.groups} == set(GROUPS)


def test_a_planted_log_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    spec = SCENARIOS["small_shop"]
    first, again = planted_order_log(spec, seed=4), planted_order_log(spec, seed=4)
    assert first.orders.equals(again.orders) and first.truth == again.truth
    assert not first.orders.equals(planted_order_log(spec, seed=5).orders)


@pytest.mark.parametrize(
    ("scenario", "seed"), [(name, seed) for name in SCENARIOS for seed in (0, 1)]
)
def test_every_planted_group_gets_a_segment_of_its_own_under_a_fitting_name(
    scenario: str, seed: int
) -> None:
    spec = SCENARIOS[scenario]
    log = planted_order_log(spec, seed=seed)
    # Through the whole core, as an upload: dates and money in the shop's own style.
    result = run(log.orders.to_csv(index=False).encode(), Options(), filename="orders.csv")
    assert_consistent(result)
    assert result.rows_used == sum(n for _, n in spec.groups)
    assert result.details["currency"] == spec.currency
    # The last order's time, 2025-06-30 at -0400, may fall on the next day in UTC.
    assert result.details["last_date"] in {"2025-06-30", "2025-07-01"}
    landings = where_groups_land(result.table, log.truth)
    for landing in landings.values():
        assert landing.share >= 0.8 and landing.fits, landing
        together = {o.group for o in landings.values() if o.segment == landing.segment}
        assert all({landing.group, o} in _SAME_KIND for o in together - {landing.group}), (
            landing,
            together,
        )


def test_lapsing_regulars_are_not_hidden_among_champions() -> None:
    # The shop: ~100 customers who ordered every month or two and spent ~800, silent
    # for five to ten months, next to champions who ordered last month.
    log = planted_order_log(SCENARIOS["shopify_700"], seed=2)
    result = run(log.orders.to_csv(index=False).encode(), Options(), filename="orders.csv")
    landings = where_groups_land(result.table, log.truth)
    lapsing = next(s for s in result.segments if s.id == landings["at_risk"].segment)
    champions = next(s for s in result.segments if s.id == landings["champions"].segment)
    assert lapsing.id != champions.id
    assert lapsing.name in {"At risk", "Can't lose them"} and champions.name == "Champions"
    assert lapsing.centroid["recency_days"] > 150 > 40 > champions.centroid["recency_days"]
    assert "Win them back" in lapsing.description


@pytest.mark.parametrize(
    ("scenario", "k"), [("half_one_time", 2), ("small_shop", 2), ("big_spenders", 6)]
)
def test_a_given_k_is_kept_and_every_name_still_fits(scenario: str, k: int) -> None:
    log = planted_order_log(SCENARIOS[scenario], seed=0)
    result = run(log.orders.to_csv(index=False).encode(), Options(k=k), filename="orders.csv")
    assert result.k == k and result.k_selection.method == "given"
    assert_consistent(result)  # every name fits most of its segment


def test_lapsed_big_spenders_are_told_apart_from_lapsed_regulars() -> None:
    # Both stopped buying; the big spenders (~4,000 each against ~800) stand clearly apart in
    # spend, so they get their own "Can't lose them" segment rather than hiding in "At risk".
    log = planted_order_log(SCENARIOS["big_spenders"], seed=0)
    result = run(log.orders.to_csv(index=False).encode(), Options(), filename="orders.csv")
    landings = where_groups_land(result.table, log.truth)
    assert landings["cant_lose"].name == "Can't lose them" and landings["cant_lose"].share >= 0.9
    assert landings["at_risk"].name == "At risk" and landings["at_risk"].share >= 0.9


def _habits_table() -> pd.DataFrame:
    """Customers whose names are known: two of each kind of repeat buyer, so that the shop has
    a usual purchase cycle (median of the repeat buyers' own: 40 days, so "recent" is 80)."""
    rows = [
        # recency, orders, tenure (days since the first order), spend
        (5, 12, 445, 2400.0),  # champion: every 40 days, ordered last week
        (200, 8, 480, 800.0),  # regular gone quiet: every 40 days, silent 200 days
        (30, 4, 150, 240.0),  # loyal: every 40 days, last order a month ago
        (300, 2, 340, 50.0),  # hibernating: two orders, 40 days apart, long ago
    ] * 3 + [
        (10, 1, 10, 40.0),  # new customer
        (400, 1, 400, 30.0),  # bought once, long ago
    ]
    r, f, t, m = zip(*rows, strict=True)
    return pd.DataFrame({"recency_days": r, "frequency": f, "tenure_days": t, "monetary": m})


def test_each_customer_fits_the_names_a_marketer_would_give() -> None:
    habits = customer_habits(_habits_table())
    assert habits.recent_days == pytest.approx(80.0)
    fits = {name: name_fits(name, habits)[[0, 1, 2, 3, 12, 13]].tolist() for name in NAMES}
    #                            champ  quiet  loyal  hibern new    once
    assert fits["Champions"] == [True, False, False, False, False, False]
    assert fits["Loyal"] == [True, False, True, False, False, False]
    assert fits["At risk"] == [False, True, False, False, False, False]
    assert fits["Can't lose them"] == [False, True, False, False, False, False]
    assert fits["New customers"] == [False, False, False, False, True, False]
    assert fits["Promising"] == [False, False, False, False, True, False]
    assert fits["Needs attention"] == [False, False, False, False, False, False]
    assert fits["Hibernating"] == [False, False, False, True, False, True]
    assert fits["Lost"] == [False, False, False, True, False, True]
    assert fits["One-time buyers"] == [False, False, False, False, True, True]


def test_silence_is_judged_against_each_customers_own_cycle() -> None:
    table = _habits_table()
    # The same 200 days of silence after ordering every 150 days is not yet "stopped": such a
    # customer needs attention, while the monthly regular silent as long is at risk.
    table.loc[1, ["frequency", "tenure_days"]] = (3, 500)
    habits = customer_habits(table)
    assert not name_fits("At risk", habits)[1] and name_fits("Needs attention", habits)[1]
    assert name_fits("At risk", habits)[5]


def test_without_amounts_the_names_use_orders_only() -> None:
    habits = customer_habits(_habits_table().drop(columns=["monetary"]))
    assert habits.monetary is None
    assert name_fits("Champions", habits)[0] and not name_fits("Champions", habits)[2]
    assert name_fits("Can't lose them", habits)[1]


# --- one-time buyers ---------------------------------------------------------------------------


def test_when_most_bought_once_they_get_their_own_segments_and_that_is_said() -> None:
    result = segment(one_time_majority_log())
    assert_consistent(result)
    table = result.table
    once = table["frequency"] == 1
    names = {s.id: s.name for s in result.segments}
    one_time_ids = set(table.loc[once, "segment"])
    # The one-time buyers are split into recent and lapsed, and nobody else is in those segments.
    assert {names[i] for i in one_time_ids} == {"New customers", "One-time buyers"}
    assert not table.loc[~once, "segment"].isin(one_time_ids).any()
    recent = table.loc[once & (table["segment_name"] == "New customers"), "recency_days"]
    lapsed = table.loc[once & (table["segment_name"] == "One-time buyers"), "recency_days"]
    assert recent.max() < lapsed.min()
    # The repeat buyers are segmented further, and the obvious split is called obvious.
    assert result.k >= 4
    assert "60% bought only once" in result.headline
    assert any("bought only once" in w and "obvious" in w for w in result.warnings)
    assert "bought only once" in result.k_selection.note
    assert result.k_selection.chosen == result.k


def test_when_most_bought_once_and_k_is_given_it_is_the_total() -> None:
    result = segment(one_time_majority_log(), Options(k=3))
    assert result.k == 3
    assert_consistent(result)
    assert result.k_selection.method == "given"


def test_repeat_buyers_levels_are_measured_among_repeat_buyers() -> None:
    result = segment(one_time_majority_log())
    table = result.table
    # The planted occasional repeat buyers (2-4 orders, none in the last five months) are the
    # weakest of the repeat buyers: low orders and long gone among them, although against all
    # customers (60% with one order) any second order would read as "high".
    occasional = table["customer_id"].astype(int).between(3001, 3200)
    name = table.loc[occasional, "segment_name"].mode()[0]
    seg = next(s for s in result.segments if s.name == name)
    assert seg.levels["frequency"] == "low" and seg.levels["recency_days"] == "high"
    assert name.split(" (")[0] in {"At risk", "Hibernating", "Lost", "Needs attention"}
    assert any("measured among the repeat buyers" in w for w in result.warnings)


def test_enough_customers_get_at_least_three_segments_and_the_note_says_why() -> None:
    # Two plain behaviours: a silhouette alone would stop at "good against poor customers".
    rng = np.random.default_rng(5)
    log = pd.concat(
        [
            _orders(rng, 1, 250, (8, 14), (300, 364), 80.0),
            _orders(rng, 1001, 250, (2, 3), (0, 120), 20.0),
        ],
        ignore_index=True,
    )
    log["order_date"] = pd.array(
        (START + log.pop("day").to_numpy().astype("timedelta64[D]")).astype(str), dtype="str"
    )
    result = segment(log)
    assert_consistent(result)
    assert 3 <= result.k <= 8
    assert min(result.k_selection.scores) == 3
    assert "at least 3 groups to be actionable" in result.k_selection.note


def test_a_small_file_may_still_have_two_segments() -> None:
    rng = np.random.default_rng(6)
    log = pd.concat(
        [
            _orders(rng, 1, 40, (8, 14), (300, 364), 80.0),
            _orders(rng, 1001, 40, (2, 3), (0, 120), 20.0),
        ],
        ignore_index=True,
    )
    log["order_date"] = pd.array(
        (START + log.pop("day").to_numpy().astype("timedelta64[D]")).astype(str), dtype="str"
    )
    result = segment(log)
    assert_consistent(result)
    assert result.k == 2 and min(result.k_selection.scores) == 2


def test_two_champion_like_groups_get_two_marketer_names_not_qualifiers() -> None:
    rng = np.random.default_rng(7)
    log = pd.concat(
        [
            _orders(rng, 1, 150, (14, 18), (340, 364), 120.0),  # the very best
            _orders(rng, 1001, 150, (7, 9), (320, 364), 70.0),  # recent, a little less
            _orders(rng, 2001, 150, (3, 5), (100, 200), 40.0),
            _orders(rng, 3001, 150, (1, 2), (0, 60), 15.0),
        ],
        ignore_index=True,
    )
    log["order_date"] = pd.array(
        (START + log.pop("day").to_numpy().astype("timedelta64[D]")).astype(str), dtype="str"
    )
    result = segment(log, Options(k=4))
    assert_consistent(result)
    names = [s.name for s in result.segments]
    assert not any("(" in n for n in names), names
    table = result.table
    best = table.loc[table["customer_id"].astype(int) <= 150, "segment_name"].mode()[0]
    second = table.loc[table["customer_id"].astype(int).between(1001, 1150), "segment_name"]
    assert best == "Champions"
    assert second.mode()[0] in {"Loyal", "Promising"}


def test_when_most_bought_once_and_two_segments_are_asked_for_it_says_how_to_see_more() -> None:
    result = segment(one_time_majority_log(), Options(k=2))
    assert result.k == 2
    assert_consistent(result)
    assert any("ask for 3 or more" in w and "obvious" in w for w in result.warnings)


# --- personal data, missing amounts, options --------------------------------------------------


def test_email_keys_are_in_the_exported_table_only() -> None:
    log, _ = planted_log()
    log["email"] = pd.array(
        [f"person{cid}@example.com" for cid in log.pop("customer_id")], dtype="str"
    )
    result = segment(log)
    assert_consistent(result)
    # The exported table is keyed by the e-mail as written, so the marketer can reach people.
    assert result.table.columns[0] == "email"
    assert set(result.table["email"]) == set(log["email"])
    fig = build_figure(result)
    shown = [
        json.dumps(result.to_dict()),
        " ".join(result.warnings) + result.headline,
        format_report(result) + format_report(result, markdown=True, image="segments.png"),
        result.points.to_csv(),
        "\n".join(t.get_text() for t in fig.findobj(Text)),
    ]
    for output in shown:
        assert "@" not in output and "example.com" not in output and "person1" not in output


def test_without_amounts_segments_use_recency_and_frequency_and_say_so() -> None:
    log, _ = planted_log()
    log = log.drop(columns=["amount"])
    result = segment_orders(log, find_order_columns(log), Options(), "orders.csv")
    assert_consistent(result)
    assert result.features == ("recency_days", "frequency")
    assert result.plot_axes == ("Days since last order", "Orders")
    assert "monetary" not in result.table.columns
    assert any("no amount column" in w for w in result.warnings)
    assert all("spent" not in s.description for s in result.segments)
    assert result.headline.split(": ")[1].startswith(
        f"{result.k} segments by recency and frequency"
    )


def test_columns_option_restricts_the_measures() -> None:
    log, _ = planted_log()
    result = segment(log, Options(columns=("Recency", "monetary"), k=3))
    assert result.features == ("recency_days", "monetary")
    with pytest.raises(UnknownColumn, match="recency_days, frequency, monetary"):
        segment(log, Options(columns=("age",)))


def test_refunds_and_cancellations_reach_the_result() -> None:
    log, _ = planted_log()
    log["status"] = pd.array(np.where(np.arange(len(log)) % 50 == 0, "cancelled", "paid"), "str")
    refunds = np.arange(len(log)) % 70 == 1
    log.loc[refunds, "amount"] = -5.0
    result = segment(log)
    assert result.details["cancelled"] == int((np.arange(len(log)) % 50 == 0).sum())
    assert result.details["refunds"] == int(refunds.sum())
    assert any("netted against spend" in w and "cancelled" in w for w in result.warnings)


# --- picture and the whole path ---------------------------------------------------------------


def test_the_picture_shows_recency_against_spend() -> None:
    log, _ = planted_log()
    result = segment(log)
    assert result.plot_axes == ("Days since last order", "Total spend")
    png = render_scatter(result)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    ax = build_figure(result).axes[0]
    assert ax.get_xlabel() == "Days since last order" and ax.get_ylabel() == "Total spend"
    assert ax.get_yscale() == ("symlog" if result.plot_log_axes[1] else "linear")
    legend = [t.get_text() for t in build_figure(result).legends[0].get_texts()]
    assert all(any(t.startswith(s.name) for t in legend) for s in result.segments)


def test_an_order_export_is_segmented_by_rfm_without_being_asked() -> None:
    log, _ = planted_log()
    data = log.to_csv(index=False).encode()
    result = run(data, Options(), filename="orders.csv")
    assert result.mode == "rfm"
    assert result.rows == len(log) and result.rows_used == 450


def test_forced_rfm_mode_on_columns_without_the_usual_headers() -> None:
    log, _ = planted_log()
    log.columns = ["member", "spent", "when"]
    result = run(log.to_csv(index=False).encode(), Options(mode="rfm"), filename="x.csv")
    assert result.mode == "rfm" and result.rows_used == 450


# --- the real CDNOW file ----------------------------------------------------------------------


@pytest.mark.skipif(not CDNOW.exists(), reason="shared CDNOW data not available")
def test_cdnow_reference() -> None:
    df = pd.read_csv(CDNOW)
    result = segment_orders(df, detect_order_log(df), Options(), "cdnow_orders.csv")
    assert_consistent(result)
    assert result.headline.startswith(
        "23,570 customers from 69,659 orders, 1997-01-01 to 1998-06-30: "
    )
    assert (result.rows, result.rows_used, result.rows_dropped) == (69_659, 23_570, 0)
    assert result.features == ("recency_days", "frequency", "monetary")
    details = result.details
    assert (details["orders"], details["customers"]) == (69_659, 23_570)
    assert (details["first_date"], details["last_date"]) == ("1997-01-01", "1998-06-30")
    one_timers = int((df.groupby("customer_id").size() == 1).sum())
    assert one_timers == 11_908
    # About half bought once: said plainly, and they are one segment of their own.
    assert "51% bought only once" in result.headline
    assert any("51% of customers (11,908) bought only once" in w for w in result.warnings)
    one_time = [s for s in result.segments if s.name == "One-time buyers"]
    assert len(one_time) == 1 and one_time[0].size == 11_908
    assert all("$" in s.description for s in result.segments)
    assert any(s.name == "Champions" for s in result.segments)
    # Enough segments to act on, each with its own marketer name, no "(more orders)" tags;
    # before issue 7 CDNOW had 4 (one-time buyers, Needs attention, Lost, Champions).
    names = [s.name for s in result.segments]
    assert result.k >= 4 and len(set(names)) == len(names)
    assert not any("(" in n for n in names), names
    assert "at least 3 groups to be actionable" in result.k_selection.note
    assert set(result.k_selection.scores) <= set(range(2, 11))
    # Repeat buyers who stopped are called what they are: silent far beyond their own usual
    # gap between orders (issue 7), and nobody long gone is called Loyal or Champions.
    table = result.table
    habits = customer_habits(table)
    lapsed_names = {"At risk", "Hibernating", "Lost", "Can't lose them"}
    assert {"Champions", "Loyal", "At risk"} <= set(names) and 5 <= result.k <= 8
    at_risk = table["segment_name"] == "At risk"
    gone_quiet = table.loc[at_risk, "recency_days"] / habits.cycle[at_risk.to_numpy()]
    assert gone_quiet.median() > 2 and (table.loc[at_risk, "frequency"] >= 2).all()
    for seg in result.segments:
        if seg.name in lapsed_names:
            assert seg.centroid["recency_days"] > habits.recent_days, (seg.name, seg.centroid)
        if seg.centroid["recency_days"] > 300 and seg.name != "One-time buyers":
            assert seg.name in lapsed_names, (seg.name, seg.centroid)
    assert "were split, so that each segment's name fits most" in result.k_selection.note
    repeat_segments = result.k - 1
    assert any(f"split into {repeat_segments} segments" in w for w in result.warnings)
    # Spend is very skewed (a few customers spent thousands): the picture uses a log scale.
    assert result.plot_log_axes == (False, True) and "log scale" in result.plot_note


def test_order_columns_value_is_what_detection_returns() -> None:
    log, _ = planted_log()
    assert detect_order_log(log) == OrderColumns(
        customer="customer_id",
        date="order_date",
        amount="amount",
        quantity=None,
        order_id=None,
        status=None,
    )


# --- any messy order log gives segments or a clear error --------------------------------------

_CUSTOMERS = st.sampled_from(["a", "b", "c", "d@x.com", "D@X.com", "", None, "e", "f", "g", "h"])
_DATES = st.sampled_from(
    ["2024-01-01", "2024-02-30", "14/03/2024", "03/14/2024", "2024-03-14T10:00:00+02:00", "x"]
    + ["", None, "0001-01-01", "20240101", "1.2.2024", "2024-06-30"]
)
_AMOUNTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -5.0, 1e308])
)
_STATUSES = st.sampled_from(["paid", "cancelled", "refunded", None, "void", "ok"])


@st.composite
def messy_logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 60))
    columns = {
        "customer": pd.array(draw(st.lists(_CUSTOMERS, min_size=n, max_size=n)), dtype="str"),
        "order_date": pd.array(draw(st.lists(_DATES, min_size=n, max_size=n)), dtype="str"),
    }
    if draw(st.booleans()):
        columns["amount"] = draw(st.lists(_AMOUNTS, min_size=n, max_size=n))
    if draw(st.booleans()):
        columns["status"] = pd.array(draw(st.lists(_STATUSES, min_size=n, max_size=n)), "str")
    return pd.DataFrame(columns)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_logs(), st.sampled_from([None, 2, 3]))
def test_any_messy_log_gives_segments_or_a_sentence(df: pd.DataFrame, k: int | None) -> None:
    detect_order_log(df)
    try:
        result = segment_orders(df, find_order_columns(df), Options(k=k), "orders.csv")
    except SegmentationError as error:
        assert str(error).endswith(".") and "Traceback" not in str(error)
    else:
        assert_consistent(result)
        assert "@" not in json.dumps(result.to_dict()) + format_report(result)
