"""The buttons' values and the modal, within Slack's limits (pure: no Slack, no core)."""

from __future__ import annotations

import json

import pytest

from bot.slack.blocks.buttons import (
    COLUMNS_BLOCK,
    MAX_VALUE_CHARS,
    READING_BLOCK,
    BadValue,
    FollowUp,
    answer_buttons,
    columns_modal,
    read_submission,
    read_value,
)


def _labels(state: FollowUp) -> list[str]:
    return [e["text"]["text"] for e in answer_buttons(state)["elements"]]


def test_k_buttons_hide_at_two_and_at_ten() -> None:
    columns = ("Income", "Spend")
    two = FollowUp("F1", "customers", 2, columns, usable=columns)
    ten = FollowUp("F1", "customers", 10, columns, usable=columns)
    assert "Fewer segments" not in _labels(two) and "More segments" in _labels(two)
    assert "More segments" not in _labels(ten) and "Fewer segments" in _labels(ten)


def test_a_wide_file_still_fits_a_button_value_and_the_modal_lists_it_as_a_menu() -> None:
    usable = tuple(f"Average basket value in store number {i:03d} (EUR)" for i in range(300))
    state = FollowUp("F1", "customers", 5, (usable[250], usable[7]), usable=usable)
    button = next(
        e for e in answer_buttons(state)["elements"] if e["action_id"] == "segbot_columns"
    )
    assert len(button["value"]) <= MAX_VALUE_CHARS
    carried = read_value(button)
    # The current columns always travel; the rest as many as fit, and the modal says so.
    assert carried.usable[:2] == (usable[250], usable[7]) and carried.more
    view = columns_modal(carried, channel="C1", thread_ts="1.2")
    element = view["blocks"][0]["element"]
    assert element["type"] == "multi_static_select"
    assert len(element["options"]) == len(carried.usable) > 10
    assert all(len(o["text"]["text"]) <= 75 for o in element["options"])
    assert [o["value"] for o in element["initial_options"]] == ["0", "1"]
    assert "more columns than fit" in view["blocks"][0]["hint"]["text"]
    assert len(view["private_metadata"]) <= 3000


def test_an_order_log_modal_asks_for_the_reading_and_reading_as_customers_needs_no_columns() -> (
    None
):
    rfm = ("recency_days", "frequency", "monetary")
    state = FollowUp("F1", "rfm", 6, rfm, order_log=True, usable=rfm)
    view = columns_modal(state, channel="C1", thread_ts=None)
    reading = view["blocks"][0]
    assert reading["block_id"] == READING_BLOCK
    assert reading["element"]["initial_option"]["value"] == "rfm"
    labels = [o["text"]["text"] for o in view["blocks"][1]["element"]["options"]]
    assert labels[0].startswith("Recency")

    as_customers = {
        READING_BLOCK: {"read_as": {"selected_option": {"value": "customers"}}},
        COLUMNS_BLOCK: {"picked": {"selected_options": []}},
    }
    submitted = read_submission({**view, "state": {"values": as_customers}})
    assert submitted.error is None and submitted.after is not None
    assert submitted.after.mode == "customers" and submitted.after.columns == ()

    as_orders_one = {
        READING_BLOCK: {"read_as": {"selected_option": {"value": "rfm"}}},
        COLUMNS_BLOCK: {"picked": {"selected_options": [{"value": "1"}]}},
    }
    refused = read_submission({**view, "state": {"values": as_orders_one}})
    assert refused.after is None and refused.error and "frequency" in refused.error


def test_values_not_written_by_segbot_are_refused() -> None:
    for value in ("", "5", json.dumps({"s": "F1", "m": "sql", "k": 3}), "{"):
        with pytest.raises(BadValue):
            read_value({"value": value})


def test_changing_the_reading_lets_the_core_choose_the_columns_of_the_new_one() -> None:
    own = ("items", "amount_usd")
    state = FollowUp("F1", "customers", 3, own, order_log=True, usable=own)
    view = columns_modal(state, channel="C1", thread_ts=None)
    back_to_orders = {
        READING_BLOCK: {"read_as": {"selected_option": {"value": "rfm"}}},
        COLUMNS_BLOCK: {"picked": {"selected_options": [{"value": "0"}, {"value": "1"}]}},
    }
    submitted = read_submission({**view, "state": {"values": back_to_orders}})
    assert submitted.after is not None
    assert (submitted.after.mode, submitted.after.columns) == ("rfm", ())


def test_help_shows_the_buttons() -> None:
    from bot.slack.blocks.replies import usage_reply

    text = usage_reply().text
    for label in ("Fewer segments", "More segments", "Choose columns…", "Audience files"):
        assert label in text
