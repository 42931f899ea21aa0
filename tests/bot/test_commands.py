"""``/segment`` over real HTTP: signed like Slack, answered like Slack would show it."""

from __future__ import annotations

import csv
import html
import io
import logging
import time
import urllib.parse

import pytest

from bot.logs import configure_logging
from segmentation import demo_csv, run
from tests.bot.harness import HttpBot
from tests.bot.slack_server import FakeSlack, message_text


def _answer_message(slack: FakeSlack, channel: str = "C0DATA") -> dict[str, object]:
    """The one channel message with blocks (the answer), once its files have been attached."""
    slack.wait_calls("files.completeUploadExternal")
    answers = [c.params for c in slack.calls("chat.postMessage") if c.status == 200]
    assert len(answers) == 1, answers
    assert answers[0]["channel"] == channel
    return answers[0]


def _uploaded(slack: FakeSlack) -> dict[str, bytes]:
    """Uploaded bytes by file name, for the files completed into a message."""
    by_id = {f["id"]: f["name"] for f in slack.files.values()}
    return {by_id[file_id]: data for file_id, data in slack.uploads.items()}


def test_healthz_answers_ok(http_bot: HttpBot) -> None:
    answer = http_bot.request("GET", "/healthz")
    assert (answer.status, answer.body) == (200, b"ok")


def test_help_explains_usage_in_the_ack_and_posts_nothing(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    answer = http_bot.command("help")
    assert answer.status == 200
    text = answer.text
    for hint in ("/segment demo", "k=4", "columns=", "mode=rfm", ".csv"):
        assert hint in text
    assert slack.calls("chat.postMessage") == []


def test_gibberish_gets_the_usage_politely(http_bot: HttpBot, slack: FakeSlack) -> None:
    answer = http_bot.command("please do the thing")
    assert answer.status == 200
    text = answer.text
    assert "didn't understand" in text and "“please”" in text and "/segment demo" in text
    assert slack.calls("chat.postMessage") == []


def test_demo_posts_the_segments_with_png_and_csv_in_its_thread(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    expected = run(demo_csv(), http_bot.runtime.options(), filename="demo.csv")

    answer = http_bot.command("demo")
    assert answer.status == 200
    assert "Working on the demo sample" in answer.text

    message = _answer_message(slack)
    text = html.unescape(message_text(message))
    assert len(expected.segments) == 5
    for segment in expected.segments:
        assert f":{segment.marker}: *{segment.name}*" in text
    assert expected.headline in text
    assert "Traceback" not in text

    complete = slack.calls("files.completeUploadExternal")[0].params
    posted_ts = slack.messages[0]["ts"]
    assert complete["channel_id"] == "C0DATA" and complete["thread_ts"] == posted_ts

    files = _uploaded(slack)
    png = next(data for name, data in files.items() if name.endswith(".png"))
    table = next(data for name, data in files.items() if name.endswith(".csv"))
    assert png.startswith(b"\x89PNG")
    rows = list(csv.DictReader(io.StringIO(table.decode("utf-8-sig"))))
    assert "segment_name" in rows[0]
    assert {r["segment_name"] for r in rows} == {s.name for s in expected.segments}


def test_options_reach_the_core(http_bot: HttpBot, slack: FakeSlack) -> None:
    http_bot.command("demo k=3")
    text = message_text(_answer_message(slack))
    expected = run(demo_csv(), http_bot.runtime.options(k=3), filename="demo.csv")
    assert len(expected.segments) == 3
    assert all(html.escape(s.name, quote=False) in text for s in expected.segments)


def test_a_problem_with_the_options_comes_back_privately(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    http_bot.command('demo columns="Shoe size"')
    reply = slack.wait_calls("response_url")[0]
    text = urllib.parse.unquote(reply.body.decode())
    assert "Shoe size" in text
    assert "Traceback" not in text and "Error(" not in text
    # Nothing for the whole channel: it was only the asker's mistake.
    assert slack.calls("chat.postMessage") == []


def test_segment_alone_without_any_file_says_how_to_share_one(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    http_bot.command("")
    reply = slack.wait_calls("response_url")[0]
    assert "couldn't find a data file" in reply.body.decode()
    assert slack.calls("files.list")[0].params["channel"] == "C0DATA"


def test_segment_alone_uses_the_latest_file_in_the_channel(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    now = int(time.time())
    slack.add_file("older.csv", b"junk", channel="C0DATA", created=now - 60)
    slack.add_file("shoppers.csv", demo_csv(), channel="C0DATA", created=now - 30)
    slack.add_file("photo.png", b"\x89PNG...", channel="C0DATA", created=now - 10)
    slack.add_file("elsewhere.csv", b"junk", channel="C0OTHER", created=now)

    http_bot.command("k=3")
    text = message_text(_answer_message(slack))
    assert "shoppers.csv" in text
    assert [c.path.rsplit("/", 1)[-1] for c in slack.calls("download")] == ["shoppers.csv"]


def test_forged_signature_is_refused(http_bot: HttpBot, slack: FakeSlack) -> None:
    body = urllib.parse.urlencode(slack.command_body("demo")).encode()
    answer = http_bot.post_signed(body, "application/x-www-form-urlencoded", secret="not-it")
    assert answer.status == 401
    assert slack.calls("chat.postMessage") == [] and slack.calls("response_url") == []


def test_a_ten_minute_old_request_is_refused(http_bot: HttpBot, slack: FakeSlack) -> None:
    body = urllib.parse.urlencode(slack.command_body("demo")).encode()
    old = int(time.time()) - 600
    answer = http_bot.post_signed(body, "application/x-www-form-urlencoded", timestamp=old)
    assert answer.status == 401
    assert slack.calls("chat.postMessage") == []


def test_rate_limits_are_waited_out(http_bot: HttpBot, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", 1, status=429, retry_after=1)
    http_bot.command("demo k=3")
    _answer_message(slack)
    attempts = slack.calls("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After was honoured


def test_server_errors_are_retried(http_bot: HttpBot, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", 2, status=500)
    http_bot.command("demo k=3")
    _answer_message(slack)
    assert [c.status for c in slack.calls("chat.postMessage")] == [500, 500, 200]


def test_not_being_in_the_channel_is_explained(http_bot: HttpBot, slack: FakeSlack) -> None:
    slack.not_in_channels.add("C0DATA")
    http_bot.command("demo k=3")
    reply = slack.wait_calls("response_url")[-1]
    assert "/invite @segbot" in reply.body.decode()


def test_debug_logs_never_show_the_token(
    http_bot: HttpBot, slack: FakeSlack, capfd: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("DEBUG")
    try:
        http_bot.command("demo k=3")
        _answer_message(slack)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    logged = capfd.readouterr().err
    assert "chat.postMessage" in logged  # the Web API calls were logged in detail...
    assert slack.bot_token not in logged  # ...without the token
    assert "Traceback" not in logged
