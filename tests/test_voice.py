"""The voice of an answer: what to do first, money in its currency, statistics in plain words.

The Slack messages for the Mall file, the demo sample and a Shopify-like order log with a
``Currency`` column are kept as Block Kit snapshots in ``tests/snapshots/``: a change of voice
shows up as a reviewed diff. After an intended change, rewrite them with

    SEGBOT_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/test_voice.py

and review ``git diff tests/snapshots`` before committing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.slack.blocks.replies import render_answer
from segmentation import demo_csv, run
from segmentation.demo import DEMO_FILENAME
from segmentation.explain.report import format_report
from segmentation.explain.voice import (
    column_phrase,
    customers_priority,
    duration_words,
    orders_priority,
)
from segmentation.model.rfm.names import NAMES
from segmentation.read.orders.money import format_money
from segmentation.result import Segment, SegmentationResult
from segmentation.samples import SCENARIOS, planted_order_log, with_currency_column
from tests.support import shared_file

SNAPSHOTS = Path(__file__).parent / "snapshots"
JARGON = re.compile(r"silhouette|inertia|elbow", re.IGNORECASE)
MALL_NAMES = {
    "Medium income, medium spend",
    "High income, high spend",
    "High income, low spend",
    "Low income, low spend",
    "Low income, high spend",
}


def _mall() -> SegmentationResult:
    return run(shared_file("mall_customers.csv"))


def _demo() -> SegmentationResult:
    return run(demo_csv(), filename=DEMO_FILENAME)


def _shop_log(code: str = "USD") -> bytes:
    """The issue's shop (~700 customers) as a Shopify export with a Currency column."""
    log = planted_order_log(SCENARIOS["shopify_700"], seed=0).orders
    return with_currency_column(log, code).to_csv(index=False).encode()


def _shop(code: str = "USD") -> SegmentationResult:
    return run(_shop_log(code), filename="orders_export.csv")


RESULTS = {"mall": _mall, "demo": _demo, "orders_usd": _shop}


def _lines(block: dict[str, object]) -> list[str]:
    return str(block["text"]["text"]).split("\n")  # type: ignore[index]


def _message_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- the Slack message ------------------------------------------------------------------------


@pytest.mark.parametrize("which", sorted(RESULTS))
def test_the_message_leads_with_what_to_do_and_ends_with_how_sure(which: str) -> None:
    result = RESULTS[which]()
    reply = render_answer(result)
    assert reply.blocks[0]["type"] == "header"
    headline, priority = _lines(reply.blocks[1])
    assert headline == f"*{result.headline}*"
    # The line right under the headline names a segment of this result and what to do.
    assert priority.startswith(":dart: Start with ")
    named = priority.removeprefix(":dart: Start with ").split(":")[0]
    assert named in {s.name for s in result.segments}
    # The closing context says how sure, in words; the numbers stay out of the message.
    contexts = [b for b in reply.blocks if b["type"] == "context"]
    assert contexts[-2]["elements"][0]["text"].startswith("How sure: ")  # type: ignore[index]
    assert not JARGON.search(_message_text(reply.blocks) + reply.text)
    assert result.priority in reply.text


def test_the_mall_message_keeps_the_names_and_reads_columns_as_words() -> None:
    result = _mall()
    blocks = _message_text(render_answer(result).blocks)
    assert {s.name for s in result.segments} == MALL_NAMES
    assert "on average an annual income of 88.2 k$ and a spending score of 17 out of 100" in blocks
    assert "Annual Income (k$) 88.2" not in blocks
    # Tables, JSON and the picture keep the file's own names, so people can find them.
    assert result.plot_axes == ("Annual Income (k$)", "Spending Score (1-100)")
    careful = next(s for s in result.to_dict()["segments"] if s["name"] == "High income, low spend")
    assert set(careful["centroid"]) == {"Annual Income (k$)", "Spending Score (1-100)"}
    assert "Annual Income (k$)" in result.table.columns


