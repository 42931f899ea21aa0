"""An orders export dropped in Slack: RFM segments, the RFM headline, and e-mails only in the
labelled file that goes back to the file's own thread."""

from __future__ import annotations

import csv
import html
import io

import numpy as np
import pandas as pd
import pytest

from segmentation import run
from tests.bot.harness import HttpBot
from tests.bot.slack_server import FakeSlack, message_text
from tests.support import shared_file


def shop_export(seed: int = 3) -> bytes:
    """A shop's order export keyed by e-mail: loyal regulars, lapsed buyers, one-off buyers."""
    rng = np.random.default_rng(seed)
    rows = []
    groups = [(120, (8, 14), (300, 364), 80.0), (150, (2, 4), (0, 150), 35.0),
              (130, (1, 1), (0, 364), 25.0)]  # fmt: skip
    customer = 0
    for count, orders, days, spend in groups:
        for _ in range(count):
            customer += 1
            for _ in range(rng.integers(orders[0], orders[1] + 1)):
                day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(*days)))
                amount = max(1.0, rng.normal(spend, spend / 5))
                rows.append((f"buyer{customer}@shop.example", day.strftime("%d/%m/%Y"),
                             f"€{amount:,.2f}"))  # fmt: skip
    frame = pd.DataFrame(rows, columns=["Email", "Order Date", "Total"])
    return frame.to_csv(index=False).encode()


def _answer(slack: FakeSlack) -> tuple[str, dict[str, bytes]]:
    slack.wait_calls("files.completeUploadExternal", timeout=30)
    answers = [c.params for c in slack.calls("chat.postMessage") if c.status == 200]
    assert len(answers) == 1, answers
    by_id = {f["id"]: f["name"] for f in slack.files.values()}
    uploads = {by_id[file_id]: data for file_id, data in slack.uploads.items()}
    return html.unescape(message_text(answers[0])), uploads


def test_a_dropped_order_export_gets_rfm_segments_and_emails_only_in_its_thread(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    data = shop_export()
    file = slack.add_file("orders.csv", data, channel="C0SHOP")
    assert http_bot.event(slack.file_shared_event(file)).status == 200

    text, uploads = _answer(slack)
    expected = run(data, http_bot.runtime.options(), filename="orders.csv")
    assert expected.mode == "rfm"
    assert f"400 customers from {expected.rows:,} orders" in text
    for segment in expected.segments:
        assert f"*{segment.name}*" in text
    assert "€" in text
    assert "@" not in text and "shop.example" not in text

    table_name = next(name for name in uploads if name.endswith(".csv"))
    rows = list(csv.DictReader(io.StringIO(uploads[table_name].decode("utf-8-sig"))))
    assert len(rows) == 400  # one row per customer, not per order
    assert {"recency_days", "frequency", "monetary", "segment_name"} <= set(rows[0])
    # Keyed by the e-mail as written in the file, so the marketer can act on each row; the
    # file goes only to the thread of the user's own file.
    assert list(rows[0])[0] == "Email"
    assert {row["Email"] for row in rows} == {f"buyer{i}@shop.example" for i in range(1, 401)}
    share = next(iter(file["shares"]["public"].values()))[0]
    for upload in slack.calls("files.completeUploadExternal"):
        assert (upload.params["channel_id"], upload.params["thread_ts"]) == ("C0SHOP", share["ts"])


def test_mode_rfm_command_on_the_latest_file(http_bot: HttpBot, slack: FakeSlack) -> None:
    data = shop_export(seed=4)
    slack.add_file("orders.csv", data, channel="C0DATA")
    assert http_bot.command("mode=rfm k=4").status == 200
    text, _ = _answer(slack)
    assert "customers from" in text and "orders" in text
    assert text.count(" customers (") >= 4


@pytest.mark.timeout(120)
def test_cdnow_drop_has_the_rfm_headline(http_bot: HttpBot, slack: FakeSlack) -> None:
    data = shared_file("cdnow_orders.csv").read_bytes()
    file = slack.add_file("cdnow_orders.csv", data, channel="C0SHOP")
    assert http_bot.event(slack.file_shared_event(file)).status == 200
    text, _ = _answer(slack)
    assert "23,570 customers from 69,659 orders, 1997-01-01 to 1998-06-30" in text
    assert "$" in text


def test_a_dropped_parquet_order_export_is_answered_like_its_csv(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    # Data teams export Parquet; Slack gives such a file no spreadsheet filetype of its own.
    data = shop_export()
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(data), dtype=str).to_parquet(buffer, index=False)
    file = slack.add_file("orders.parquet", buffer.getvalue(), channel="C0SHOP")
    assert http_bot.event(slack.file_shared_event(file)).status == 200

    text, uploads = _answer(slack)
    expected = run(data, http_bot.runtime.options(), filename="orders.csv")
    assert f"400 customers from {expected.rows:,} orders" in text
    for segment in expected.segments:
        assert f"*{segment.name}*" in text
    assert "€" in text and "shop.example" not in text
    table_name = next(name for name in uploads if name.endswith(".csv"))
    labelled = list(csv.DictReader(io.StringIO(uploads[table_name].decode("utf-8-sig"))))
    assert len(labelled) == 400 and labelled[0]["Email"].endswith("@shop.example")
