"""The schedule ticker with a clock the test moves: due runs are queued once, a run missed
while the bot was down runs once, and schedules survive a restart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot.config import Settings
from bot.queue import JobQueue
from bot.store import History
from bot.store.models import Schedule
from bot.store.schedules import Schedules, StoredSchedule
from bot.ticker import Ticker, schedule_key
from bot.words.schedule import Rule, next_due
from tests.bot.postgres_server import PostgresServer

MONDAY_NINE_PARIS = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris (UTC+1)


class MovingClock:
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _settings(data_dir: Path) -> Settings:
    return Settings(bot_token="xoxb-test", signing_secret="s", data_dir=data_dir)


@pytest.fixture(params=["sqlite", "postgresql"])
def place(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Settings, JobQueue, Schedules]]:
    settings = _settings(tmp_path)
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        settings = replace(settings, database_url=server.url, secret="a-long-test-secret")
    queue = JobQueue(settings)
    history = History.from_settings(settings)
    history.migrate()
    _clear(history)  # the PostgreSQL cluster lives for the whole session
    yield settings, queue, Schedules(history)
    _clear(history)
    history.close()
    queue.close()


def _clear(history: History) -> None:
    with history.transaction() as session:
        session.execute(delete(Schedule))


def _weekly(schedules: Schedules, due: datetime = MONDAY_NINE_PARIS) -> StoredSchedule:
    return schedules.add(
        "C0DATA",
        "orders",
        Rule("weekly", 9, 0, weekday=0).dump(),
        "Europe/Paris",
        alert=0.05,
        quiet=False,
        creator="U0ALICE",
        next_due=due,
    )


def test_a_due_run_is_queued_once_and_the_next_one_is_a_week_later(
    place: tuple[Settings, JobQueue, Schedules],
) -> None:
    _, queue, schedules = place
    made = _weekly(schedules)
    clock = MovingClock(MONDAY_NINE_PARIS - timedelta(seconds=30))
    ticker = Ticker(queue, schedules, clock)
    assert ticker.tick() == []
    clock.now = MONDAY_NINE_PARIS + timedelta(seconds=20)
    key = schedule_key(made.id, MONDAY_NINE_PARIS)
    assert ticker.tick() == [key]
    # The next tick, and another worker's ticker at the same moment, queue nothing more.
    assert ticker.tick() == []
    assert Ticker(queue, schedules, clock).tick() == []
    job = queue.ledger.get_record(key)["job"]  # type: ignore[index]
    assert job["kind"] == "source" and job["source"] == "orders"
    assert job["schedule"] == {
        "id": made.id,
        "number": 1,
        "due": MONDAY_NINE_PARIS.isoformat(),
        "alert": 0.05,
        "quiet": False,
        "every": "weekly",
    }
    assert schedules.get(made.id).next_due == MONDAY_NINE_PARIS + timedelta(days=7)  # type: ignore[union-attr]


def test_a_run_accepted_before_a_crash_is_not_queued_again(
    place: tuple[Settings, JobQueue, Schedules],
) -> None:
    """The ticker died between queueing and advancing: the next tick only advances."""
    _, queue, schedules = place
    made = _weekly(schedules)
    from bot.ticker import scheduled_job

    key = schedule_key(made.id, MONDAY_NINE_PARIS)
    assert queue.accept(key, scheduled_job(made, MONDAY_NINE_PARIS)) is not None
    ticker = Ticker(queue, schedules, MovingClock(MONDAY_NINE_PARIS + timedelta(minutes=1)))
    assert ticker.tick() == []
    assert schedules.get(made.id).next_due > MONDAY_NINE_PARIS  # type: ignore[union-attr]


def test_runs_missed_while_down_run_once(place: tuple[Settings, JobQueue, Schedules]) -> None:
    _, queue, schedules = place
    made = schedules.add(
        "C0DATA",
        "orders",
        Rule("daily", 9, 0).dump(),
        "UTC",
        alert=0.05,
        quiet=True,
        creator="U0ALICE",
        next_due=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )
    back = datetime(2026, 3, 5, 10, tzinfo=UTC)  # down for three due times
    ticker = Ticker(queue, schedules, MovingClock(back))
    assert len(ticker.tick()) == 1
    assert ticker.tick() == []
    assert schedules.get(made.id).next_due == datetime(2026, 3, 6, 9, tzinfo=UTC)  # type: ignore[union-attr]


def test_paused_schedules_are_not_run(place: tuple[Settings, JobQueue, Schedules]) -> None:
    _, queue, schedules = place
    made = _weekly(schedules)
    for _ in range(3):
        schedules.failed(made.id)
    ticker = Ticker(queue, schedules, MovingClock(MONDAY_NINE_PARIS + timedelta(days=30)))
    assert ticker.tick() == []


def test_a_restart_keeps_the_schedules_and_the_next_run_on_time(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    queue = JobQueue(settings)
    history = History.from_settings(settings)
    history.migrate()
    made = _weekly(Schedules(history))
    history.close()
    queue.close()
    # A new process: new engine, new queue on the same files.
    queue = JobQueue(settings)
    history = History.from_settings(settings)
    history.migrate()
    schedules = Schedules(history)
    try:
        assert [(s.id, s.next_due) for s in schedules.listed("C0DATA")] == [
            (made.id, MONDAY_NINE_PARIS)
        ]
        clock = MovingClock(MONDAY_NINE_PARIS - timedelta(seconds=1))
        assert Ticker(queue, schedules, clock).tick() == []
        clock.now = MONDAY_NINE_PARIS
        assert Ticker(queue, schedules, clock).tick() == [schedule_key(made.id, MONDAY_NINE_PARIS)]
    finally:
        history.close()
        queue.close()


def test_summer_time_keeps_nine_oclock() -> None:
    rule = Rule("weekly", 9, 0, weekday=0)
    after_change = next_due(rule, "Europe/Paris", datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert after_change == datetime(2026, 3, 30, 7, tzinfo=UTC)  # 09:00 in Paris (UTC+2)
