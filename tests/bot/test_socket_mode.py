"""Socket Mode: the same bot, reached over a WebSocket the bot opened itself."""

from __future__ import annotations

import html

from segmentation import demo_csv, run
from tests.bot.harness import SocketBot
from tests.bot.slack_server import APP_TOKEN, FakeSlack, message_text


def test_the_connection_is_opened_with_the_app_token(
    socket_bot: SocketBot, slack: FakeSlack
) -> None:
    opened = slack.calls("apps.connections.open")
    assert opened and opened[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"


def test_a_slash_command_envelope_is_acked_and_answered(
    socket_bot: SocketBot, slack: FakeSlack
) -> None:
    envelope_id = slack.deliver("slash_commands", slack.command_body("demo k=3"))
    ack = slack.wait_ack(envelope_id)
    assert "Working on the demo sample" in ack["payload"]["text"]

    slack.wait_calls("files.completeUploadExternal")
    answer = slack.calls("chat.postMessage")[0].params
    expected = run(demo_csv(), socket_bot.runtime.options(k=3), filename="demo.csv")
    text = html.unescape(message_text(answer))
    assert all(f"*{s.name}*" in text for s in expected.segments)


def test_help_comes_back_in_the_ack(socket_bot: SocketBot, slack: FakeSlack) -> None:
    envelope_id = slack.deliver("slash_commands", slack.command_body("help"))
    assert "/segment demo" in slack.wait_ack(envelope_id)["payload"]["text"]


def test_a_file_drop_envelope_is_acked_and_answered_in_the_thread(
    socket_bot: SocketBot, slack: FakeSlack
) -> None:
    file = slack.add_file("shoppers.csv", demo_csv(), channel="C0MKT")
    first = slack.deliver("events_api", slack.event_body(slack.file_shared_event(file)))
    second = slack.deliver("events_api", slack.event_body(slack.file_share_message_event(file)))
    retry = slack.deliver(
        "events_api", slack.event_body(slack.file_shared_event(file)), retry_attempt=1
    )
    for envelope_id in (first, second, retry):
        slack.wait_ack(envelope_id)

    slack.wait_calls("files.completeUploadExternal")
    socket_bot.wait_idle()
    answers = slack.calls("chat.postMessage")
    assert len(answers) == 1
    share_ts = file["shares"]["public"]["C0MKT"][0]["ts"]
    assert answers[0].params["thread_ts"] == share_ts
    assert "shoppers.csv" in message_text(answers[0].params)
