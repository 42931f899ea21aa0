"""Schedules, kept in the run-history database beside the runs (SQLite or PostgreSQL).

A schedule is a channel, a number people type, an admin-defined source name, a rule, the time
zone of whoever made it, its alert options and when it is next due (UTC). Its creator is kept
only as an HMAC with the history's key, like customer keys. No pandas here: the ticker and the
listener-side jobs may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import History, StoreUnavailable
from bot.store.models import Schedule
from segmentation.errors import SegmentationError

__all__ = [
    "MAX_PER_CHANNEL",
    "PAUSE_AFTER",
    "ScheduleLimit",
    "Schedules",
    "StoredSchedule",
]

# More than this many schedules in one channel would be noise nobody reads.
MAX_PER_CHANNEL = 10
# Failures in a row that pause a schedule (each is said once in the channel).
PAUSE_AFTER = 3


class ScheduleLimit(SegmentationError):
    """The channel has as many schedules as it may."""

    kind = "schedule_limit"


@dataclass(frozen=True)
class StoredSchedule:
    """One schedule as the bot uses it (the creator's HMAC stays in the database)."""

    id: int
    channel: str
    number: int
    source: str
    rule: str
    tz: str
    alert: float
    quiet: bool
    next_due: datetime
    failures: int
    paused: bool
    created_at: datetime


class Schedules:
    """The schedules table of ``history``'s database (same engine, same key)."""

    def __init__(self, history: History) -> None:
        self.history = history

    def add(
        self,
        channel: str,
        source: str,
        rule: str,
        tz: str,
        *,
        alert: float,
        quiet: bool,
        creator: str,
        next_due: datetime,
        now: datetime | None = None,
    ) -> StoredSchedule:
        """Add a schedule under the channel's lowest free number.

        Raises :class:`ScheduleLimit` when the channel has :data:`MAX_PER_CHANNEL` already.
        """
        now = now or datetime.now(UTC)
        for _ in range(5):  # two people adding at once in one channel: the loser takes the next
            try:
                with self.history.transaction() as session:
                    taken = set(
                        session.scalars(
                            select(Schedule.number).where(Schedule.channel == channel)
                        ).all()
                    )
                    if len(taken) >= MAX_PER_CHANNEL:
                        raise ScheduleLimit(
                            f"This channel has {MAX_PER_CHANNEL} schedules already, the most "
                            "I keep; remove one with `/segment unschedule N` first."
                        )
                    number = min(n for n in range(1, MAX_PER_CHANNEL + 1) if n not in taken)
                    row = Schedule(
                        channel=channel,
                        number=number,
                        source=source[:64],
                        rule=rule,
                        tz=tz[:64],
                        alert=float(alert),
                        quiet=quiet,
                        next_due=next_due,
                        failures=0,
                        paused=False,
                        creator=self.history.pseudonym(creator),
                        created_at=now,
                    )
                    session.add(row)
                    session.flush()
                    return _stored(row)
            except StoreUnavailable as error:
                if not isinstance(error.__cause__, IntegrityError):
                    raise
        raise StoreUnavailable("IntegrityError")

    def listed(self, channel: str) -> list[StoredSchedule]:
        """The channel's schedules by number."""
        with self.history.transaction() as session:
            rows = session.scalars(
                select(Schedule).where(Schedule.channel == channel).order_by(Schedule.number)
            ).all()
            return [_stored(row) for row in rows]

    def get(self, schedule_id: int) -> StoredSchedule | None:
        """One schedule by id (None once deleted)."""
        with self.history.transaction() as session:
            row = session.get(Schedule, schedule_id)
            return _stored(row) if row is not None else None

    def find(self, channel: str, number: int) -> StoredSchedule | None:
        """The channel's schedule number ``number``."""
        with self.history.transaction() as session:
            row = session.scalar(
                select(Schedule).where(Schedule.channel == channel, Schedule.number == number)
            )
            return _stored(row) if row is not None else None

    def remove(
        self, channel: str, number: int | None = None, *, schedule_id: int | None = None
    ) -> StoredSchedule | None:
        """Delete the channel's schedule ``number`` (or the one with ``schedule_id``: a button
        keeps pointing at the schedule it was drawn for, whatever number it had); what was
        deleted (None: no such one)."""
        which = Schedule.id == schedule_id if schedule_id is not None else Schedule.number == number
        with self.history.transaction() as session:
            row = session.scalar(select(Schedule).where(Schedule.channel == channel, which))
            if row is None:
                return None
            gone = _stored(row)
            session.execute(delete(Schedule).where(Schedule.id == row.id))
            return gone

    def due(self, now: datetime) -> list[StoredSchedule]:
        """Schedules not paused whose next run is at or before ``now``, oldest due first."""
        with self.history.transaction() as session:
            rows = session.scalars(
                select(Schedule)
                .where(Schedule.next_due <= now, Schedule.paused.is_(False))
                .order_by(Schedule.next_due, Schedule.id)
            ).all()
            return [_stored(row) for row in rows]

    def advance(self, schedule_id: int, was_due: datetime, next_due: datetime) -> bool:
        """Move the next run from ``was_due`` to ``next_due``; False when another ticker
        moved it first (so each due time is advanced once)."""
        with self.history.transaction() as session:
            done = session.execute(
                update(Schedule)
                .where(Schedule.id == schedule_id, Schedule.next_due == was_due)
                .values(next_due=next_due)
            ).rowcount
        return bool(done)

    def succeeded(self, schedule_id: int) -> None:
        """A run answered: the failures in a row start again from none."""
        with self.history.transaction() as session:
            session.execute(update(Schedule).where(Schedule.id == schedule_id).values(failures=0))

    def failed(self, schedule_id: int) -> tuple[int, bool]:
        """One more failure in a row: (failures, paused now). The third pauses it."""
        with self.history.transaction() as session:
            row = session.get(Schedule, schedule_id, with_for_update=True)
            if row is None:
                return 0, False
            row.failures += 1
            if row.failures >= PAUSE_AFTER:
                row.paused = True
            return row.failures, row.paused

    def resume(self, schedule_id: int, next_due: datetime) -> None:
        """Run a paused schedule again from ``next_due``."""
        with self.history.transaction() as session:
            session.execute(
                update(Schedule)
                .where(Schedule.id == schedule_id)
                .values(paused=False, failures=0, next_due=next_due)
            )

    def count(self, channel: str) -> int:
        """How many schedules the channel has."""
        with self.history.transaction() as session:
            return int(
                session.scalar(select(func.count(Schedule.id)).where(Schedule.channel == channel))
                or 0
            )


def _stored(row: Schedule) -> StoredSchedule:
    return StoredSchedule(
        id=row.id,
        channel=row.channel,
        number=row.number,
        source=row.source,
        rule=row.rule,
        tz=row.tz,
        alert=float(row.alert),
        quiet=bool(row.quiet),
        next_due=_aware(row.next_due),
        failures=int(row.failures),
        paused=bool(row.paused),
        created_at=_aware(row.created_at),
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