def test_the_order_log_message_speaks_money_in_its_currency() -> None:
    result = _shop("USD")
    reply = render_answer(result)
    blocks = _message_text(reply.blocks)
    assert set(s.name.split(" (")[0] for s in result.segments) <= set(NAMES)
    assert result.details["currency"] == "$"
    # Every segment's spend carries the symbol, thousands separated.
    for seg in result.segments:
        assert re.search(r"and \$[\d,]+(\.\d\d)? spent in all", seg.description), seg.description
    assert re.search(r"\$1,\d{3} spent in all", blocks)
    # The priority is the value at stake: the at-risk regulars' total spend, about right.
    at_risk = next(s for s in result.segments if s.name == "At risk")
    total = float(result.table.loc[result.table["segment"] == at_risk.id, "monetary"].sum())
    assert result.priority.startswith(f"Start with At risk: {at_risk.size} customers who spent ")
    assert format_money(total, "$", approximate=True) in result.priority
    assert "have not ordered for about " in result.priority


def test_euros_are_written_after_the_amount() -> None:
    result = _shop("EUR")
    assert re.search(r"spent [\d,]+ € in all", result.priority), result.priority
    assert all(re.search(r"[\d,.]+ € spent in all", s.description) for s in result.segments)
    assert "€" not in result.priority.split("spent")[0]


def test_a_currency_column_with_several_currencies_claims_none() -> None:
    log = with_currency_column(planted_order_log(SCENARIOS["shopify_700"], seed=0).orders, "USD")
    log.loc[log.index[::2], "Currency"] = "EUR"
    result = run(log.to_csv(index=False).encode(), filename="mixed.csv")
    assert result.details["currency"] is None
    assert not re.search(
        r"[$€]", result.priority + " ".join(s.description for s in result.segments)
    )


