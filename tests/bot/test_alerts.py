"""Alerts of scheduled runs: on real CDNOW months, and on small runs built to cross the lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.jobs.history import after_answer, before_answer, history_for
from bot.jobs.scheduled import (
    alert_for,
    failure_text,
    find_alert,
    schedule_failed,
    schedule_succeeded,
    should_post,
)
from bot.store.schedules import Schedules
from segmentation import Options, run
from segmentation.model.compare import RunSnapshot, SegmentSnapshot
from tests.support import shared_file


def _settings(tmp_path: Path) -> Settings:
    return Settings(bot_token="xoxb-test", signing_secret="s", data_dir=tmp_path)


def test_cdnow_month_after_month_says_who_slipped_and_the_spend(tmp_path: Path) -> None:
    data = shared_file("cdnow_orders.csv").read_bytes()
    settings = _settings(tmp_path)
    december = run(data, Options(as_of="1997-12-31"), filename="cdnow_orders.csv")
    assert alert_for(settings, "C0DATA", december, 0.05, every="monthly") is None  # nothing yet
    remembered = before_answer(settings, "C0DATA", december)
    assert after_answer(settings, "C0DATA", remembered, data, {}) is None
    january = run(data, Options(as_of="1998-01-31"), filename="cdnow_orders.csv")
    line = alert_for(settings, "C0DATA", january, 0.05, every="monthly")
    assert line == "97 Loyal slipped to Hibernating since last month ($6,250 of past spend)."
    # 97 of 1,683 Loyal is under 10%: with alert=10% the biggest size change is said instead.
    stricter = alert_for(settings, "C0DATA", january, 0.10, every="monthly")
    assert stricter is not None and "Loyal slipped" not in stricter
    assert "since last month" in stricter
    # Another channel has no previous run: no alert there.
    assert alert_for(settings, "C0OTHER", january, 0.05, every="monthly") is None


def test_a_file_dropped_between_two_runs_of_a_source_is_not_what_the_alert_compares_with(
    tmp_path: Path,
) -> None:
    # Someone drops last summer's export in the channel between two monthly runs of "orders":
    # the schedule still compares January with December, not with that file.
    data = shared_file("cdnow_orders.csv").read_bytes()
    settings = _settings(tmp_path)
    december = run(data, Options(as_of="1997-12-31"), filename="orders")
    after_answer(settings, "C0DATA", before_answer(settings, "C0DATA", december), data, {})
    summer = run(data, Options(as_of="1997-06-30"), filename="old_export.csv")
    assert summer.mode == december.mode and summer.features == december.features
    after_answer(settings, "C0DATA", before_answer(settings, "C0DATA", summer), data, {})
    january = run(data, Options(as_of="1998-01-31"), filename="orders")
    line = alert_for(settings, "C0DATA", january, 0.05, every="monthly")
    assert line == "97 Loyal slipped to Hibernating since last month ($6,250 of past spend)."
    moved = before_answer(settings, "C0DATA", january, same_source=True).movement
    assert moved is not None and moved.previous_source == "orders"


def _run(mode: str, sizes: dict[str, int], members: dict[str, int], **kw: object) -> RunSnapshot:
    segments = tuple(
        SegmentSnapshot(i, name, size, "#000000", "o", (float(i), 1.0, 1.0))
        for i, (name, size) in enumerate(sizes.items())
    )
    return RunSnapshot(
        source="orders",
        mode=mode,
        rows=sum(sizes.values()),
        k=len(sizes),
        features=("recency_days", "frequency", "monetary"),
        logs=(False, False, False),
        scale=((0.0, 1.0), (0.0, 1.0), (0.0, 1.0)),
        segments=segments,
        members=members,
        **kw,  # type: ignore[arg-type]
    )


def test_a_valuable_segment_losing_its_share_raises_the_alert() -> None:
    # 100 Champions, 50 At risk, 50 Lost; then 6% of the Champions are At risk.
    before = {f"c{i}": (0 if i < 100 else 1 if i < 150 else 2) for i in range(200)}
    after = dict(before)
    for i in range(6):
        after[f"c{i}"] = 1
    sizes = {"Champions": 100, "At risk": 50, "Lost": 50}
    previous = _run("rfm", sizes, before)
    current = _run("rfm", {"Champions": 94, "At risk": 56, "Lost": 50}, after)
    spend = {f"c{i}": 1000.0 for i in range(200)}
    line = find_alert(previous, current, spend, 0.05, "since last week")
    assert line == "6 Champions slipped to At risk since last week ($6,000 of past spend)."
    assert find_alert(previous, current, spend, 0.10, "since last week") is None


def test_a_segment_changing_size_by_a_fifth_is_said_when_nobody_valuable_slipped() -> None:
    before = {f"c{i}": (0 if i < 100 else 1) for i in range(200)}
    after = {f"c{i}": (0 if i < 75 else 1) for i in range(200)}
    previous = _run("rfm", {"Promising": 100, "Lost": 100}, before)
    current = _run("rfm", {"Promising": 75, "Lost": 125}, after)
    line = find_alert(previous, current, {}, 0.05, "since yesterday")
    assert line == "Promising shrank 25% since yesterday (100 → 75)."
    steady = _run("rfm", {"Promising": 90, "Lost": 110}, before)
    assert find_alert(previous, steady, {}, 0.05, "since yesterday") is None


def test_quiet_posts_only_with_an_alert() -> None:
    due = "2026-03-02T08:00:00+00:00"
    assert should_post({"quiet": True, "due": due}, "97 Loyal slipped.")
    assert not should_post({"quiet": True, "due": due}, None)
    assert should_post({"quiet": False, "due": due}, None)
    # Run now (no due time): someone asked, so it answers.
    assert should_post({"quiet": True, "due": None}, None)


def test_three_failures_in_a_row_pause_and_say_so(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    schedules = Schedules(history_for(settings))
    from datetime import UTC, datetime

    made = schedules.add(
        "C0DATA",
        "orders",
        "daily 09:00",
        "UTC",
        alert=0.05,
        quiet=False,
        creator="U0ALICE",
        next_due=datetime(2026, 1, 1, 9, tzinfo=UTC),
    )
    sentence = "The database refused the connection."
    assert not schedule_failed(settings, made.id, sentence)
    schedule_succeeded(settings, made.id)
    assert [schedule_failed(settings, made.id, sentence) for _ in range(3)] == [
        False,
        False,
        True,
    ]
    text = failure_text(made.number, "orders", sentence, paused=True)
    assert text.startswith(":warning: Scheduled run 1 (orders) failed: The database refused")
    assert "paused schedule 1" in text
    assert "next run" in failure_text(1, "orders", sentence, paused=False)


@pytest.mark.parametrize("every", ["daily", "weekly", "monthly", None])
def test_since_words_follow_the_rule(every: str | None) -> None:
    from bot.jobs.scheduled import since_words

    assert since_words(every).startswith("since ")


def test_a_customer_files_highest_spend_segment_is_the_valuable_one() -> None:
    """Without RFM names, the segment that spends most is watched, and any other is a step down."""
    features = ("Age", "Total Spend")

    def customers(sizes: dict[str, tuple[int, float]], members: dict[str, int]) -> RunSnapshot:
        return RunSnapshot(
            source="customers.csv",
            mode="customers",
            rows=sum(n for n, _ in sizes.values()),
            k=len(sizes),
            features=features,
            logs=(False, True),
            scale=((40.0, 10.0), (5.0, 1.0)),
            segments=tuple(
                SegmentSnapshot(i, name, n, "#000000", "o", (40.0, spend))
                for i, (name, (n, spend)) in enumerate(sizes.items())
            ),
            members=members,
        )

    before = {f"c{i}": (0 if i < 50 else 1) for i in range(150)}
    after = {k: (1 if k in {f"c{i}" for i in range(5)} else v) for k, v in before.items()}
    previous = customers({"Big spenders": (50, 7.0), "Bargain hunters": (100, 4.0)}, before)
    current = customers({"Big spenders": (45, 7.0), "Bargain hunters": (105, 4.0)}, after)
    line = find_alert(previous, current, {}, 0.05, "since last week", None)
    # 5 of 50 is 10%; no currency is known, so no spend is put at stake.
    assert line == "5 Big spenders slipped to Bargain hunters since last week."
