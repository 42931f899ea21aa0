"""Schedules over real loopback HTTP against the fake Slack: the commands, the words, the list
with its buttons, and users.info's refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.jobs.schedules import user_zone
from bot.store import History
from bot.store.schedules import MAX_PER_CHANNEL, Schedules, StoredSchedule
from bot.words.schedule import Rule
from tests.bot.harness import HttpBot
from tests.bot.slack_server import FakeSlack, message_text, wait_until


def _store(bot: HttpBot) -> tuple[History, Schedules]:
    history = History.from_settings(bot.settings)
    history.migrate()
    return history, Schedules(history)


def _add(schedules: Schedules, channel: str = "C0DATA", source: str = "orders") -> StoredSchedule:
    return schedules.add(
        channel,
        source,
        Rule("weekly", 9, 0, weekday=0).dump(),
        "Europe/Paris",
        alert=0.1,
        quiet=True,
        creator="U0ALICE",
        next_due=datetime.now(UTC) + timedelta(days=2),
    )


def _response(slack: FakeSlack, count: int) -> dict:
    slack.wait_calls("response_url", count=count, timeout=30)
    return slack.responses()[count - 1]


def test_an_unknown_source_gets_one_sentence(slack: FakeSlack, http_bot: HttpBot) -> None:
    answer = http_bot.command("schedule orders weekly on monday at 09:00")
    assert answer.status == 200
    assert "I don't know a source called “orders”" in answer.text
    assert "SEGBOT_SOURCES" in answer.text and "\n" not in answer.text
    http_bot.wait_idle()
    assert slack.calls("response_url") == []


def test_a_bad_schedule_is_answered_in_the_ack(slack: FakeSlack, http_bot: HttpBot) -> None:
    answer = http_bot.command("schedule orders weekly at 25:00")
    assert answer.status == 200
    assert "Say which day of the week" in answer.text or "25:00" in answer.text
    http_bot.wait_idle()
    assert slack.calls("response_url") == []


def test_the_list_shows_next_runs_and_its_buttons_work(
    slack: FakeSlack, make_http_bot: Callable[..., HttpBot], tmp_path: Path
) -> None:
    from segmentation import demo_csv

    export = tmp_path / "customers.csv"
    export.write_bytes(demo_csv())
    http_bot = make_http_bot(SEGBOT_SOURCES=json.dumps({"orders": {"url": export.as_uri()}}))
    history, schedules = _store(http_bot)
    try:
        first = _add(schedules)
        _add(schedules, source="vip")
        _add(schedules, channel="C0ELSEWHERE")
        assert http_bot.command("schedules").status == 200
        listed = _response(slack, 1)
        text = listed["text"]
        assert "1." in text and "orders" in text and "every Monday at 09:00" in text
        assert "vip" in text and "(2 of at most 10)" in text
        assert f"<!date^{int(first.next_due.timestamp())}^" in text
        assert "quiet: posts only with an alert" in text and "alert at 10%" in text
        buttons = [
            e["action_id"]
            for b in listed["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        ]
        assert buttons == [
            "segbot_schedule_run_1",
            "segbot_schedule_delete_1",
            "segbot_schedule_run_2",
            "segbot_schedule_delete_2",
        ]
        # Delete schedule 2 from the list: the list is redrawn without it.
        message = {**listed, "channel": "C0DATA", "ts": "1.000001"}
        body = slack.block_actions_body(message, "segbot_schedule_delete_2")
        assert http_bot.interactive(body).status == 200
        redrawn = _response(slack, 2)
        assert redrawn.get("replace_original") is True
        assert "Schedule 2 (vip, every Monday at 09:00) is deleted" in redrawn["text"]
        assert "vip" not in redrawn["text"].split("deleted.")[1]
        assert [s.number for s in schedules.listed("C0DATA")] == [1]
        # The same button pressed again (a list open in two windows): said, nothing else goes.
        body = slack.block_actions_body(message, "segbot_schedule_delete_2")
        assert http_bot.interactive(body).status == 200
        assert "That schedule was deleted already." in _response(slack, 3)["text"]
        assert [s.number for s in schedules.listed("C0DATA")] == [1]
        # Run now: the run is queued like a due one, keyed by the click, and said.
        body = slack.block_actions_body(message, "segbot_schedule_run_1")
        assert http_bot.interactive(body).status == 200
        said = _response(slack, 4)
        assert "Running schedule 1 (orders) now" in said["text"]
        keys = _schedule_keys(http_bot)
        assert len(keys) == 1 and keys[0].startswith(f"schedule:{first.id}:now:")
        queued = http_bot.runtime.queue.ledger.get_record(keys[0])
        assert queued is not None and queued["job"]["schedule"]["due"] is None
        # The quiet schedule answers all the same: someone asked for it.
        slack.wait_calls("files.completeUploadExternal", timeout=60)
        http_bot.wait_idle()
        (answer,) = [m for m in _channel_answers(slack) if m.get("blocks")]
        assert message_text(answer).startswith(":calendar: Scheduled run 1: *orders*")
        # /segment unschedule 1, then the list says how to add one.
        http_bot.command("unschedule 1")
        assert (
            "Schedule 1 (orders, every Monday at 09:00) is deleted" in _response(slack, 5)["text"]
        )
        http_bot.command("unschedule 1")
        assert "This channel has no schedule 1" in _response(slack, 6)["text"]
        assert schedules.count("C0ELSEWHERE") == 1
    finally:
        history.close()


def _schedule_keys(bot: HttpBot) -> list[str]:
    """Keys of scheduled runs in the ledger (done or not: the queue's own SQLite file)."""
    import sqlite3

    def probe() -> list[str] | None:
        with sqlite3.connect(bot.settings.data_dir / "queue.db") as db:
            rows = db.execute("SELECT key FROM segbot_job WHERE key LIKE 'schedule:%'").fetchall()
        return [k for (k,) in rows] or None

    return list(wait_until(probe, 10, "a scheduled run in the ledger"))


def test_a_full_channel_says_so_in_one_sentence(
    slack: FakeSlack, make_http_bot: Callable[..., HttpBot], tmp_path: Path
) -> None:
    bot = make_http_bot(SEGBOT_SOURCES=json.dumps({"orders": {"url": tmp_path.as_uri()}}))
    history, schedules = _store(bot)
    try:
        for _ in range(MAX_PER_CHANNEL):
            _add(schedules)
        bot.command("schedules")
        assert "(10 of at most 10)" in _response(slack, 1)["text"]
        bot.command("schedule orders daily at 07:00")
        full = _response(slack, 2)["text"]
        assert "This channel has 10 schedules already" in full and "unschedule" in full
        assert schedules.count("C0DATA") == MAX_PER_CHANNEL
    finally:
        history.close()


def test_words_to_the_bot_ask_in_the_thread(slack: FakeSlack, http_bot: HttpBot) -> None:
    event = slack.mention_event("every monday at 9 for orders", channel="C0DATA")
    assert http_bot.event(event).status == 200
    slack.wait_calls("chat.postMessage", timeout=30)
    http_bot.wait_idle()
    replies = [message_text(c.params) for c in slack.calls("chat.postMessage")]
    assert len(replies) == 1 and "I don't know a source called “orders”" in replies[0]
    assert slack.calls("chat.postMessage")[0].params.get("thread_ts") == event["ts"]
    # A schedule without a source: one sentence, once even for Slack's retry.
    event = slack.mention_event("every monday at 9", channel="C0DATA")
    http_bot.event(event)
    http_bot.event(event, retry_num=1)
    slack.wait_calls("chat.postMessage", count=2, timeout=30)
    http_bot.wait_idle()
    texts = [message_text(c.params) for c in slack.calls("chat.postMessage")]
    assert sum("Which source should I segment?" in t for t in texts) == 1


def test_users_info_gives_the_zone_and_its_refusals_fall_back_to_utc(slack: FakeSlack) -> None:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    assert user_zone(client, "U0ALICE") == ("Europe/Paris", True)
    assert user_zone(client, "U0NOBODY") == ("UTC", False)
    slack.users_scope = False
    assert user_zone(client, "U0ALICE") == ("UTC", False)
    answer = slack.handle_api("users.info", {"user": "U0ALICE"}, slack.bot_token)
    assert answer == {
        "ok": False,
        "error": "missing_scope",
        "needed": "users:read",
        "provided": answer["provided"],
    }
    assert [c.ok for c in slack.calls("users.info")] == [True, False, False]


def _cut(orders: bytes, last_day: str) -> bytes:
    """CDNOW's order log as it stood at the end of ``last_day`` (an export made that night)."""
    lines = orders.decode().splitlines(keepends=True)
    return (
        lines[0] + "".join(line for line in lines[1:] if line.split(",")[1] <= last_day)
    ).encode()


def test_a_monthly_schedule_answers_in_the_channel_and_alerts_the_next_month(
    slack: FakeSlack, make_http_bot: Callable[..., HttpBot], tmp_path: Path
) -> None:
    """Made in words of Slack, run by the ticker with a moved clock: the first run is the
    usual answer, headed by its schedule; a month later the answer leads with the alert."""
    from bot.ticker import Ticker
    from tests.support import shared_file

    orders = shared_file("cdnow_orders.csv").read_bytes()
    export = tmp_path / "orders.csv"
    export.write_bytes(_cut(orders, "1997-12-31"))
    bot = make_http_bot(SEGBOT_SOURCES=json.dumps({"orders": {"url": export.as_uri()}}))
    assert bot.command("schedule orders monthly on 1 at 09:00").status == 200
    added = _response(slack, 1)["text"]
    assert "Schedule 1: I'll segment *orders* here on the 1st of each month at 09:00" in added
    assert "your time zone (Europe/Paris)" in added
    history, schedules = _store(bot)
    try:
        (made,) = schedules.listed("C0DATA")
        assert made.next_due.astimezone(ZoneInfo("Europe/Paris")).strftime("%d %H:%M") == "01 09:00"
        clock = _Clock(made.next_due + timedelta(seconds=5))
        ticker = Ticker(bot.runtime.queue, schedules, clock)
        assert len(ticker.tick()) == 1
        slack.wait_calls("files.completeUploadExternal", count=1, timeout=120)
        bot.wait_idle()
        first = [m for m in _channel_answers(slack) if m.get("blocks")]
        assert len(first) == 1
        assert message_text(first[0]).startswith(":calendar: Scheduled run 1: *orders*")
        # A month later the export has January's orders too.
        export.write_bytes(_cut(orders, "1998-01-31"))
        clock.now = schedules.get(made.id).next_due + timedelta(seconds=5)  # type: ignore[union-attr]
        assert len(ticker.tick()) == 1
        assert ticker.tick() == []
        slack.wait_calls("files.completeUploadExternal", count=2, timeout=120)
        bot.wait_idle()
        answers = [m for m in _channel_answers(slack) if m.get("blocks")]
        assert len(answers) == 2
        second = message_text(answers[1])
        lead = second.splitlines()[0]
        assert lead.startswith(":rotating_light: *") and "since last month" in lead
        assert "slipped to" in lead and "of past spend)" in lead
        assert "Since orders" in second  # the movement lines the history gives, as for files
    finally:
        history.close()


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _channel_answers(slack: FakeSlack) -> list[dict]:
    return [
        c.params
        for c in slack.calls("chat.postMessage")
        if c.ok and c.params.get("channel") == "C0DATA"
    ]


def test_a_failing_source_says_one_sentence_a_run_and_the_third_pauses(
    slack: FakeSlack, make_http_bot: Callable[..., HttpBot], tmp_path: Path
) -> None:
    from bot.ticker import Ticker

    gone = tmp_path / "secret-folder" / "gone.csv"
    bot = make_http_bot(SEGBOT_SOURCES=json.dumps({"orders": {"url": gone.as_uri()}}))
    history, schedules = _store(bot)
    try:
        made = _add(schedules)
        clock = _Clock(made.next_due)
        ticker = Ticker(bot.runtime.queue, schedules, clock)
        for run in range(1, 4):
            clock.now = schedules.get(made.id).next_due  # type: ignore[union-attr]
            assert len(ticker.tick()) == 1
            slack.wait_calls("chat.postMessage", count=run, timeout=60)
            bot.wait_idle()
        texts = [message_text(m) for m in _channel_answers(slack)]
        assert len(texts) == 3
        assert all(t.startswith(":warning: Scheduled run 1 (orders) failed:") for t in texts)
        assert all("secret-folder" not in t for t in texts)  # where the data lives is not said
        assert "try again at its next run" in texts[0] and "try again" in texts[1]
        assert "3 failures in a row, so I paused schedule 1" in texts[2]
        # Paused: nothing is queued however late it gets, and the list says so.
        clock.now += timedelta(days=60)
        assert ticker.tick() == []
        bot.command("schedules")
        listed = _response(slack, 1)
        assert "paused after 3 failures in a row" in listed["text"]
        # Run now starts it again: it runs (and fails once more, said once), and is not paused.
        message = {**listed, "channel": "C0DATA", "ts": "1.000001"}
        bot.interactive(slack.block_actions_body(message, "segbot_schedule_run_1"))
        slack.wait_calls("chat.postMessage", count=4, timeout=60)
        bot.wait_idle()
        texts = [message_text(m) for m in _channel_answers(slack)]
        assert len(texts) == 4 and "try again at its next run" in texts[3]
        again = schedules.get(made.id)
        assert again is not None and not again.paused and again.failures == 1
    finally:
        history.close()


def test_a_quiet_schedule_without_an_alert_posts_nothing_but_remembers(
    slack: FakeSlack, make_http_bot: Callable[..., HttpBot], tmp_path: Path
) -> None:
    from bot.ticker import Ticker
    from segmentation import demo_csv

    export = tmp_path / "customers.csv"
    export.write_bytes(demo_csv())
    bot = make_http_bot(SEGBOT_SOURCES=json.dumps({"orders": {"url": export.as_uri()}}))
    history, schedules = _store(bot)
    try:
        made = _add(schedules)  # quiet, alert at 10%
        ticker = Ticker(bot.runtime.queue, schedules, _Clock(made.next_due))
        assert len(ticker.tick()) == 1
        wait_until(lambda: history.runs("C0DATA") or None, 60, "the run remembered")
        bot.wait_idle()
        # The same customers a week later: no alert, so nothing is posted, and it is remembered.
        ticker.clock = _Clock(schedules.get(made.id).next_due)  # type: ignore[union-attr]
        assert len(ticker.tick()) == 1
        wait_until(lambda: len(history.runs("C0DATA")) == 2 or None, 60, "two runs remembered")
        bot.wait_idle()
        assert _channel_answers(slack) == []
        assert schedules.get(made.id).failures == 0  # type: ignore[union-attr]
    finally:
        history.close()


def test_schedules_in_words_are_listed_in_the_thread_with_their_buttons(
    slack: FakeSlack, http_bot: HttpBot
) -> None:
    history, schedules = _store(http_bot)
    try:
        _add(schedules)
        event = slack.mention_event("my schedules", channel="C0DATA")
        assert http_bot.event(event).status == 200
        (call,) = slack.wait_calls("chat.postMessage", timeout=30)
        http_bot.wait_idle()
        assert call.params.get("thread_ts") == event["ts"]
        assert "*orders*, every Monday at 09:00" in message_text(call.params)
        assert "segbot_schedule_run_1" in json.dumps(call.params.get("blocks"))
    finally:
        history.close()
