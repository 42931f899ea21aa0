"""The ledger of accepted jobs and their claims: the record that survives a worker's death.

Huey deletes a task from its store when a worker takes it, so a worker that dies mid-job would
lose it. The ledger, kept in the same store, is the record that survives: every accepted job
is written there first (which is also the de-duplication of Slack's events and retries), a
worker claims a job with a lease it keeps renewing, and a periodic sweep
(:mod:`bot.queue.sweeper`) puts back in the queue every job whose lease ran out or whose task
went missing. Before posting, a worker checks that it still holds the claim and that nobody
posted the answer already. The stores behind this interface are in :mod:`bot.queue.stores`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from segmentation.errors import SegmentationError

__all__ = [
    "ClaimLost",
    "Job",
    "Ledger",
    "QueueFull",
    "QueueUnavailable",
    "STORE_ERRORS",
    "reachable",
    "store_errors",
    "unavailable_text",
]

logger = logging.getLogger(__name__)

# A job is plain data (its ``kind`` names the handler that runs it), stored as JSON.
Job = dict[str, Any]

# A queued job whose Huey task is missing this long (a crash between accepting and queueing,
# or between Huey's dequeue and our claim) is queued again.
MISSING_TASK_GRACE_S = 5.0


class QueueFull(SegmentationError):
    """Too many jobs are already waiting; the person should try again a little later."""

    kind = "busy"


class QueueUnavailable(SegmentationError):
    """The queue's store (Redis) cannot be reached: no new work can be accepted right now."""

    kind = "unavailable"


class ClaimLost(Exception):
    """This worker no longer holds the job (its lease ran out and another worker took it)."""


def unavailable_text() -> str:
    """The one sentence people see while the queue's store is unreachable."""
    return (
        "I can't take new work right now because my job queue is unreachable; "
        "please try again in a few minutes."
    )


