"""Asking in words: @segbot in a file's thread, and direct messages, over HTTP and Socket Mode."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from segmentation import demo_table, run
from tests.bot.harness import HttpBot, SocketBot
from tests.bot.slack_server import BOT_ID, FakeSlack, message_text, wait_until
from tests.bot.test_orders import shop_export

MALL_HEADERS = ("Age", "Spending Score (1-100)")


class Talk:
    """One bot (HTTP or Socket Mode) and how to send it an event, retries included."""

    def __init__(self, bot: HttpBot | SocketBot, slack: FakeSlack) -> None:
        self.bot, self.slack = bot, slack

    def send(self, event: dict[str, Any], *, retry: int | None = None) -> None:
        if isinstance(self.bot, HttpBot):
            assert self.bot.event(event, retry_num=retry).status == 200
        else:
            body = self.slack.event_body(event)
            self.slack.wait_ack(self.slack.deliver("events_api", body, retry_attempt=retry))

    def drop(self, file: dict[str, Any]) -> str:
        """Both of Slack's events for an upload; the thread the answer goes to."""
        self.send(self.slack.file_shared_event(file))
        self.send(self.slack.file_share_message_event(file))
        thread = str(next(iter(file["shares"]["public"].values()))[0]["ts"])
        self.wait_answers(next(iter(file["shares"]["public"])), thread, 1)
        return thread

    def wait_answers(self, channel: str, thread: str, count: int) -> list[dict[str, Any]]:
        def probe() -> list[dict[str, Any]] | None:
            found = answers(self.slack, channel, thread)
            return found if len(found) >= count else None

        return wait_until(probe, 60, f"{count} answer(s) in {thread}")


def answers(slack: FakeSlack, channel: str, thread: str) -> list[dict[str, Any]]:
    """The bot's messages in one thread, oldest first."""
    return [
        c.params
        for c in slack.calls("chat.postMessage")
        if c.status == 200
        and c.params.get("channel") == channel
        and c.params.get("thread_ts") == thread
    ]


def text_of(params: dict[str, Any]) -> str:
    return html.unescape(message_text(params))


@pytest.fixture(params=["http", "socket"])
def talk(request: pytest.FixtureRequest, slack: FakeSlack) -> Iterator[Talk]:
    bot: HttpBot | SocketBot = HttpBot(slack) if request.param == "http" else SocketBot(slack)
    try:
        yield Talk(bot, slack)
    finally:
        bot.close()


def test_mentions_in_the_answer_thread_are_understood_and_answered_once(
    talk: Talk, slack: FakeSlack, mall_customers: bytes
) -> None:
    file = slack.add_file("Mall_Customers.csv", mall_customers, channel="C0MKT")
    thread = talk.drop(file)
    options: Callable[..., Any] = talk.bot.runtime.options

    # A number of segments, with a typo; then Slack retries the same event.
    mention = slack.mention_event("try 4 gropus", channel="C0MKT", thread_ts=thread)
    talk.send(mention)
    four = talk.wait_answers("C0MKT", thread, 2)[1]
    talk.send(mention, retry=1)
    expected = run(mall_customers, options(k=4), filename="Mall_Customers.csv")
    assert [f"*{s.name}*" in text_of(four) for s in expected.segments] == [True] * 4, text_of(four)

    # Columns in everyday words: the headers it matched are said, and used.
    talk.send(slack.mention_event("what about age and spnd?", channel="C0MKT", thread_ts=thread))
    by_columns = talk.wait_answers("C0MKT", thread, 3)[2]
    said = text_of(by_columns)
    assert "“age” → `Age`" in said and "“spnd” → `Spending Score (1-100)`" in said
    expected = run(mall_customers, options(columns=MALL_HEADERS), filename="Mall_Customers.csv")
    assert all(f"*{s.name}*" in said for s in expected.segments)

    # One segment of the newest answer by a paraphrase of its description.
    target = expected.segments[1]
    paraphrase = target.name.lower().replace(",", "")
    talk.send(
        slack.mention_event(
            f"tell me more about the {paraphrase} ones", channel="C0MKT", thread_ts=thread
        )
    )
    detail = text_of(talk.wait_answers("C0MKT", thread, 4)[3])
    assert f"*{target.name}* — {target.size} customers" in detail
    assert "everyone:" in detail and "What it means and what to do" in detail

    # Nonsense: help with examples that name this file's real columns.
    talk.send(slack.mention_event("banana smoothie recipe", channel="C0MKT", thread_ts=thread))
    helped = text_of(talk.wait_answers("C0MKT", thread, 5)[4])
    assert "didn't understand" in helped
    assert "annual income and spending score" in helped

    talk.bot.wait_idle()
    assert len(answers(slack, "C0MKT", thread)) == 5  # the retry got no second answer


