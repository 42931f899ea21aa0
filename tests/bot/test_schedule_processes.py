"""Schedules with the real ``python -m bot`` processes and a one-second tick: two listeners and
two workers on Redis, the worker holding the due run SIGKILLed, and the run answered once; a
restart keeps the schedules and the next run on time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.queue import RedisLedger
from bot.store import History
from bot.store.schedules import Schedules
from bot.ticker import schedule_key
from bot.words.schedule import Rule, next_due
from segmentation import generate_customers
from tests.bot.harness import BotProcess, bot_env
from tests.bot.redis_server import RedisServer
from tests.bot.slack_server import FakeSlack, wait_until
from tests.bot.test_queue import running_owners, worker_children


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    """Every bot process a test starts is killed at the end, whatever happened."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.close()


def _answers(slack: FakeSlack, channel: str) -> list[dict]:
    return [
        c.params
        for c in slack.calls("chat.postMessage")
        if c.ok and c.params.get("channel") == channel and c.params.get("blocks")
    ]


def test_two_listeners_two_workers_a_worker_killed_at_the_due_time_answered_once(
    slack: FakeSlack, tmp_path: Path, redis_server: RedisServer, processes: list[BotProcess]
) -> None:
    customers = tmp_path / "customers.csv"
    generate_customers(20_000).to_csv(customers, index=False)
    data_dir = tmp_path / "data"
    env = {
        "SEGBOT_DATA_DIR": str(data_dir),
        "SEGBOT_QUEUE_URL": redis_server.url,
        "SEGBOT_WORKERS": "1",
        "SEGBOT_JOB_LEASE_S": "3",
        "SEGBOT_SCHEDULE_TICK_S": "1",
        "SEGBOT_SOURCES": json.dumps({"customers": {"url": customers.as_uri()}}),
    }
    listeners = [
        BotProcess(slack, ["--no-worker"], tmp_path / f"listener-{i}.log", **env) for i in (1, 2)
    ]
    workers = [BotProcess(slack, ["worker"], tmp_path / f"worker-{i}.log", **env) for i in (1, 2)]
    processes.extend(listeners + workers)
    # Made through one listener, listed through the other.
    assert (
        listeners[0].command("schedule customers daily at 09:00", channel="C0SCHED").status == 200
    )
    slack.wait_calls("response_url", count=1, timeout=30)
    assert "Schedule 1:" in slack.responses()[0]["text"]
    assert listeners[1].command("schedules", channel="C0SCHED").status == 200
    slack.wait_calls("response_url", count=2, timeout=30)
    assert "*customers*, every day at 09:00 (Europe/Paris)" in slack.responses()[1]["text"]

    # 09:00 in Paris is a while away: the test moves the next run to a few seconds from now.
    settings = Settings.from_env(bot_env(slack, **env), dotenv_path=None)
    history = History.from_settings(settings)
    (made,) = Schedules(history).listed("C0SCHED")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    assert Schedules(history).advance(made.id, made.next_due, due)
    ledger = RedisLedger(redis_server.url, lease_s=3, queue_max=50)
    key = schedule_key(made.id, due)

    # At the due time one worker takes the run and posts the answer; Slack is slow to take its
    # picture, and the worker's whole machine is killed then, mid-job.
    slack.delay("files.getUploadURLExternal", 4.0)

    def holder() -> BotProcess | None:
        owners = running_owners(ledger)
        if not _answers(slack, "C0SCHED"):
            return None
        return next((w for w in workers if owners & worker_children(w)), None)

    killed = wait_until(holder, 40, "a worker that posted the answer, still uploading")
    killed.kill()
    slack.delay("files.getUploadURLExternal", 0.0)
    survivor = next(w for w in workers if w is not killed)

    wait_until(lambda: _answers(slack, "C0SCHED") or None, 90, "the scheduled answer")
    wait_until(lambda: ledger.counts() == (0, 0) or None, 30, "an idle queue")
    time.sleep(3)  # three more ticks of the surviving worker: nothing more is queued
    answers = _answers(slack, "C0SCHED")
    assert len(answers) == 1
    assert answers[0]["text"].startswith(":calendar: Scheduled run 1: *customers*")
    # The next worker attached the picture and file to that answer instead of posting again.
    uploads = slack.wait_calls("files.completeUploadExternal", timeout=30)
    (posted,) = [m for m in slack.messages if m.get("channel") == "C0SCHED" and m.get("blocks")]
    assert len(uploads) == 1 and uploads[0].params.get("thread_ts") == posted["ts"]
    record = ledger.get_record(key)
    assert record is not None and record["state"] == "done" and record["attempts"] == 2
    stored = Schedules(history).get(made.id)
    # The next run is the rule's: 09:00 in Paris, after now.
    assert stored is not None and stored.next_due == next_due(
        Rule("daily", 9, 0), "Europe/Paris", due
    )
    assert stored.failures == 0
    assert "Queued 1 scheduled run(s)" in workers[0].log() + workers[1].log()
    assert survivor.process.poll() is None
    history.close()


def test_after_a_restart_the_schedules_are_listed_and_the_next_run_comes_on_time(
    slack: FakeSlack, tmp_path: Path, processes: list[BotProcess]
) -> None:
    customers = tmp_path / "customers.csv"
    generate_customers(500).to_csv(customers, index=False)
    env = {
        "SEGBOT_DATA_DIR": str(tmp_path / "data"),
        "SEGBOT_SCHEDULE_TICK_S": "1",
        "SEGBOT_SOURCES": json.dumps({"customers": {"url": customers.as_uri()}}),
    }
    first = BotProcess(slack, [], tmp_path / "first.log", **env)
    processes.append(first)
    assert first.command("schedule customers daily at 09:00", channel="C0SCHED").status == 200
    slack.wait_calls("response_url", count=1, timeout=30)
    assert "Schedule 1:" in slack.responses()[0]["text"]
    first.kill()  # the machine dies

    # The schedule is due in a few seconds (as if 09:00 came while the bot was away).
    settings = Settings.from_env(bot_env(slack, **env), dotenv_path=None)
    history = History.from_settings(settings)
    (made,) = Schedules(history).listed("C0SCHED")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    assert Schedules(history).advance(made.id, made.next_due, due)

    again = BotProcess(slack, [], tmp_path / "again.log", **env)
    processes.append(again)
    assert again.command("schedules", channel="C0SCHED").status == 200
    slack.wait_calls("response_url", count=2, timeout=30)
    assert "*customers*, every day at 09:00" in slack.responses()[1]["text"]
    answer = wait_until(lambda: _answers(slack, "C0SCHED") or None, 60, "the scheduled answer")
    arrived = slack.calls("chat.postMessage")[-1].at
    assert len(answer) == 1
    # On time: a tick (1 s) and the work after the due time, not a minute later.
    late = time.time() - (time.monotonic() - arrived) - due.timestamp()
    assert 0 <= late < 30
    history.close()
