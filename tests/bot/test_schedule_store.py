"""Schedules in the history database, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import HISTORY_FILE, History, normalise_url
from bot.store.schedules import MAX_PER_CHANNEL, ScheduleLimit, Schedules, StoredSchedule
from tests.bot.postgres_server import PostgresServer

SECRET = b"s" * 32
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def schedules(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Schedules]:
    if request.param == "sqlite":
        history = History(f"sqlite:///{tmp_path / HISTORY_FILE}", SECRET)
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        history = History(normalise_url(server.url), SECRET)
    history.migrate()
    history.migrate()
    yield Schedules(history)
    history.close()


def _channel() -> str:
    return "C" + uuid.uuid4().hex[:10].upper()


def _add(
    schedules: Schedules, channel: str, due: datetime = NINE, source: str = "orders"
) -> StoredSchedule:
    return schedules.add(
        channel,
        source,
        "weekly 0 09:00",
        "Europe/Paris",
        alert=0.1,
        quiet=True,
        creator="U0ALICE",
        next_due=due,
    )


def test_a_schedule_comes_back_numbered_within_its_channel(schedules: Schedules) -> None:
    channel, other = _channel(), _channel()
    first = _add(schedules, channel)
    second = _add(schedules, channel, source="vip")
    elsewhere = _add(schedules, other)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    listed = schedules.listed(channel)
    assert [(s.number, s.source) for s in listed] == [(1, "orders"), (2, "vip")]
    got = listed[0]
    assert (got.rule, got.tz, got.alert, got.quiet) == ("weekly 0 09:00", "Europe/Paris", 0.1, True)
    assert got.next_due == NINE and not got.paused and got.failures == 0
    # A deleted number is reused first; the other channel is untouched.
    assert schedules.remove(channel, 1) is not None
    assert schedules.remove(channel, 1) is None
    assert _add(schedules, channel).number == 1
    assert schedules.count(other) == 1


def test_the_creator_is_kept_as_a_keyed_hash_only(schedules: Schedules) -> None:
    channel = _channel()
    _add(schedules, channel)
    from sqlalchemy import text

    with schedules.history.transaction() as session:
        creators = (
            session.execute(
                text("SELECT creator FROM schedules WHERE channel = :c"), {"c": channel}
            )
            .scalars()
            .all()
        )
    assert creators == [schedules.history.pseudonym("U0ALICE")]
    assert "U0ALICE" not in creators[0]


def test_at_most_ten_a_channel_with_one_sentence(schedules: Schedules) -> None:
    channel = _channel()
    for _ in range(MAX_PER_CHANNEL):
        _add(schedules, channel)
    with pytest.raises(ScheduleLimit) as caught:
        _add(schedules, channel)
    assert "unschedule" in str(caught.value) and "\n" not in str(caught.value)
    assert schedules.count(channel) == MAX_PER_CHANNEL


def test_due_advance_once_and_failures_pause(schedules: Schedules) -> None:
    channel = _channel()
    made = _add(schedules, channel)
    assert made.id not in [s.id for s in schedules.due(NINE - timedelta(seconds=1))]
    assert made.id in [s.id for s in schedules.due(NINE)]
    later = NINE + timedelta(days=7)
    assert schedules.advance(made.id, NINE, later)
    assert not schedules.advance(made.id, NINE, later)  # a second ticker: already moved
    assert made.id not in [s.id for s in schedules.due(NINE + timedelta(days=1))]
    assert schedules.failed(made.id) == (1, False)
    schedules.succeeded(made.id)
    assert [schedules.failed(made.id) for _ in range(3)] == [(1, False), (2, False), (3, True)]
    assert made.id not in [s.id for s in schedules.due(later + timedelta(days=30))]
    assert schedules.get(made.id).paused  # type: ignore[union-attr]