def test_a_careful_spenders_paraphrase_with_typos_gets_its_segment(
    http_bot: HttpBot, slack: FakeSlack, mall_customers: bytes
) -> None:
    talk = Talk(http_bot, slack)
    thread = talk.drop(slack.add_file("Mall_Customers.csv", mall_customers, channel="C0MKT"))
    expected = run(mall_customers, http_bot.runtime.options(), filename="Mall_Customers.csv")
    careful = next(s for s in expected.segments if s.description.startswith("Careful spenders"))

    talk.send(
        slack.mention_event(
            "tell me more about the carefull spenders", channel="C0MKT", thread_ts=thread
        )
    )
    detail = text_of(talk.wait_answers("C0MKT", thread, 2)[1])
    assert f"*{careful.name}* — {careful.size} customers" in detail
    # Mall Customers has a customer key: the segment's audience file comes into the thread.
    upload = slack.wait_calls("files.completeUploadExternal", 2)[1].params
    assert upload["thread_ts"] == thread
    http_bot.wait_idle()
    audience = list(slack.uploads.values())[-1]
    rows = list(csv.DictReader(io.StringIO(audience.decode("utf-8-sig"))))
    assert len(rows) == careful.size and {r["segment_name"] for r in rows} == {careful.name}


def test_a_direct_message_with_a_file_then_three_groups(
    talk: Talk, slack: FakeSlack, mall_customers: bytes
) -> None:
    file = slack.add_file("Mall_Customers.csv", mall_customers, channel="D0ALICE")
    talk.send(slack.file_share_message_event(file))
    share = file["shares"]["public"]["D0ALICE"][0]["ts"]
    talk.wait_answers("D0ALICE", share, 1)

    message = slack.direct_message_event("3 groups")
    talk.send(message)
    answer = talk.wait_answers("D0ALICE", message["ts"], 1)[0]
    expected = run(mall_customers, talk.bot.runtime.options(k=3), filename="Mall_Customers.csv")
    assert all(f"*{s.name}*" in text_of(answer) for s in expected.segments)
    assert expected.k == 3

    # "more" under that answer: one more than the 3 it gave.
    more = {**slack.direct_message_event("more"), "thread_ts": message["ts"]}
    talk.send(more)
    answer = talk.wait_answers("D0ALICE", message["ts"], 2)[1]
    expected = run(mall_customers, talk.bot.runtime.options(k=4), filename="Mall_Customers.csv")
    assert all(f"*{s.name}*" in text_of(answer) for s in expected.segments)


@pytest.mark.parametrize("redact", [False, True])
def test_contacts_go_out_only_in_the_audience_file(
    make_http_bot: Callable[..., HttpBot], slack: FakeSlack, tmp_path: Path, redact: bool
) -> None:
    env = {"SEGBOT_REDACT_EXPORTS": "true", "SEGBOT_DATA_DIR": str(tmp_path)} if redact else {}
    bot = make_http_bot(**env)
    table = demo_table()
    table["Email"] = [f"shopper{i}@example.org" for i in range(len(table))]
    data = table.to_csv(index=False).encode()
    talk = Talk(bot, slack)
    thread = talk.drop(slack.add_file("shoppers.csv", data, channel="C0MKT"))
    expected = run(data, bot.runtime.options(), filename="shoppers.csv").segments[0]

    talk.send(slack.mention_event("segment 1", channel="C0MKT", thread_ts=thread))
    detail = text_of(talk.wait_answers("C0MKT", thread, 2)[1])
    assert f"*{expected.name}* — {expected.size} customers" in detail
    assert "@example.org" not in detail
    bot.wait_idle()
    audience = list(slack.uploads.values())[-1].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(audience)))
    assert len(rows) == expected.size and {r["segment_name"] for r in rows} == {expected.name}
    emails = [r["Email"] for r in rows]
    if redact:
        assert not any("@example.org" in e for e in emails)
    else:
        assert all(e.endswith("@example.org") for e in emails)


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": BOT_ID, "subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"user": "U0BOT"},
        {"edited": {"user": "U0ALICE", "ts": "1.0"}},
    ],
)
def test_bots_own_messages_and_edits_are_ignored(
    http_bot: HttpBot, slack: FakeSlack, change: dict[str, Any]
) -> None:
    event = slack.mention_event("try 4 groups", channel="C0MKT")
    event.update(change)
    http_bot.event(event)
    direct = slack.direct_message_event("3 groups")
    direct.update(change)
    http_bot.event(direct)
    http_bot.wait_idle()
    assert slack.chat_texts() == []


