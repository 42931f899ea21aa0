"""The bot remembers every answered run: the next drop says what changed since, the history
survives a restart, and a channel can be forgotten (after a confirm button)."""

from __future__ import annotations

import html
import io
import json
import sqlite3
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.store import HISTORY_FILE, History, normalise_url
from tests.bot.harness import HttpBot
from tests.bot.postgres_server import PostgresServer
from tests.bot.slack_server import TEAM_ID, FakeSlack, message_text, wait_until


def order_log(seed: int = 5) -> pd.DataFrame:
    """A year of a shop's orders keyed by customer ID: regulars, lapsing and one-off buyers."""
    rng = np.random.default_rng(seed)
    rows = []
    kinds = [(150, (8, 16), 0, 364, 90.0), (150, (3, 6), 0, 200, 40.0), (200, (1, 1), 0, 364, 25.0)]
    customer = 1000
    for count, orders, first, last, spend in kinds:
        for _ in range(count):
            customer += 1
            for _ in range(rng.integers(orders[0], orders[1] + 1)):
                day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(first, last)))
                rows.append(
                    (f"CU-{customer}", day.strftime("%Y-%m-%d"), round(rng.gamma(4, spend / 4), 2))
                )
    return pd.DataFrame(rows, columns=["Customer ID", "Order Date", "Total"])


def months(log: pd.DataFrame) -> tuple[bytes, bytes]:
    """The export as it was at the end of November, and at the end of December."""
    november = log[log["Order Date"] < "2024-12-01"]
    return november.to_csv(index=False).encode(), log.to_csv(index=False).encode()


def _answers(slack: FakeSlack, channel: str) -> list[str]:
    return [
        html.unescape(message_text(c.params))
        for c in slack.calls("chat.postMessage")
        if c.status == 200 and c.params.get("channel") == channel
    ]


def _drop(bot: HttpBot, slack: FakeSlack, name: str, data: bytes, channel: str, n: int) -> str:
    file = slack.add_file(name, data, channel=channel)
    assert bot.event(slack.file_shared_event(file)).status == 200
    slack.wait_calls("files.completeUploadExternal", count=n, timeout=60)
    bot.wait_idle()
    return _answers(slack, channel)[-1]


def _click(bot: HttpBot, slack: FakeSlack, action_id: str, channel: str) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": "U0ALICE"},
        "api_app_id": "A0SEGBOT",
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": "1.1", "is_ephemeral": True},
        "trigger_id": f"{time.time()}.click",
        "response_url": slack.response_url(),
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": "x"}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert bot.post_signed(body, "application/x-www-form-urlencoded").status == 200


def _response_after(slack: FakeSlack, count: int) -> dict:
    slack.wait_calls("response_url", count=count, timeout=60)
    return slack.responses()[count - 1]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_months_dropped_one_after_the_other_then_history_after_a_restart(
    slack: FakeSlack, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    november, december = months(order_log())
    data_dir = str(tmp_path / "data")
    env = {"SEGBOT_DATA_DIR": data_dir}
    server: PostgresServer | None = None
    if database == "postgresql":
        server = request.getfixturevalue("postgres_server")
        env.update(DATABASE_URL=server.url, SEGBOT_SECRET="a-long-shared-secret-for-tests")
        shared = History(normalise_url(server.url), b"x")  # the cluster lives for the session
        shared.migrate()
        shared.forget("C0SHOP")
        shared.close()
    bot = HttpBot(slack, **env)
    try:
        first = _drop(bot, slack, "orders_nov.csv", november, "C0SHOP", 1)
        assert "Since" not in first
        second = _drop(bot, slack, "orders_dec.csv", december, "C0SHOP", 2)
    finally:
        bot.close()
    # The second answer leads with what changed, names the movement, and the thread gets the
    # movement picture.
    assert "Since orders_nov.csv" in second
    assert "of last time's" in second and "customers are in both files" in second
    names = [f["name"] for f in slack.files.values()]
    assert "orders_dec-movement.png" in names and "orders_nov-movement.png" not in names

    # No raw customer key in the database: only pseudonyms.
    in_november = pd.read_csv(io.BytesIO(november))["Customer ID"].nunique()
    if server is None:
        stored = list(Path(data_dir).glob(HISTORY_FILE + "*"))  # the file and its write-ahead log
        assert stored and all(b"CU-" not in path.read_bytes() for path in stored)
        with sqlite3.connect(Path(data_dir) / HISTORY_FILE) as db:
            assert db.execute("select count(*) from members").fetchone()[0] == in_november + 500
    else:
        dump = server.dump()
        assert b"orders_dec.csv" in dump and b"CU-" not in dump
        assert not list(Path(data_dir).glob(HISTORY_FILE + "*"))  # nothing kept locally

    # A new bot process on the same data folder remembers both runs.
    again = HttpBot(slack, **env)
    try:
        assert again.command("history", channel="C0SHOP").status == 200
        listing = _response_after(slack, 1)["text"]
        assert "orders_dec.csv" in listing and "orders_nov.csv" in listing
        assert listing.index("orders_dec.csv") < listing.index("orders_nov.csv")
        # Another channel sees none of it.
        assert again.command("history", channel="C0OTHER").status == 200
        assert "no runs remembered" in _response_after(slack, 2)["text"]

        assert again.command("compare", channel="C0SHOP").status == 200
        wait_until(
            lambda: (
                any("compared with orders_nov.csv" in t for t in _answers(slack, "C0SHOP")) or None
            ),
            60,
            "the comparison",
        )
        again.wait_idle()

        ack = again.command("forget", channel="C0SHOP")
        assert "Forget this channel" in ack.body.decode()
        assert len(slack.calls("response_url")) == 2  # nothing deleted before the click
        _click(again, slack, "segbot_forget_confirm", "C0SHOP")
        done = _response_after(slack, 3)["text"]
        assert f"2 runs and {in_november + 500:,} customer records" in done
        assert again.command("history", channel="C0SHOP").status == 200
        assert "no runs remembered" in _response_after(slack, 4)["text"]
    finally:
        again.close()


def test_an_unreachable_database_still_answers_and_says_so(
    slack: FakeSlack, tmp_path: Path
) -> None:
    # Nothing listens on port 9: every connection is refused at once.
    bot = HttpBot(
        slack,
        SEGBOT_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgresql://segbot@127.0.0.1:9/segbot",
        SEGBOT_SECRET="s" * 32,
    )
    try:
        november, _ = months(order_log())
        text = _drop(bot, slack, "orders_nov.csv", november, "C0SHOP", 1)
    finally:
        bot.close()
    assert "segments" in text.lower()
    assert "this run was not remembered" in text


def test_help_mentions_history_compare_and_forget(http_bot: HttpBot) -> None:
    text = http_bot.command("help").text
    for command in ("/segment history", "/segment compare", "/segment forget"):
        assert command in text


def test_keep_it_deletes_nothing(http_bot: HttpBot, slack: FakeSlack) -> None:
    ack = http_bot.command("forget", channel="C0KEEP")
    assert "Keep it" in ack.body.decode()
    _click(http_bot, slack, "segbot_forget_cancel", "C0KEEP")
    assert "Nothing was deleted" in _response_after(slack, 1)["text"]