def store_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the queue's store cannot be reached right now"."""
    errors: list[type[BaseException]] = [sqlite3.OperationalError]
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
        errors += [redis.exceptions.LockError, redis.exceptions.BusyLoadingError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


STORE_ERRORS = store_errors()


@contextmanager
def reachable() -> Iterator[None]:
    """Turn a store outage into :class:`QueueUnavailable` with its sentence."""
    try:
        yield
    except STORE_ERRORS as error:
        logger.warning("The job queue's store is unreachable: %s", type(error).__name__)
        raise QueueUnavailable(unavailable_text()) from None


class Ledger(ABC):
    """Accepted jobs, their claims and the live workers, in the queue's store.

    Records are small JSON objects keyed by the job key (``file:F123``, ``command:...``).
    Every change happens under the store's exclusive lock, so several listener and worker
    processes on several machines agree on who answers what.
    """

    def __init__(self, lease_s: float, queue_max: int) -> None:
        self.lease_s = lease_s
        self.queue_max = queue_max

    # -- backend primitives (SQLite or Redis)

    @abstractmethod
    def locked(self) -> AbstractContextManager[None]:
        """Exclusive access across every process sharing the store (re-entrant)."""

    @abstractmethod
    def get(self, key: str) -> dict[str, Any] | None:
        """The record for ``key``."""

    @abstractmethod
    def put(self, record: dict[str, Any]) -> None:
        """Store ``record`` under its key."""

    @abstractmethod
    def open_records(self) -> list[dict[str, Any]]:
        """Records not done, oldest first."""

    @abstractmethod
    def purge_done(self, before: float) -> int:
        """Forget jobs done before ``before``."""

    @abstractmethod
    def next_seq(self) -> int:
        """The next acceptance number."""

    @abstractmethod
    def set_workers(self, name: str, slots: int, until: float) -> None:
        """Register ``slots`` workers under ``name`` until ``until`` (epoch seconds)."""

    @abstractmethod
    def worker_slots(self, now: float) -> int:
        """Worker slots registered and alive."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (the ledger reconnects on next use)."""

    # -- operations

    def known(self, key: str) -> bool:
        """True when ``key`` was accepted already (a cheap read, no lock)."""
        with reachable():
            return self.get(key) is not None

    def accept(self, key: str, job: Job) -> int | None:
        """Record a new job; its place in line (0 = a worker is free), or None if known.

        Raises :class:`QueueFull` when ``queue_max`` jobs already wait for a worker, and
        :class:`QueueUnavailable` when the store cannot be reached.
        """
        with reachable(), self.locked():
            if self.get(key) is not None:
                return None
            now = time.time()
            records = self.open_records()
            running = sum(1 for r in records if _running(r, now))
            waiting = len(records) - running
            place = max(0, waiting + running + 1 - self.worker_slots(now))
            if place > self.queue_max:
                raise QueueFull(
                    f"I'm busy with {place - 1} other requests right now; "
                    "please try again in a few minutes."
                )
            self.put(
                {
                    "key": key,
                    "job": job,
                    "state": "queued",
                    "seq": self.next_seq(),
                    "accepted_at": now,
                    "enqueued_at": now,
                    "owner": None,
                    "lease_until": 0.0,
                    "attempts": 0,
                    "posted_ts": None,
                    "done_at": None,
                }
            )
        return place

    def claim(self, key: str, owner: str) -> dict[str, Any] | None:
        """Take the job for ``owner``; None when it is done or held by a live claim."""
        with self.locked():
            record = self.get(key)
            now = time.time()
            if record is None or record["state"] == "done":
                return None
            if _running(record, now) and record["owner"] != owner:
                return None
            record.update(state="running", owner=owner, lease_until=now + self.lease_s)
            record["attempts"] += 1
            self.put(record)
        return record

    def renew(self, key: str, owner: str) -> bool:
        """Extend ``owner``'s lease; False when the claim was lost."""
        with self.locked():
            record = self.get(key)
            if record is None or record["state"] != "running" or record["owner"] != owner:
                return False
            record["lease_until"] = time.time() + self.lease_s
            self.put(record)
        return True

    def check_post(self, key: str, owner: str) -> str | None:
        """Before posting: the ts of an answer already posted, else None. Raises ClaimLost."""
        with self.locked():
            record = self.get(key)
            if record is None or record["state"] != "running" or record["owner"] != owner:
                raise ClaimLost(key)
            # Posting takes a few seconds at most; keep the claim for that long at least.
            record["lease_until"] = max(record["lease_until"], time.time() + self.lease_s)
            self.put(record)
            return record.get("posted_ts") or None

    def mark_posted(self, key: str, owner: str, ts: str) -> None:
        """Remember that the answer is in Slack (``ts`` of its message)."""
        with self.locked():
            record = self.get(key)
            if record is not None and record["owner"] == owner:
                record["posted_ts"] = ts
                self.put(record)

    def finish(self, key: str, owner: str | None = None) -> None:
        """The job is answered (or refused with its sentence): never run it again."""
        with self.locked():
            record = self.get(key)
            if record is None or (owner is not None and record["owner"] != owner):
                return
            record.update(state="done", done_at=time.time(), lease_until=0.0)
            self.put(record)

    def release(self, key: str, owner: str) -> bool:
        """Hand the job back to the line (a worker stopping before it finished)."""
        with self.locked():
            record = self.get(key)
            if record is None or record["state"] != "running" or record["owner"] != owner:
                return False
            record.update(state="queued", owner=None, lease_until=0.0, enqueued_at=0.0)
            self.put(record)
        return True

    def due_again(self, in_queue: set[str]) -> list[str]:
        """Jobs to queue again: expired claims, and queued jobs whose task is missing."""
        now = time.time()
        again = []
        with self.locked():
            for record in self.open_records():
                expired = record["state"] == "running" and record["lease_until"] <= now
                missing = (
                    record["state"] == "queued"
                    and record["key"] not in in_queue
                    and record["enqueued_at"] <= now - MISSING_TASK_GRACE_S
                )
                if expired or missing:
                    record.update(state="queued", owner=None, lease_until=0.0, enqueued_at=now)
                    self.put(record)
                    again.append(record["key"])
        return again

    def counts(self) -> tuple[int, int]:
        """(running, waiting) jobs right now."""
        now = time.time()
        records = self.open_records()
        running = sum(1 for r in records if _running(r, now))
        return running, len(records) - running

    def get_record(self, key: str) -> dict[str, Any] | None:
        """The ledger record for ``key`` (for tests and logs)."""
        return self.get(key)


def _running(record: dict[str, Any], now: float) -> bool:
    return record["state"] == "running" and record["lease_until"] > now
