"""Files dropped in a channel: answered once, in their thread, or left alone."""

from __future__ import annotations

import html

from segmentation import run
from tests.bot.harness import HttpBot
from tests.bot.slack_server import BOT_USER_ID, FakeSlack, message_text, wait_until


def _drop(bot: HttpBot, file: dict[str, object]) -> None:
    """Slack's two events for one upload, in the order Slack usually sends them."""
    assert bot.event(bot.slack.file_shared_event(file)).status == 200
    assert bot.event(bot.slack.file_share_message_event(file)).status == 200


def _thread_of(file: dict[str, object]) -> str:
    shares = file["shares"]["public"]  # type: ignore[index]
    return str(next(iter(shares.values()))[0]["ts"])


def _quiet_for_a_moment(bot: HttpBot) -> None:
    """Wait until the bot has nothing running or waiting (bounded), so 'nothing' is final."""
    bot.wait_idle()


def test_mall_customers_drop_is_answered_in_its_thread_with_the_core_names(
    http_bot: HttpBot, slack: FakeSlack, mall_customers: bytes
) -> None:
    file = slack.add_file("Mall_Customers.csv", mall_customers, channel="C0MKT")
    _drop(http_bot, file)

    slack.wait_calls("files.completeUploadExternal")
    expected = run(mall_customers, http_bot.runtime.options(), filename="Mall_Customers.csv")
    answers = [c.params for c in slack.calls("chat.postMessage") if c.status == 200]
    assert len(answers) == 1
    answer = answers[0]
    assert (answer["channel"], answer["thread_ts"]) == ("C0MKT", _thread_of(file))
    text = html.unescape(message_text(answer))
    names = [s.name for s in expected.segments]
    assert len(names) == 5
    for segment in expected.segments:
        assert f":{segment.marker}: *{segment.name}* — {segment.size} customers" in text
    # Personal data never leaves the core: no customer ids or genders in the message.
    assert "CustomerID" not in text

    complete = slack.calls("files.completeUploadExternal")[0].params
    assert (complete["channel_id"], complete["thread_ts"]) == ("C0MKT", _thread_of(file))
    download = slack.calls("download")[0]
    assert download.headers["Authorization"] == f"Bearer {slack.bot_token}"


def test_both_events_and_a_retry_give_exactly_one_answer(
    http_bot: HttpBot, slack: FakeSlack, mall_customers: bytes
) -> None:
    file = slack.add_file("customers.csv", mall_customers, channel="C0MKT")
    message = slack.file_share_message_event(file)
    http_bot.event(message)
    http_bot.event(slack.file_shared_event(file))
    # Slack thought the first delivery was lost and sends it again.
    assert http_bot.event(message, retry_num=1).status == 200
    assert http_bot.event(slack.file_shared_event(file), retry_num=2).status == 200

    slack.wait_calls("files.completeUploadExternal")
    _quiet_for_a_moment(http_bot)
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("download")) == 1
    assert len(slack.calls("files.completeUploadExternal")) == 1


def test_junk_named_csv_gets_an_explanation_in_its_thread(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    junk = bytes(range(256)) * 8
    file = slack.add_file("export.csv", junk, channel="C0MKT")
    _drop(http_bot, file)

    posted = slack.wait_calls("chat.postMessage")[0].params
    assert posted["thread_ts"] == _thread_of(file)
    text = posted["text"]
    assert text.startswith(":warning:")
    assert "Traceback" not in text and "Error" not in text
    _quiet_for_a_moment(http_bot)
    assert slack.calls("files.getUploadURLExternal") == []


def test_an_image_is_left_alone(http_bot: HttpBot, slack: FakeSlack) -> None:
    file = slack.add_file("team-photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, channel="C0MKT")
    _drop(http_bot, file)
    # The other event for the same upload is answered; wait for its files.info to be sure the
    # bot has looked at the image before asserting that it said nothing.
    wait_until(lambda: len(slack.calls("files.info")) >= 1 or None, what="files.info")
    _quiet_for_a_moment(http_bot)
    chat = [c for c in slack.calls() if c.method.startswith("chat.")]
    assert chat == []
    assert slack.calls("download") == []


def test_an_oversized_file_is_refused_before_downloading(
    make_http_bot: object, slack: FakeSlack
) -> None:
    bot = make_http_bot(SEGBOT_MAX_FILE_MB="1")  # type: ignore[operator]
    file = slack.add_file("everyone.csv", b"a,b\n1,2\n", channel="C0MKT", size=3 * 1024 * 1024)
    _drop(bot, file)

    posted = slack.wait_calls("chat.postMessage")[0].params
    assert posted["thread_ts"] == _thread_of(file)
    assert "everyone.csv" in posted["text"] and "1.0 MB" in posted["text"]
    _quiet_for_a_moment(bot)
    assert slack.calls("download") == []


def test_a_sign_in_page_instead_of_the_file_names_the_missing_scope(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    slack.html_downloads = True
    file = slack.add_file("customers.csv", b"age,income\n1,2\n", channel="C0MKT")
    _drop(http_bot, file)

    posted = slack.wait_calls("chat.postMessage")[0].params
    assert posted["thread_ts"] == _thread_of(file)
    assert "files:read" in posted["text"] and "set-up problem" in posted["text"]


def test_download_rate_limits_are_retried(
    http_bot: HttpBot, slack: FakeSlack, mall_customers: bytes
) -> None:
    slack.fail_next("download", 1, status=429, retry_after=1)
    file = slack.add_file("customers.csv", mall_customers, channel="C0MKT")
    http_bot.event(slack.file_share_message_event(file))

    slack.wait_calls("files.completeUploadExternal")
    assert [c.status for c in slack.calls("download")] == [429, 200]


def test_the_bots_own_uploads_are_not_segmented_again(http_bot: HttpBot, slack: FakeSlack) -> None:
    own = slack.add_file("demo-segments.csv", b"age,income\n1,2\n", channel="C0MKT")
    own["user"] = BOT_USER_ID
    event = slack.file_shared_event(own)
    event["user_id"] = "U0SOMEONE"  # even if the event does not say so, files.info does
    http_bot.event(event)
    wait_until(lambda: slack.calls("files.info") or None, what="files.info")
    _quiet_for_a_moment(http_bot)
    assert slack.calls("download") == [] and slack.calls("chat.postMessage") == []
