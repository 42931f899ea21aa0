"""The buttons under an answer: clicks over HTTP and Socket Mode, answered once in the thread."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.slack.blocks.buttons import (
    ACTION_AUDIENCE,
    ACTION_COLUMNS,
    ACTION_FEWER,
    ACTION_MORE,
    COLUMNS_BLOCK,
)
from segmentation import demo_csv, run
from segmentation.output.export import audience_files
from tests.bot.harness import HttpBot, SocketBot
from tests.bot.slack_server import FakeSlack, message_text, wait_until
from tests.bot.test_exports import contacts_csv

CHANNEL = "C0MKT"


def _answers(slack: FakeSlack) -> list[dict[str, Any]]:
    """The bot's answers with buttons, in the order posted."""
    return [
        m for m in slack.messages if any(b.get("type") == "actions" for b in m.get("blocks") or [])
    ]


def _first_answer(slack: FakeSlack, bot: HttpBot | SocketBot) -> tuple[dict[str, Any], str]:
    """Drop the demo shoppers as a file; the answer posted in its thread, and the thread."""
    file = slack.add_file("shoppers.csv", demo_csv(), channel=CHANNEL)
    event = slack.event_body(slack.file_shared_event(file))
    if isinstance(bot, HttpBot):
        assert bot.event(event["event"]).status == 200
    else:
        slack.wait_ack(slack.deliver("events_api", event))
    answer = wait_until(lambda: _answers(slack) or None, 60, "the first answer")[0]
    bot.wait_idle()
    return answer, file["shares"]["public"][CHANNEL][0]["ts"]


def _new_answer(slack: FakeSlack, count: int) -> dict[str, Any]:
    return wait_until(
        lambda: _answers(slack)[count - 1] if len(_answers(slack)) >= count else None,
        60,
        f"answer number {count}",
    )


def _text(message: dict[str, Any]) -> str:
    return html.unescape(message_text(message))


def _buttons(message: dict[str, Any]) -> list[str]:
    block = next(b for b in message["blocks"] if b["type"] == "actions")
    return [e["text"]["text"] for e in block["elements"]]


def _names(bot: HttpBot | SocketBot, k: int) -> list[str]:
    result = run(demo_csv(), bot.runtime.options(k=k), filename="shoppers.csv")
    return [s.name for s in result.segments]


