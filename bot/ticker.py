"""The schedule ticker: every ``SEGBOT_SCHEDULE_TICK_S`` seconds, queue what is due.

Huey's periodic task runs :meth:`Ticker.tick` in a worker. Each due schedule is accepted into
the same ledger as files and commands under the key ``schedule:{id}:{due}``, so however many
workers tick at once, and whatever restarts in between, each due run is queued (and answered)
once; then its next run is moved past now. A bot that was down over several due times runs
once when it is back (the key of the oldest missed time), not once per missed slot.

Huey checks periodic tasks once a minute; :class:`TickingConsumer` checks at the tick instead,
so a short tick works in tests. The clock is a parameter, so tests move time instead of waiting.
Only SQLAlchemy and the queue here: no pandas.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from huey.consumer import Consumer

from bot.config import Settings
from bot.queue import JobQueue, QueueFull, QueueUnavailable
from bot.store import History, StoreUnavailable
from bot.store.schedules import Schedules, StoredSchedule
from bot.words.schedule import Rule, next_due

__all__ = [
    "Clock",
    "TickingConsumer",
    "Ticker",
    "register_ticker",
    "schedule_key",
    "scheduled_job",
    "utc_now",
]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock, in UTC."""
    return datetime.now(UTC)


def schedule_key(schedule_id: int, due: datetime | None, *, now_key: str = "") -> str:
    """The ledger key of one run of a schedule: its due time, or for "Run now" the click."""
    when = due.astimezone(UTC).isoformat() if due is not None else f"now:{now_key}"
    return f"schedule:{schedule_id}:{when}"


def scheduled_job(schedule: StoredSchedule, due: datetime | None) -> dict[str, Any]:
    """The queued job of one run: the named source, answered in the schedule's channel."""
    rule = Rule.load(schedule.rule)
    return {
        "kind": "source",
        "source": schedule.source,
        "channel": schedule.channel,
        "schedule": {
            "id": schedule.id,
            "number": schedule.number,
            "due": due.astimezone(UTC).isoformat() if due is not None else None,
            "alert": schedule.alert,
            "quiet": schedule.quiet,
            "every": rule.every,
        },
    }


class Ticker:
    """Finds due schedules and queues each run once (see the module's docstring)."""

    def __init__(
        self,
        queue: JobQueue,
        schedules: Schedules,
        clock: Clock = utc_now,
    ) -> None:
        self.queue = queue
        self.schedules = schedules
        self.clock = clock

    def tick(self) -> list[str]:
        """Queue every due run; the keys queued by this tick (repeats are not)."""
        now = self.clock()
        queued: list[str] = []
        try:
            due = self.schedules.due(now)
        except StoreUnavailable as error:
            logger.warning("Schedules can't be read now (%s); trying at the next tick", error)
            return queued
        for schedule in due:
            key = schedule_key(schedule.id, schedule.next_due)
            try:
                place = self.queue.accept(key, scheduled_job(schedule, schedule.next_due))
            except QueueFull:
                # Not advanced: the next tick tries again, when there is room.
                logger.warning("The queue is full; schedule %s waits a tick", schedule.id)
                continue
            except QueueUnavailable:
                logger.warning("The queue's store is unreachable; schedules wait a tick")
                return queued
            if place is not None:
                queued.append(key)
            following = next_due(Rule.load(schedule.rule), schedule.tz, now)
            try:
                self.schedules.advance(schedule.id, schedule.next_due, following)
            except StoreUnavailable as error:
                # Accepted already: the next tick finds the same key and only advances.
                logger.warning("Could not advance schedule %s: %s", schedule.id, error)
        if queued:
            logger.info("Queued %s scheduled run(s): %s", len(queued), ", ".join(queued))
        return queued


_histories: dict[tuple[int, str], History] = {}
_lock = threading.Lock()


def _schedules(settings: Settings) -> Schedules:
    """This process's schedules table, migrated on first use (a forked worker builds its own)."""
    from bot.store import history_url

    key = (os.getpid(), history_url(settings))
    with _lock:
        history = _histories.get(key)
        if history is None:
            history = History.from_settings(settings)
            history.migrate()
            _histories[key] = history
        return Schedules(history)


def register_ticker(queue: JobQueue, clock: Clock = utc_now) -> None:
    """Make the tick a Huey periodic task of ``queue`` (every tick of a
    :class:`TickingConsumer`)."""
    settings = queue.settings

    def schedule_tick() -> None:
        try:
            schedules = _schedules(settings)
        except Exception as error:  # the database or the key folder is away: next tick
            logger.warning("The schedules can't be read now: %s", error)
            return
        Ticker(queue, schedules, clock).tick()

    schedule_tick.__module__ = "bot.ticker"
    # Always valid: the consumer below decides how often it runs.
    queue.huey.periodic_task(_always, name="segbot_schedule_tick")(schedule_tick)


def _always(_moment: datetime) -> bool:
    return True


class TickingConsumer(Consumer):
    """Huey's consumer whose scheduler queues the periodic tasks every ``tick_s`` seconds
    (Huey's own checks once a minute, on the minute)."""

    def __init__(self, huey: Any, *, tick_s: float, **options: Any) -> None:
        self.tick_s = tick_s
        super().__init__(huey, **options)

    def _create_scheduler(self) -> Any:
        scheduler = super()._create_scheduler()
        scheduler.periodic_task_seconds = self.tick_s
        return scheduler