@pytest.mark.parametrize("which", sorted(RESULTS))
def test_block_kit_matches_its_snapshot(which: str) -> None:
    blocks = render_answer(RESULTS[which]()).blocks
    path = SNAPSHOTS / f"{which}_slack.json"
    shown = json.dumps(blocks, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("SEGBOT_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(shown, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path.name}: run with SEGBOT_UPDATE_SNAPSHOTS=1"
    assert json.loads(path.read_text(encoding="utf-8")) == blocks, (
        f"The message changed; if on purpose, rerun with SEGBOT_UPDATE_SNAPSHOTS=1 and review "
        f"the diff of {path.name}"
    )


# --- the CLI and report.md --------------------------------------------------------------------


def test_the_cli_screen_speaks_the_same_words_without_jargon() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "segmentation.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = _demo()
    lines = done.stdout.splitlines()
    assert lines[2] == result.headline and lines[3] == result.priority
    assert result.confidence in done.stdout
    assert not JARGON.search(done.stdout)


def test_report_md_keeps_the_numbers_and_explains_them() -> None:
    result = _shop("USD")
    text = format_report(result)
    markdown = format_report(result, markdown=True)
    assert not JARGON.search(text)
    assert result.priority in markdown and result.confidence in markdown
    assert f"Silhouette: {result.silhouette:.2f}" in markdown
    assert "## How the segments were chosen" in markdown
    data = result.to_dict()
    assert data["priority"] == result.priority and data["confidence"] == result.confidence
    assert data["silhouette"] == round(result.silhouette, 4) and data["k_selection"]["scores"]


# --- the rules, on their own --------------------------------------------------------------------


def _segment(i: int, name: str, size: int, share: float, **centroid: float) -> Segment:
    return Segment(i, name, size, share, {}, dict(centroid), {}, "", "#000000", "x")


def test_customer_files_lead_with_the_highest_average_spend_big_enough_to_act_on() -> None:
    segments = [
        _segment(0, "Medium spend", 500, 0.6, spend=50.0),
        _segment(1, "High spend", 250, 0.3, spend=80.0),
        _segment(2, "Tiny whales", 30, 0.04, spend=400.0),  # under 5%: too small to lead with
    ]
    actions = ["Nudge.", "Pamper them.", "Call."]
    line = customers_priority(segments, "spend", actions, "£")
    assert line == (
        "Start with High spend: 250 customers (30%) with the highest spend, £80 on average. "
        "Pamper them."
    )
    # Without a spend column, the largest segment leads.
    assert customers_priority(segments, None, actions).startswith(
        "Start with Medium spend: your largest segment, 500 customers (60%). Nudge."
    )


def test_order_logs_lead_with_the_most_money_at_stake_among_slipping_customers() -> None:
    segments = [
        _segment(0, "Champions", 300, 0.5),
        _segment(1, "At risk", 100, 0.2),
        _segment(2, "Can't lose them", 40, 0.1),
        _segment(3, "Lost", 160, 0.2),
    ]
    bases = ["Champions", "At risk", "Can't lose them", "Lost"]
    actions = ["Reward.", "Win back.", "Call.", "Let go."]
    days = [10.0, 200.0, 400.0, 700.0]
    line = orders_priority(segments, bases, actions, [500_000, 30_000, 61_234, 5_000], days, "$")
    assert line == (
        "Start with Can't lose them: 40 customers who spent $61,200 in all and have not "
        "ordered for about 13 months. Call."
    )
    # Nobody slipping: the segment with the most spend, with its share of all spend.
    calm = orders_priority(
        segments[:1] + segments[3:],
        ["Champions", "Lost"],
        actions[:2],
        [500_000, 5_000],
        [10.0, 700.0],
        "€",
    )
    assert calm == (
        "Start with Champions: 300 customers who spent 500,000 € in all, 99% of all spend. Reward."
    )
    # No amounts: customers at stake instead of money.
    counted = orders_priority(segments, bases, actions, None, days, None)
    assert counted.startswith("Start with At risk: 100 customers who have not ordered for about")


def test_columns_read_as_words() -> None:
    assert column_phrase("Annual Income (k$)", 88.23) == "an annual income of 88.2 k$"
    assert column_phrase("Spending Score (1-100)", 17.1) == "a spending score of 17 out of 100"
    assert column_phrase("Total Spend", 1204.4, "£") == "a total spend of £1,204"
    assert column_phrase("Number of Visits", 30.03) == "30 visits"
    assert column_phrase("Sales (EUR)", 512.0) == "512 € in sales"
    assert column_phrase("AOV", 39.77, "$") == "an AOV of $39.77"


def test_money_and_time_for_people() -> None:
    assert format_money(745, "$") == "$745"
    assert format_money(745, "€") == "745 €"
    assert format_money(1204, "£") == "£1,204"
    assert format_money(39.77, "$") == "$39.77"
    assert format_money(96_437, "$", approximate=True) == "$96,400"
    assert [duration_words(d) for d in (1, 20, 182, 800)] == [
        "1 day",
        "about 3 weeks",
        "about 6 months",
        "about 2 years",
    ]


def test_a_customer_file_with_money_in_its_values_says_the_currency() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 3, 300)
    spend = np.array([200, 1200, 5000])[groups] * rng.uniform(0.8, 1.2, 300)
    visits = np.array([2, 10, 30])[groups] * rng.uniform(0.8, 1.2, 300)
    frame = pd.DataFrame({"Total Spend": [f"£{v:,.2f}" for v in spend], "Visits": visits.round()})
    result = run(frame.to_csv(index=False).encode(), filename="shop.csv")
    top = max(result.segments, key=lambda s: s.centroid["Total Spend"])
    assert result.priority.startswith(f"Start with {top.name}: ")
    assert re.search(r"with the highest total spend, £[\d,]+ on average", result.priority)
    assert re.search(r"a total spend of £[\d,]+ and \d+ visits", top.description)


def test_a_priority_segment_that_does_not_hold_up_comes_with_a_caution() -> None:
    shaky = Segment(0, "At risk", 240, 0.3, {}, {}, {}, "", "#000000", "x", stability=0.4)
    line = orders_priority([shaky], ["At risk"], ["Call."], [96_437.0], [182.0], "$")
    assert line.endswith(
        "Call. Check who is in it before a campaign: it did not hold up when I re-checked."
    )
    steady = Segment(0, "At risk", 240, 0.3, {}, {}, {}, "", "#000000", "x", stability=0.9)
    assert orders_priority([steady], ["At risk"], ["Call."], [96_437.0], [182.0], "$").endswith(
        "Call."
    )