def test_more_and_fewer_segments_answer_in_the_thread_with_k_plus_and_minus_one(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    first, thread = _first_answer(slack, http_bot)
    assert _buttons(first) == [
        "Fewer segments",
        "More segments",
        "Choose columns…",
        "Audience files",
    ]

    more = http_bot.interactive(slack.block_actions_body(first, ACTION_MORE, user="U0BOB"))
    assert more.status == 200 and more.seconds < 3
    six = _new_answer(slack, 2)
    fewer = http_bot.interactive(slack.block_actions_body(first, ACTION_FEWER, user="U0CAROL"))
    assert fewer.status == 200 and fewer.seconds < 3
    four = _new_answer(slack, 3)

    assert six["thread_ts"] == thread and four["thread_ts"] == thread
    assert "6 segments instead of 5, asked by <@U0BOB>" in _text(six)
    assert "4 segments instead of 5, asked by <@U0CAROL>" in _text(four)
    for message, k in ((six, 6), (four, 4)):
        names = _names(http_bot, k)
        assert len(names) == k
        assert all(f"*{name}*" in _text(message) for name in names)
    # The earlier answer stays as it was: nothing edited or deleted.
    assert not slack.calls("chat.update") and not slack.calls("chat.delete")
    assert slack.messages[0]["blocks"] == first["blocks"]
    # Each new answer brings its own PNG and labelled CSV into the thread.
    http_bot.wait_idle()
    assert len(slack.calls("files.completeUploadExternal")) == 3


def test_buttons_stop_at_two_and_at_ten_segments(http_bot: HttpBot, slack: FakeSlack) -> None:
    first, _ = _first_answer(slack, http_bot)
    value = json.loads(
        next(b for b in first["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    value["k"] = 3
    click = slack.block_actions_body(first, ACTION_FEWER)
    click["actions"][0]["value"] = json.dumps(value)
    http_bot.interactive(click)
    two = _new_answer(slack, 2)
    assert "2 segments instead of 3" in _text(two)
    assert "Fewer segments" not in _buttons(two) and "More segments" in _buttons(two)


def test_a_retried_click_is_answered_once(http_bot: HttpBot, slack: FakeSlack) -> None:
    first, _ = _first_answer(slack, http_bot)
    click = slack.block_actions_body(first, ACTION_MORE)
    assert http_bot.interactive(click).status == 200
    assert http_bot.interactive(click, retry_num=1).status == 200
    _new_answer(slack, 2)
    http_bot.wait_idle()
    assert len(_answers(slack)) == 2


def test_choose_columns_opens_the_modal_and_answers_on_exactly_the_two_ticked(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    first, thread = _first_answer(slack, http_bot)
    click = slack.block_actions_body(first, ACTION_COLUMNS)
    assert http_bot.interactive(click).seconds < 3

    opened = slack.wait_calls("views.open")[0]
    assert opened.params["trigger_id"] == click["trigger_id"]
    view = slack.views[0]
    element = view["blocks"][0]["element"]
    assert element["type"] == "checkboxes"
    labels = [o["text"]["text"] for o in element["options"]]
    # The file's usable columns: never the customer id or the gender text.
    assert labels == ["Annual Income (k$)", "Spending Score (1-100)", "Age"]
    assert [o["text"]["text"] for o in element["initial_options"]] == labels[:2]

    picked = [element["options"][2], element["options"][1]]  # Age, Spending Score
    values = {COLUMNS_BLOCK: {"picked": {"type": "checkboxes", "selected_options": picked}}}
    done = http_bot.interactive(slack.view_submission_body(view, values))
    assert done.status == 200 and not done.body.strip(b"{}")  # the modal closes

    answer = _new_answer(slack, 2)
    assert answer["thread_ts"] == thread
    text = _text(answer)
    assert "asked by <@U0BOB>" in text
    assert "On Spending Score (1-100) and Age instead of Annual Income (k$) and " in text
    expected = run(demo_csv(), http_bot.runtime.options(columns=("Spending Score (1-100)", "Age")))
    assert all(f"*{s.name}*" in text for s in expected.segments)
    after = json.loads(
        next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    assert after["c"] == ["Spending Score (1-100)", "Age"]


def test_one_ticked_column_is_an_error_inside_the_modal(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    first, _ = _first_answer(slack, http_bot)
    http_bot.interactive(slack.block_actions_body(first, ACTION_COLUMNS))
    view = (
        slack.wait_until_view()
        if hasattr(slack, "wait_until_view")
        else wait_until(lambda: slack.views or None, 10, "a modal")[0]
    )
    one = [view["blocks"][0]["element"]["options"][2]]
    values = {COLUMNS_BLOCK: {"picked": {"type": "checkboxes", "selected_options": one}}}
    answer = http_bot.interactive(slack.view_submission_body(view, values))
    reply = json.loads(answer.body)
    assert reply["response_action"] == "errors"
    assert "Tick at least one more column besides Age" in reply["errors"][COLUMNS_BLOCK]
    http_bot.wait_idle()
    assert len(_answers(slack)) == 1


def test_a_click_on_a_deleted_file_is_told_only_to_whoever_clicked(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    first, _ = _first_answer(slack, http_bot)
    slack.files.clear()
    answer = http_bot.interactive(slack.block_actions_body(first, ACTION_MORE, user="U0DAVE"))
    assert answer.status == 200
    told = slack.wait_calls("chat.postEphemeral")[0].params
    assert told["user"] == "U0DAVE" and told["channel"] == CHANNEL
    assert "no longer on Slack" in told["text"]
    http_bot.wait_idle()
    assert len(_answers(slack)) == 1 and not slack.calls("views.open")


def test_audience_files_are_posted_in_the_thread(http_bot: HttpBot, slack: FakeSlack) -> None:
    first, thread = _first_answer(slack, http_bot)
    http_bot.interactive(slack.block_actions_body(first, ACTION_AUDIENCE))
    wait_until(
        lambda: len(slack.calls("files.completeUploadExternal")) >= 2 or None, 60, "audiences"
    )
    http_bot.wait_idle()
    upload = slack.calls("files.completeUploadExternal")[1].params
    assert upload["thread_ts"] == thread
    files = upload["files"]
    titles = [f["title"] for f in (json.loads(files) if isinstance(files, str) else files)]
    expected = audience_files(run(demo_csv(), http_bot.runtime.options()))
    assert len(titles) == len(expected) == 5
    assert sorted(t.split(": ")[1] for t in titles) == sorted(n[:-4] for n in expected)


def test_socket_mode_more_segments_and_the_modal(socket_bot: SocketBot, slack: FakeSlack) -> None:
    first, thread = _first_answer(slack, socket_bot)
    envelope = slack.deliver("interactive", slack.block_actions_body(first, ACTION_MORE))
    slack.wait_ack(envelope)
    assert slack.ack_times[envelope] - slack.sent_times[envelope] < 3
    six = _new_answer(slack, 2)
    assert six["thread_ts"] == thread and "6 segments instead of 5" in _text(six)

    slack.wait_ack(slack.deliver("interactive", slack.block_actions_body(six, ACTION_COLUMNS)))
    view = wait_until(lambda: slack.views or None, 10, "a modal")[0]
    options = view["blocks"][0]["element"]["options"]
    one = {COLUMNS_BLOCK: {"picked": {"type": "checkboxes", "selected_options": options[:1]}}}
    ack = slack.wait_ack(slack.deliver("interactive", slack.view_submission_body(view, one)))
    assert ack["payload"]["response_action"] == "errors"
    two = {COLUMNS_BLOCK: {"picked": {"type": "checkboxes", "selected_options": options[1:]}}}
    slack.wait_ack(slack.deliver("interactive", slack.view_submission_body(view, two)))
    answer = _new_answer(slack, 3)
    # k was fixed by the click before, so the new columns keep 6 segments.
    expected = run(
        demo_csv(), socket_bot.runtime.options(k=6, columns=("Spending Score (1-100)", "Age"))
    )
    assert all(f"*{s.name}*" in _text(answer) for s in expected.segments)
    assert "On Spending Score (1-100) and Age instead of" in _text(answer)


def test_a_click_on_the_demo_answer_needs_no_file(http_bot: HttpBot, slack: FakeSlack) -> None:
    http_bot.command("demo")
    first = wait_until(lambda: _answers(slack) or None, 60, "the demo answer")[0]
    http_bot.wait_idle()
    http_bot.interactive(slack.block_actions_body(first, ACTION_FEWER, user="U0EVE"))
    four = _new_answer(slack, 2)
    # A top-level answer gets its follow-ups in its own thread.
    assert four["thread_ts"] == first["ts"] and first["thread_ts"] is None
    assert "4 segments instead of 5, asked by <@U0EVE>" in _text(four)
    assert not slack.calls("files.info")


def test_a_click_where_the_file_is_not_shared_is_told_only_to_whoever_clicked(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    first, _ = _first_answer(slack, http_bot)
    for file in slack.files.values():  # the file was taken out of this channel
        file["channels"], file["shares"] = [], {}
    http_bot.interactive(slack.block_actions_body(first, ACTION_COLUMNS, user="U0DAVE"))
    told = slack.wait_calls("chat.postEphemeral")[0].params
    assert told["user"] == "U0DAVE" and "isn't shared in this channel" in told["text"]
    assert not slack.calls("views.open")


def test_redacted_audience_files_carry_pseudonyms_and_no_message_shows_contacts(
    make_http_bot: Callable[..., HttpBot], slack: FakeSlack, tmp_path: Path
) -> None:
    bot = make_http_bot(SEGBOT_REDACT_EXPORTS="true", SEGBOT_DATA_DIR=str(tmp_path))
    data, table = contacts_csv()
    bot.event(slack.file_shared_event(slack.add_file("customers.csv", data, channel=CHANNEL)))
    first = wait_until(lambda: _answers(slack) or None, 60, "the first answer")[0]
    bot.wait_idle()
    uploads_before = set(slack.uploads)
    bot.interactive(slack.block_actions_body(first, ACTION_AUDIENCE, user="U0BOB"))
    wait_until(
        lambda: len(slack.calls("files.completeUploadExternal")) >= 2 or None, 60, "audiences"
    )
    bot.wait_idle()
    audiences = [d for f, d in slack.uploads.items() if f not in uploads_before]
    segments = [m for m in slack.messages if "Audience files" in str(m.get("text"))]
    assert len(segments) == 1 and "asked by <@U0BOB>" in segments[0]["text"]
    rows = [row for d in audiences for row in csv.DictReader(io.StringIO(d.decode("utf-8-sig")))]
    assert len(rows) == len(table)
    assert all(not r["Email"].endswith("@example.org") for r in rows)
    shown = "\n".join(html.unescape(message_text(m)) for m in slack.messages)
    assert "@example.org" not in shown and "Quartermain" not in shown


def test_an_order_log_answer_offers_the_reading_and_reads_it_again_as_customers(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    from tests.bot.test_orders import shop_export

    data = shop_export()
    http_bot.event(slack.file_shared_event(slack.add_file("orders.csv", data, channel=CHANNEL)))
    first = wait_until(lambda: _answers(slack) or None, 60, "the RFM answer")[0]
    http_bot.wait_idle()
    rfm = run(data, http_bot.runtime.options(), filename="orders.csv")
    assert rfm.mode == "rfm"
    assert "Choose columns…" in _buttons(first)

    http_bot.interactive(slack.block_actions_body(first, ACTION_COLUMNS))
    view = wait_until(lambda: slack.views or None, 10, "a modal")[0]
    reading, columns = view["blocks"]
    assert reading["element"]["initial_option"]["value"] == "rfm"
    assert [o["text"]["text"].split(" (")[0] for o in columns["element"]["options"]] == [
        "Recency",
        "Frequency",
        "Monetary",
    ]
    as_customers = {
        "reading": {
            "read_as": {"type": "radio_buttons", "selected_option": {"value": "customers"}}
        },
        COLUMNS_BLOCK: {"picked": {"type": "checkboxes", "selected_options": []}},
    }
    http_bot.interactive(slack.view_submission_body(view, as_customers))
    answer = _new_answer(slack, 2)
    assert "The file read one row per customer, asked by <@U0BOB>" in _text(answer)
    expected = run(data, http_bot.runtime.options(mode="customers"), filename="orders.csv")
    assert all(f"*{s.name}*" in _text(answer) for s in expected.segments)
    # The new answer still knows it came from an order log: its modal offers the reading.
    assert (
        json.loads(
            next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][-2]["value"]
        )["o"]
        == 1
    )


def test_a_retried_columns_click_opens_one_modal(http_bot: HttpBot, slack: FakeSlack) -> None:
    first, _ = _first_answer(slack, http_bot)
    click = slack.block_actions_body(first, ACTION_COLUMNS)
    assert http_bot.interactive(click).status == 200
    assert http_bot.interactive(click, retry_num=1).status == 200
    assert len(slack.calls("views.open")) == 1 and not slack.calls("chat.postEphemeral")
