"""Files that push the bot's answers against Slack's limits (issue 17), end to end.

Each test drops a file the way a person does, against the strict stand-in Slack, and asserts
what the person would see: an answer Slack takes (the ``slack`` fixture fails any test whose
messages or views Slack would refuse), button values and modal metadata within Slack's limits,
file headers never read as mrkdwn commands, and files that live elsewhere handled honestly.
"""

from __future__ import annotations

import csv
import html
import io
import json
import random
from typing import Any

import pytest

from bot.slack.blocks.buttons import ACTION_COLUMNS
from tests.bot.harness import HttpBot
from tests.bot.slack_server import FakeSlack, message_text, wait_until

CHANNEL = "C0MKT"
OTHER_CHANNEL = "C0SALES"
MAX_VALUE = 2000
MAX_METADATA = 3000


def _table(headers: list[str], rows: int = 120, seed: int = 7) -> bytes:
    """A customer table: an id, then one numeric column per header (three loose groups)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["customer_id", *headers])
    for row in range(rows):
        group = row % 3
        writer.writerow(
            [f"C{row:05d}", *(round(rng.gauss(20 + 30 * group, 6), 1) for _ in headers)]
        )
    return out.getvalue().encode()


def _answers(slack: FakeSlack, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.messages
        if m["channel"] == channel and any(b.get("type") == "actions" for b in m["blocks"])
    ]


def _drop(bot: HttpBot, slack: FakeSlack, name: str, content: bytes, **kw: Any) -> dict[str, Any]:
    file = slack.add_file(name, content, channel=CHANNEL, **kw)
    assert bot.event(slack.file_shared_event(file)).status == 200
    return file


def _answer(bot: HttpBot, slack: FakeSlack, channel: str = CHANNEL) -> dict[str, Any]:
    """The first answer with buttons in ``channel``; fails with what Slack refused, if any."""

    def probe() -> dict[str, Any] | None:
        assert not slack.refusals, slack.problems()
        found = _answers(slack, channel)
        return found[0] if found else None

    answer = wait_until(probe, 120, f"an answer in {channel}")
    bot.wait_idle()
    return answer


def _button_values(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["text"]["text"]: e.get("value", "")
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def _every_text(slack: FakeSlack) -> str:
    """Everything the bot sent anyone: messages, ephemerals, response_url notes, modals."""
    texts = [message_text(c.params) for c in slack.calls() if c.method.startswith("chat.")]
    texts += [message_text(r) for r in slack.responses()]
    texts += [json.dumps(v) for v in slack.views]
    return "\n".join(texts)


@pytest.mark.parametrize(
    "headers",
    [
        # About 300 columns: every follow-up button carried all of them.
        [f"Spend on product category number {i:03d} in the last twelve months" for i in range(300)],
        # A few long headers with quotes (each quote costs two characters in JSON).
        [
            (
                f'Total "{kind}" spend in euros, including returns, exchanges and "gift" cards, '
                f"over the last twelve months of trading, region {i}. "
            )
            * 4
            for i, kind in enumerate(["online", "in store", "app", "phone", "catalogue", "partner"])
        ],
    ],
    ids=["300-columns", "long-quoted-headers"],
)
def test_follow_up_button_values_fit_slacks_2000_characters(
    http_bot: HttpBot, slack: FakeSlack, headers: list[str]
) -> None:
    _drop(http_bot, slack, "wide.csv", _table(headers))
    answer = _answer(http_bot, slack)
    values = _button_values(answer)
    assert values, "the answer has its follow-up buttons"
    assert {name: len(v) for name, v in values.items() if len(v) > MAX_VALUE} == {}


def test_choose_columns_opens_its_modal_when_headers_are_full_of_quotes(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    headers = ['"q" ' * 24 + f"spend {i}" for i in range(6)]
    _drop(http_bot, slack, "quoted.csv", _table(headers))
    answer = _answer(http_bot, slack)
    assert "Choose columns…" in _button_values(answer)
    http_bot.interactive(slack.block_actions_body(answer, ACTION_COLUMNS))
    view = wait_until(lambda: slack.views or slack.refusals or None, 30, "a modal")
    assert not slack.refusals, slack.problems()
    assert len(view[0]["private_metadata"]) <= MAX_METADATA


def test_a_channel_mention_in_a_header_never_reaches_mrkdwn_raw(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    headers = ["<!channel> spend", "visits", "<!here> basket", "<@U0BOSS> tenure"]
    file = _drop(http_bot, slack, "loud.csv", _table(headers))
    answer = _answer(http_bot, slack)
    thread = file["shares"]["public"][CHANNEL][0]["ts"]
    talk = http_bot.event(slack.mention_event("segment 1", channel=CHANNEL, thread_ts=thread))
    assert talk.status == 200
    http_bot.wait_idle()
    sent = _every_text(slack)
    assert answer and "spend" in html.unescape(sent)
    for command in ("<!channel>", "<!here>", "<@U0BOSS>"):
        assert command not in sent


def test_a_1000_column_file_gets_an_answer_and_a_segment_detail_within_limits(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    headers = [f"Measure {i:04d} of customer activity" for i in range(999)]
    file = _drop(http_bot, slack, "thousand.csv", _table(headers, rows=90))
    _answer(http_bot, slack)
    thread = file["shares"]["public"][CHANNEL][0]["ts"]
    before = len(slack.messages)
    http_bot.event(slack.mention_event("segment 1", channel=CHANNEL, thread_ts=thread))
    wait_until(lambda: len(slack.messages) > before or slack.refusals or None, 120, "the detail")
    http_bot.wait_idle()
    assert not slack.refusals, slack.problems()
    assert slack.messages[before]["thread_ts"] == thread


@pytest.mark.parametrize(
    ("name", "filetype"),
    [("spend.csv", "csv"), ("Q3 spend", "gsheet")],
    ids=["csv-in-drive", "google-sheet"],
)
def test_a_file_shared_from_google_drive_is_never_fetched_with_the_bot_token(
    http_bot: HttpBot, slack: FakeSlack, name: str, filetype: str
) -> None:
    content = _table(["spend", "visits", "basket"])
    _drop(http_bot, slack, name, content, filetype=filetype, external=True)
    told = wait_until(lambda: slack.chat_texts() or None, 30, "a word to the person")
    http_bot.wait_idle()
    assert all("Authorization" not in c.headers for c in slack.calls("external_download"))
    assert not slack.calls("download")
    assert "upload" in html.unescape("\n".join(told)).lower()


def test_a_file_shared_again_in_a_second_channel_is_answered_there_too(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    file = _drop(http_bot, slack, "shoppers.csv", _table(["spend", "visits", "basket"]))
    _answer(http_bot, slack)
    assert http_bot.event(slack.share_file(file, OTHER_CHANNEL)).status == 200
    again = _answer(http_bot, slack, OTHER_CHANNEL)
    assert again["thread_ts"] == file["shares"]["public"][OTHER_CHANNEL][0]["ts"]