def test_a_mention_at_the_top_of_a_channel_uses_its_latest_file(
    http_bot: HttpBot, slack: FakeSlack, mall_customers: bytes
) -> None:
    talk = Talk(http_bot, slack)
    talk.drop(slack.add_file("Mall_Customers.csv", mall_customers, channel="C0MKT"))
    mention = slack.mention_event("help", channel="C0MKT")
    talk.send(mention)
    helped = text_of(talk.wait_answers("C0MKT", mention["ts"], 1)[0])
    assert "Mall_Customers.csv" in helped and "tell me more about" in helped


def test_history_from_a_mention_takes_the_command_path(
    http_bot: HttpBot, slack: FakeSlack, mall_customers: bytes
) -> None:
    talk = Talk(http_bot, slack)
    thread = talk.drop(slack.add_file("Mall_Customers.csv", mall_customers, channel="C0MKT"))
    talk.send(slack.mention_event("show me the histroy", channel="C0MKT", thread_ts=thread))
    # Events are acked first: the job may be queued after the ack, so wait for the answer
    # before waiting for an idle queue (then nothing more may come).
    talk.wait_answers("C0MKT", thread, 2)
    http_bot.wait_idle()
    replies = answers(slack, "C0MKT", thread)
    assert len(replies) == 2  # the drop's answer, then exactly one answer to "history"
    listed = text_of(replies[1])  # what /segment history lists, here in the thread
    assert "The last 1 run in this channel" in listed and "Mall_Customers.csv" in listed


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_a_thread_stays_about_its_file_after_a_restart(
    slack: FakeSlack,
    mall_customers: bytes,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    store: str,
) -> None:
    if store == "redis":
        env = {"SEGBOT_QUEUE_URL": request.getfixturevalue("redis_server").url}
    else:
        env = {"SEGBOT_DATA_DIR": str(tmp_path)}
    # Asked for after Redis, so the bots stop before Redis does.
    make_http_bot: Callable[..., HttpBot] = request.getfixturevalue("make_http_bot")
    first = make_http_bot(**env)
    thread = Talk(first, slack).drop(
        slack.add_file("Mall_Customers.csv", mall_customers, channel="C0MKT")
    )
    first.close()
    # A newer file in the channel: the thread is still about the Mall file.
    Talk(make_http_bot(**env), slack).drop(
        slack.add_file("other.csv", demo_table().to_csv(index=False).encode(), channel="C0MKT")
    )

    talk = Talk(make_http_bot(**env), slack)
    talk.send(slack.mention_event("what about age and spend", channel="C0MKT", thread_ts=thread))
    answer = text_of(talk.wait_answers("C0MKT", thread, 2)[1])
    assert "Mall_Customers.csv" in answer and "other.csv" not in answer


def test_the_at_risk_customers_of_an_order_export_with_their_audience(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    data = shop_export()
    talk = Talk(http_bot, slack)
    thread = talk.drop(slack.add_file("orders.csv", data, channel="C0MKT"))
    at_risk = next(s for s in run(data, http_bot.runtime.options()).segments if s.name == "At risk")

    talk.send(slack.mention_event("who are the at-risk ones?", channel="C0MKT", thread_ts=thread))
    detail = text_of(talk.wait_answers("C0MKT", thread, 2)[1])
    assert f"*At risk* — {at_risk.size} customers" in detail
    assert "@shop.example" not in detail
    http_bot.wait_idle()
    rows = list(csv.DictReader(io.StringIO(list(slack.uploads.values())[-1].decode("utf-8-sig"))))
    assert len(rows) == at_risk.size and all(r["Email"].endswith("@shop.example") for r in rows)
