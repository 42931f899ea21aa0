"""Sources by name in Slack, over real loopback HTTP: ``/segment sources``, ``/segment source
NAME`` and ``@segbot segment NAME`` answer like a dropped file, and never show where the data
lives or its password."""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import statistics
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.logs import configure_logging
from bot.queue import SqliteLedger
from bot.slack.blocks.buttons import ACTION_MORE
from segmentation import demo_csv, run
from tests.bot.harness import BotProcess, HttpBot, SocketBot
from tests.bot.slack_server import FakeSlack, message_text, wait_until
from tests.bot.test_orders import shop_export

PASSWORD = "hunter2-Sup3r"
SECRET_DIR = "secret-dir-7f3a"
# Slack's own limit is 3 s; a listener that queues and acks should be far inside it.
SLACK_ACK_LIMIT_S = 3.0


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """An order log and a customer table, as an admin would keep them on the bot's machine."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders.csv").write_bytes(shop_export())
    (folder / "customers.csv").write_bytes(demo_csv())
    return folder


def sources_env(data: Path) -> dict[str, str]:
    """SEGBOT_SOURCES with a file URL, a plain path, one kept for another channel, a missing
    file and a database with a password."""
    sources = {
        "orders": {"url": (data / "orders.csv").as_uri()},
        "Customers": {"url": str(data / "customers.csv")},
        "shop": {"url": (data / "orders.csv").as_uri(), "channels": ["C0OTHER"]},
        "broken": {"url": f"file:///srv/{SECRET_DIR}/gone.csv"},
        "vip": {
            # Port 1: nothing listens there, so the connection is refused at once.
            "url": f"postgresql://bob:{PASSWORD}@127.0.0.1:1/shop",
            "query": "SELECT * FROM orders WHERE vip",
        },
    }
    return {"SEGBOT_SOURCES": json.dumps(sources)}


@pytest.fixture
def source_bot(make_http_bot: Callable[..., HttpBot], data: Path) -> HttpBot:
    return make_http_bot(**sources_env(data))


def _answers(slack: FakeSlack, channel: str = "C0DATA") -> list[dict[str, Any]]:
    return [
        c.params
        for c in slack.calls("chat.postMessage")
        if c.status == 200 and c.params.get("channel") == channel
    ]


def _wait_answer(slack: FakeSlack, channel: str = "C0DATA") -> dict[str, Any]:
    """The one answer (a message with blocks) once its picture and CSV are attached."""
    slack.wait_calls("files.completeUploadExternal", timeout=60)
    found = [m for m in _answers(slack, channel) if m.get("blocks")]
    assert len(found) == 1, found
    return found[0]


def _wait_sentence(slack: FakeSlack, channel: str = "C0DATA") -> str:
    posted = wait_until(lambda: _answers(slack, channel) or None, 60, "a message")
    assert len(posted) == 1, posted
    return html.unescape(message_text(posted[0]))


def _uploaded(slack: FakeSlack) -> dict[str, bytes]:
    by_id = {f["id"]: f["name"] for f in slack.files.values()}
    return {by_id[file_id]: data for file_id, data in slack.uploads.items()}


def _text(message: dict[str, Any]) -> str:
    return html.unescape(message_text(message))


def test_sources_lists_the_names_this_channel_may_use_and_nothing_else(
    source_bot: HttpBot, slack: FakeSlack, data: Path
) -> None:
    answer = source_bot.command("sources")
    assert answer.status == 200
    text = answer.text
    for name in ("orders", "customers", "broken", "vip"):
        assert f"`{name}`" in text
    assert "`shop`" not in text  # kept for another channel
    assert "a database query" in text and "a file" in text
    assert str(data) not in text and "postgresql" not in text and PASSWORD not in text
    assert slack.calls("chat.postMessage") == []

    elsewhere = source_bot.command("sources", channel="C0OTHER").text
    assert "`shop`" in elsewhere


def test_a_source_is_answered_in_the_channel_like_a_dropped_file(
    source_bot: HttpBot, slack: FakeSlack, data: Path
) -> None:
    expected = run(shop_export(), source_bot.runtime.options(), filename="orders.csv")

    answer = source_bot.command("source orders")
    assert answer.status == 200 and "Working on the source “orders”" in answer.text

    message = _wait_answer(slack)
    text = _text(message)
    assert message.get("thread_ts") is None  # in the channel itself, like /segment demo
    assert "Customer segments: orders" in text
    for segment in expected.segments:
        assert f"*{segment.name}*" in text
    assert "Asked for by <@U0ALICE>" in text
    buttons = next(b for b in message["blocks"] if b["type"] == "actions")
    assert [e["text"]["text"] for e in buttons["elements"]] == [
        "Fewer segments",
        "More segments",
        "Choose columns…",
        "Audience files",
    ]
    assert "@shop.example" not in text and str(data) not in text

    complete = slack.calls("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == "C0DATA" and complete["thread_ts"] == slack.messages[0]["ts"]
    files = _uploaded(slack)
    png = next(v for k, v in files.items() if k.endswith(".png"))
    table = next(v for k, v in files.items() if k.endswith(".csv"))
    assert png.startswith(b"\x89PNG")
    assert all(k.startswith("orders") for k in files)
    rows = list(csv.DictReader(io.StringIO(table.decode("utf-8-sig"))))
    assert {r["segment_name"] for r in rows} == {s.name for s in expected.segments}
    assert len(rows) == len(expected.table)

    # The run is in the channel's history, under the source's name.
    source_bot.wait_idle()
    assert source_bot.command("history").status == 200
    slack.wait_calls("response_url", timeout=60)
    listing = slack.responses()[-1]["text"]
    assert "orders:" in listing and f"{expected.k} segments" in listing


def test_options_reach_the_source_and_a_second_run_says_what_changed(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    source_bot.command("source customers k=3")
    first = _wait_answer(slack)
    names = [s.name for s in run(demo_csv(), source_bot.runtime.options(k=3)).segments]
    assert len(names) == 3 and all(f"*{n}*" in _text(first) for n in names)
    source_bot.wait_idle()

    source_bot.command('source Customers k=3 columns="Annual Income (k$), Age"')
    slack.wait_calls("files.completeUploadExternal", count=2, timeout=60)
    second = [m for m in _answers(slack) if m.get("blocks")][-1]
    # The same columns again would compare; new columns are a new kind of run.
    assert "Customer segments: customers" in _text(second)


def test_an_unknown_name_gets_one_sentence_listing_the_names_allowed_here(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    answer = source_bot.command("source ordres")
    assert answer.status == 200
    text = answer.text
    assert "“ordres”" in text
    for name in ("broken", "customers", "orders", "vip"):
        assert f"“{name}”" in text
    assert "shop" not in text
    assert text.count(".") == 1 and "Traceback" not in text
    # Kept for another channel: the same sentence, the name is not given away.
    restricted = source_bot.command("source shop").text
    assert "“shop”" in restricted and "C0OTHER" not in restricted
    assert "source called" in restricted
    source_bot.wait_idle()
    assert slack.calls("chat.postMessage") == []


def test_a_source_kept_for_a_channel_is_answered_there(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    answer = source_bot.command("source shop", channel="C0OTHER")
    assert "Working on the source “shop”" in answer.text
    message = _wait_answer(slack, "C0OTHER")
    assert "Customer segments: shop" in _text(message)
    assert _answers(slack, "C0DATA") == []


def test_source_without_a_name_or_with_a_wrong_option_is_explained_in_the_ack(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    assert "`/segment sources` lists them" in source_bot.command("source").text
    assert "k must be a whole number" in source_bot.command("source orders k=many").text
    assert "/segment sources" in source_bot.command("help").text
    assert slack.calls("chat.postMessage") == []


def test_a_broken_source_answers_with_one_sentence_and_never_its_path(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    assert "Working on the source “broken”" in source_bot.command("source broken").text
    sentence = _wait_sentence(slack)
    assert sentence.startswith(":warning:")
    assert SECRET_DIR not in sentence and "/srv" not in sentence and "gone.csv" not in sentence
    assert "Traceback" not in sentence and "Error" not in sentence
    assert sentence.count("\n") == 0
    assert slack.calls("files.completeUploadExternal") == []


def test_a_database_source_never_shows_its_password_in_slack_or_the_log(
    source_bot: HttpBot, slack: FakeSlack, capfd: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("DEBUG")
    try:
        # Whatever the reader says (not yet, refused, ...), nobody sees where it went.
        logging.getLogger("segbot.test").warning(
            "Could not connect to %s", source_bot.settings.sources["vip"].url
        )
        source_bot.command("source vip")
        sentence = _wait_sentence(slack)
        source_bot.wait_idle()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    logged = capfd.readouterr().err
    assert "Could not connect to postgresql://bob:[redacted]@127.0.0.1:1/shop" in logged
    assert PASSWORD not in logged and "vip" in logged
    assert sentence.startswith(":warning:") and sentence.count("\n") == 0
    for secret in (PASSWORD, "bob:", "127.0.0.1", "postgresql://"):
        assert secret not in sentence
    for call in slack.calls():
        assert PASSWORD not in json.dumps(call.params, default=str)


def test_a_retried_command_is_answered_once(source_bot: HttpBot, slack: FakeSlack) -> None:
    body = urllib.parse.urlencode(slack.command_body("source customers k=3")).encode()
    first = source_bot.post_signed(body, "application/x-www-form-urlencoded")
    again = source_bot.post_signed(body, "application/x-www-form-urlencoded")
    assert first.status == again.status == 200
    assert "Working on the source" in first.text and again.text == ""
    _wait_answer(slack)
    source_bot.wait_idle()
    assert len([m for m in _answers(slack) if m.get("blocks")]) == 1


def test_mentions_segment_a_source_in_the_thread_and_list_the_names(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    mention = slack.mention_event("segment orders k=3", channel="C0MKT")
    assert source_bot.event(mention).status == 200
    message = _wait_answer(slack, "C0MKT")
    assert message["thread_ts"] == mention["ts"]
    text = _text(message)
    assert "Customer segments: orders" in text and "Asked for by <@U0ALICE>" in text
    source_bot.wait_idle()

    listing = slack.mention_event("which sources?", channel="C0MKT")
    assert source_bot.event(listing).status == 200
    # Slack's retry of the same event is not answered twice.
    assert source_bot.event(listing, retry_num=1).status == 200
    listed = wait_until(
        lambda: (
            [m for m in _answers(slack, "C0MKT") if m.get("thread_ts") == listing["ts"]] or None
        ),
        30,
        "the list of sources",
    )
    assert "`orders`" in _text(listed[0]) and "`shop`" not in _text(listed[0])

    kept = slack.mention_event("segment shop", channel="C0MKT")
    assert source_bot.event(kept).status == 200
    refused = wait_until(
        lambda: [m for m in _answers(slack, "C0MKT") if m.get("thread_ts") == kept["ts"]] or None,
        30,
        "the refusal",
    )
    assert "“shop”" in _text(refused[0]) and "“orders”" in _text(refused[0])
    source_bot.wait_idle()
    assert len([m for m in _answers(slack, "C0MKT") if m.get("thread_ts") == listing["ts"]]) == 1


def test_more_segments_on_a_source_answer_reads_the_source_again(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    source_bot.command("source customers")
    _wait_answer(slack)
    source_bot.wait_idle()
    first = next(m for m in slack.messages if m.get("blocks"))  # as Slack stored it, with ts
    click = source_bot.interactive(slack.block_actions_body(first, ACTION_MORE, user="U0BOB"))
    assert click.status == 200 and click.seconds < SLACK_ACK_LIMIT_S
    six = wait_until(
        lambda: [m for m in _answers(slack) if m.get("blocks") and m.get("thread_ts")] or None,
        60,
        "the new answer",
    )[0]
    assert six["thread_ts"] == first["ts"]
    assert "6 segments instead of 5, asked by <@U0BOB>" in _text(six)
    names = [s.name for s in run(demo_csv(), source_bot.runtime.options(k=6)).segments]
    assert all(f"*{n}*" in _text(six) for n in names)


def test_source_commands_are_acked_well_inside_slacks_three_seconds(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    seconds = []
    for text in ("sources", "source nope", "source customers k=3", "source orders k=3") * 3:
        answer = source_bot.command(text)
        assert answer.status == 200
        seconds.append(answer.seconds)
    median_ms = statistics.median(seconds) * 1000
    print(f"source acks: median {median_ms:.1f} ms, max {max(seconds) * 1000:.1f} ms")
    assert max(seconds) < SLACK_ACK_LIMIT_S / 2
    source_bot.wait_idle()


def test_the_listener_queues_sources_without_loading_the_heavy_stack(
    slack: FakeSlack, tmp_path: Path, data: Path
) -> None:
    heavy = ("pandas", "sklearn", "matplotlib", "scipy", "duckdb")
    report = (
        "import atexit, sys\n"
        f"heavy = {heavy!r}\n"
        "atexit.register(lambda: print('HEAVY=' + ','.join(sorted({m.split('.')[0] for m in "
        "sys.modules if m.split('.')[0] in heavy})), flush=True))\n"
        "from bot.app import main\n"
        "sys.exit(main())\n"
    )
    env = dict(sources_env(data), SEGBOT_DATA_DIR=str(tmp_path / "data"))
    listener = BotProcess(
        slack, ["--no-worker"], tmp_path / "listener.log", python_args=("-c", report), **env
    )
    try:
        assert "`orders`" in listener.command("sources").text
        assert "Working on the source" in listener.command("source orders").text
        assert "“nope”" in listener.command("source nope").text
        mention = slack.mention_event("segment customers", channel="C0MKT")
        assert listener.event(mention).status == 200
        ledger = SqliteLedger(tmp_path / "data" / "queue.db", lease_s=30, queue_max=50)
        wait_until(lambda: ledger.counts() == (0, 2) or None, 10, "two waiting jobs")
        jobs = json.dumps([record for record in ledger.open_records()], default=str)
        assert "orders" in jobs and str(data) not in jobs  # the name is queued, not the URL
        assert listener.terminate() == 0
        log = listener.log()
        assert "HEAVY=\n" in log, log
        assert PASSWORD not in log
    finally:
        listener.close()


def test_words_under_a_source_answer_point_to_the_name_and_segment_name_answers_there(
    source_bot: HttpBot, slack: FakeSlack
) -> None:
    source_bot.command("source customers")
    _wait_answer(slack)
    source_bot.wait_idle()
    thread = next(m for m in slack.messages if m.get("blocks"))["ts"]

    words = slack.mention_event("try 4 groups", channel="C0DATA", thread_ts=thread)
    assert source_bot.event(words).status == 200
    hint = wait_until(
        lambda: [m for m in _answers(slack) if m.get("thread_ts") == thread] or None,
        60,
        "the hint",
    )
    assert len(hint) == 1 and "“segment customers k=4”" in _text(hint[0])

    again = slack.mention_event("segment customers k=4", channel="C0DATA", thread_ts=thread)
    assert source_bot.event(again).status == 200
    slack.wait_calls("files.completeUploadExternal", count=2, timeout=60)
    four = [m for m in _answers(slack) if m.get("thread_ts") == thread and m.get("blocks")]
    assert len(four) == 1
    names = [s.name for s in run(demo_csv(), source_bot.runtime.options(k=4)).segments]
    assert all(f"*{n}*" in _text(four[0]) for n in names)


def test_socket_mode_lists_and_answers_sources_the_same_way(slack: FakeSlack, data: Path) -> None:
    bot = SocketBot(slack, **sources_env(data))
    try:
        listed = slack.wait_ack(slack.deliver("slash_commands", slack.command_body("sources")))
        assert "`customers`" in listed["payload"]["text"]
        body = slack.command_body("source customers k=3")
        ack = slack.wait_ack(slack.deliver("slash_commands", body))
        assert "Working on the source “customers”" in ack["payload"]["text"]
        message = _wait_answer(slack)
        names = [s.name for s in run(demo_csv(), bot.runtime.options(k=3)).segments]
        assert all(f"*{n}*" in _text(message) for n in names)
    finally:
        bot.close()
