"""Many commands at once while the workers are busy: every ack in time, every job answered."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable

from segmentation import demo_csv
from tests.bot.harness import HttpAnswer, HttpBot
from tests.bot.slack_server import FakeSlack, wait_until

BURST = 30
# Slack's limit for acknowledging a request; past it Slack shows the user an error.
SLACK_ACK_LIMIT_S = 3.0


def test_thirty_commands_while_workers_are_busy(
    make_http_bot: Callable[..., HttpBot], slack: FakeSlack
) -> None:
    bot = make_http_bot(SEGBOT_WORKERS="2")
    # Two shared files occupy both workers: a slow download, then a full segmentation each.
    slack.delay("download", 3.0)
    for name in ("north.csv", "south.csv"):
        file = slack.add_file(name, demo_csv(), channel="C0FILES")
        bot.event(slack.file_share_message_event(file))
    wait_until(lambda: bot.runtime.queue.counts()[0] >= 2 or None, what="both workers busy")

    start = threading.Barrier(BURST)
    answers: dict[int, HttpAnswer] = {}

    def send(i: int) -> None:
        start.wait()
        answers[i] = bot.command("demo k=3", key=f"cmd{i}")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(answers) == BURST
    for answer in answers.values():
        assert answer.status == 200 and "Working on the demo sample" in answer.text
        assert answer.seconds < SLACK_ACK_LIMIT_S

    # Everyone who had to wait was told their place in the ack; the places are 1..30.
    told = _places(answers.values())
    assert sorted(told) == list(range(1, BURST + 1))

    # And every command got its answer in the channel, with its files.
    slack.wait_calls("files.completeUploadExternal", BURST + 2, timeout=120)
    answered = [c for c in slack.calls("chat.postMessage") if c.params["channel"] == "C0DATA"]
    assert len(answered) == BURST
    assert all(c.params.get("blocks") for c in answered)


def _places(answers: Iterable[HttpAnswer]) -> list[int]:
    places = []
    for answer in answers:
        match = re.search(r"number (\d+) in line", answer.text)
        if match:
            places.append(int(match.group(1)))
    return places


def test_a_full_queue_asks_people_to_come_back_later(
    make_http_bot: Callable[..., HttpBot], slack: FakeSlack
) -> None:
    bot = make_http_bot(SEGBOT_WORKERS="1", SEGBOT_QUEUE_MAX="1")
    slack.delay("download", 2.0)
    file = slack.add_file("big-day.csv", demo_csv(), channel="C0FILES")
    bot.event(slack.file_share_message_event(file))
    wait_until(lambda: bot.runtime.queue.counts()[0] >= 1 or None, what="the worker busy")

    waiting = bot.command("demo k=3", key="second")
    refused = bot.command("demo k=3", key="third")
    assert waiting.status == 200 and "Working on" in waiting.text
    assert "number 1 in line" in waiting.text
    # Told at once, in the ack, instead of "working on it" followed by "too busy".
    assert refused.status == 200 and "try again in a few minutes" in refused.text

    def said(key: str) -> str | None:
        for call in slack.calls("response_url"):
            if call.path.endswith("/" + key):
                return str(json.loads(call.body)["text"])
        return None

    slack.wait_calls("files.completeUploadExternal", 2, timeout=60)
    # The refused command never ran: one answer for the file, one for the waiting command.
    assert len(slack.calls("chat.postMessage")) == 2
    assert said("third") is None
