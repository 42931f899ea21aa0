"""The durable job queue: Huey (SQLite or Redis) plus a ledger of accepted jobs and their claims.

Huey deletes a task from its store when a worker takes it, so a worker that dies mid-job would
lose it. The ledger, kept in the same store, is the record that survives: every accepted job
is written there first (which is also the de-duplication of Slack's events and retries), a
worker claims a job with a lease it keeps renewing, and a periodic sweep puts back in the
queue every job whose lease ran out or whose task went missing. Before posting, a worker
checks that it still holds the claim and that nobody posted the answer already.

This module is imported by the listener: it never imports pandas, scikit-learn or matplotlib
(the worker-side code in :mod:`bot.tasks` is imported only when a job runs).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from bot.config import Settings
from segmentation.errors import SegmentationError

__all__ = [
    "AnswerGuard",
    "ClaimLost",
    "JobQueue",
    "Ledger",
    "QueueFull",
    "QueueUnavailable",
    "Sweeper",
    "store_errors",
    "unavailable_text",
]

logger = logging.getLogger(__name__)

Job = dict[str, Any]

# Answered jobs are remembered this long, so Slack's late retries are still recognised.
DONE_RETENTION_S = 24 * 3600
# A queued job whose Huey task is missing this long (a crash between accepting and queueing,
# or between Huey's dequeue and our claim) is queued again.
MISSING_TASK_GRACE_S = 5.0
# Redis calls from the listener must fail fast: Slack wants the ack within 3 s.
_REDIS_TIMEOUT_S = 1.0
_LOCK_WAIT_S = 1.5


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


_STORE_ERRORS = store_errors()


@contextmanager
def _reachable() -> Iterator[None]:
    """Turn a store outage into :class:`QueueUnavailable` with its sentence."""
    try:
        yield
    except _STORE_ERRORS as error:
        logger.warning("The job queue's store is unreachable: %s", type(error).__name__)
        raise QueueUnavailable(unavailable_text()) from None


# ---------------------------------------------------------------------------- the ledger


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
        with _reachable():
            return self.get(key) is not None

    def accept(self, key: str, job: Job) -> int | None:
        """Record a new job; its place in line (0 = a worker is free), or None if known.

        Raises :class:`QueueFull` when ``queue_max`` jobs already wait for a worker, and
        :class:`QueueUnavailable` when the store cannot be reached.
        """
        with _reachable(), self.locked():
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


class SqliteLedger(Ledger):
    """The ledger in the embedded SQLite file, next to Huey's own tables."""

    def __init__(self, path: Path, lease_s: float, queue_max: int) -> None:
        super().__init__(lease_s, queue_max)
        self.path = path
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._depth = 0
        with self._lock:
            conn = self._connection()
            conn.execute(
                "create table if not exists segbot_job (key text primary key, seq integer, "
                "state text not null, done_at real, record text not null)"
            )
            conn.execute("create index if not exists segbot_job_state on segbot_job (state)")
            conn.execute(
                "create table if not exists segbot_worker "
                "(name text primary key, slots integer not null, until real not null)"
            )

    def _connection(self) -> sqlite3.Connection:
        # A connection opened before a fork must not be used by the child.
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            conn.isolation_level = None
            conn.execute("pragma journal_mode=wal")
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            conn = self._connection()
            self._depth += 1
            if self._depth == 1:
                conn.execute("begin immediate")
            try:
                yield
            except BaseException:
                if self._depth == 1:
                    conn.execute("rollback")
                raise
            else:
                if self._depth == 1:
                    conn.execute("commit")
            finally:
                self._depth -= 1

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = (
                self._connection()
                .execute("select record from segbot_job where key = ?", (key,))
                .fetchone()
            )
        return json.loads(row[0]) if row else None

    def put(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._connection().execute(
                "insert or replace into segbot_job (key, seq, state, done_at, record) "
                "values (?, ?, ?, ?, ?)",
                (
                    record["key"],
                    record["seq"],
                    record["state"],
                    record["done_at"],
                    json.dumps(record),
                ),
            )

    def open_records(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = (
                self._connection()
                .execute("select record from segbot_job where state != 'done' order by seq")
                .fetchall()
            )
        return [json.loads(row[0]) for row in rows]

    def purge_done(self, before: float) -> int:
        with self._lock:
            cursor = self._connection().execute(
                "delete from segbot_job where state = 'done' and done_at < ?", (before,)
            )
        return int(cursor.rowcount)

    def next_seq(self) -> int:
        with self._lock:
            row = self._connection().execute("select max(seq) from segbot_job").fetchone()
        return int(row[0] or 0) + 1

    def set_workers(self, name: str, slots: int, until: float) -> None:
        with self._lock:
            self._connection().execute(
                "insert or replace into segbot_worker (name, slots, until) values (?, ?, ?)",
                (name, slots, until),
            )

    def worker_slots(self, now: float) -> int:
        with self._lock:
            row = (
                self._connection()
                .execute("select sum(slots) from segbot_worker where until > ?", (now,))
                .fetchone()
            )
        return int(row[0] or 0)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


class RedisLedger(Ledger):
    """The ledger in Redis, shared by every listener and worker process on every machine."""

    _JOBS = "segbot:jobs"
    _OPEN = "segbot:open"
    _SEQ = "segbot:seq"
    _WORKERS = "segbot:workers"
    _LOCK = "segbot:ledger-lock"

    def __init__(self, url: str, lease_s: float, queue_max: int) -> None:
        super().__init__(lease_s, queue_max)
        import redis

        self._redis = redis.Redis.from_url(url, **_redis_options(_REDIS_TIMEOUT_S))
        self._local = threading.local()

    @contextmanager
    def locked(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        # The lock expires by itself, so a process killed while holding it blocks nobody long.
        lock = self._redis.lock(self._LOCK, timeout=5, blocking_timeout=_LOCK_WAIT_S)
        if not lock.acquire():
            raise QueueUnavailable(unavailable_text())
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            try:
                lock.release()
            except Exception as error:  # expired or Redis gone: it frees itself in 5 s
                logger.warning("Could not release the ledger lock: %s", type(error).__name__)

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._redis.hget(self._JOBS, key)
        return json.loads(raw) if raw else None

    def put(self, record: dict[str, Any]) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._JOBS, record["key"], json.dumps(record))
        if record["state"] == "done":
            pipe.zrem(self._OPEN, record["key"])
        else:
            pipe.zadd(self._OPEN, {record["key"]: record["seq"]})
        pipe.execute()

    def open_records(self) -> list[dict[str, Any]]:
        keys = self._redis.zrange(self._OPEN, 0, -1)
        if not keys:
            return []
        return [json.loads(raw) for raw in self._redis.hmget(self._JOBS, keys) if raw]

    def purge_done(self, before: float) -> int:
        gone = []
        for key, raw in self._redis.hscan_iter(self._JOBS, count=500):
            record = json.loads(raw)
            if record["state"] == "done" and (record["done_at"] or 0) < before:
                gone.append(key)
        if gone:
            self._redis.hdel(self._JOBS, *gone)
        return len(gone)

    def next_seq(self) -> int:
        return int(self._redis.incr(self._SEQ))

    def set_workers(self, name: str, slots: int, until: float) -> None:
        self._redis.hset(self._WORKERS, name, json.dumps([slots, until]))

    def worker_slots(self, now: float) -> int:
        total = 0
        stale = []
        for name, raw in self._redis.hgetall(self._WORKERS).items():
            slots, until = json.loads(raw)
            if until > now:
                total += int(slots)
            elif until < now - 3600:
                stale.append(name)
        if stale:
            self._redis.hdel(self._WORKERS, *stale)
        return total

    def close(self) -> None:
        self._redis.close()


# ---------------------------------------------------------------------------- the queue


def _redis_options(read_timeout: float) -> dict[str, Any]:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No retries with back-off inside the client: an outage must show within a second or two
    # (Slack's 3 s ack), and every caller here has its own way to try again later.
    return {
        "socket_connect_timeout": _REDIS_TIMEOUT_S,
        "socket_timeout": read_timeout,
        "retry": Retry(NoBackoff(), 1),  # once, on a fresh connection (Redis restarted)
        "health_check_interval": 10,
    }


def _build_huey(settings: Settings) -> Huey:
    if settings.queue_url:
        from redis import ConnectionPool

        # Blocking reads wait 1 s for work; the socket timeout must be longer than that.
        pool = ConnectionPool.from_url(settings.queue_url, **_redis_options(5.0))
        return RedisHuey("segbot", results=False, connection_pool=pool)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("segbot", results=False, filename=str(settings.data_dir / "queue.db"))


def _open_ledger(settings: Settings) -> Ledger:
    if settings.queue_url:
        return RedisLedger(settings.queue_url, settings.job_lease_s, settings.queue_max)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteLedger(settings.data_dir / "queue.db", settings.job_lease_s, settings.queue_max)


@dataclass
class AnswerGuard:
    """What a running job checks before it posts, so each job is answered once.

    ``before_post`` returns the ts of an answer that an earlier attempt already posted (post
    nothing new; attach to it), or None (post now); it raises :class:`ClaimLost` when another
    worker took the job over. When the store is unreachable it lets the post through: a
    possible repeat is better than silence.
    """

    ledger: Ledger
    key: str
    owner: str

    def before_post(self) -> str | None:
        try:
            return self.ledger.check_post(self.key, self.owner)
        except _STORE_ERRORS + (QueueUnavailable,) as error:
            logger.warning("Posting %s without checking the ledger: %s", self.key, error)
            return None

    def posted(self, ts: str) -> None:
        # The answer is in Slack: record it even if the store has to come back first, or a
        # second attempt would post it again.
        until_stored(lambda: self.ledger.mark_posted(self.key, self.owner, ts), self.key)


def until_stored(write: Callable[[], object], key: str, patience_s: float = 900.0) -> None:
    """Run ``write`` until the store takes it (it may be restarting), for up to ``patience_s``."""
    deadline = time.monotonic() + patience_s
    pause = 0.25
    while True:
        try:
            write()
            return
        except _STORE_ERRORS + (QueueUnavailable,) as error:
            if time.monotonic() > deadline:
                raise
            if pause == 0.25:
                logger.warning("Waiting for the queue's store to record %s: %s", key, error)
            time.sleep(pause)
            pause = min(2.0, pause * 2)


class _LeaseKeeper:
    """Renews a claim every third of the lease while its job runs (a thread of the worker)."""

    def __init__(self, ledger: Ledger, key: str, owner: str) -> None:
        self._ledger, self._key, self._owner = ledger, key, owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="segbot-lease")

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self._ledger.lease_s / 3):
            try:
                if not self._ledger.renew(self._key, self._owner):
                    logger.warning("Lost the claim on %s; another worker has it", self._key)
                    return
            except Exception as error:  # store down: keep trying, the job keeps running
                logger.warning("Could not renew the claim on %s: %s", self._key, error)


class JobQueue:
    """The Huey instance and the ledger, built from the settings; one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.huey = _build_huey(settings)
        self.ledger = _open_ledger(settings)
        # The key is the whole message: the job itself lives in the ledger.
        self._task = self.huey.task(name="segbot_job")(self._perform)
        built_in = os.getpid()

        @self.huey.on_startup(name="segbot_worker_start")
        def _worker_started() -> None:
            # Runs in each worker: a forked process dies with its supervisor; every worker
            # loads the heavy stack once, before its first job, and starts the fork server
            # its time-limited jobs are forked from.
            if os.getpid() != built_in:
                die_with_parent()
            from bot.tasks import prepare_worker

            prepare_worker()

    def known(self, key: str) -> bool:
        """True when ``key`` was accepted before (by any process)."""
        return self.ledger.known(key)

    def accept(self, key: str, job: Job) -> int | None:
        """Record and queue ``job``; its place in line, or None when it is a repeat."""
        place = self.ledger.accept(key, job)
        if place is not None:
            self.enqueue(key)
        return place

    def enqueue(self, key: str) -> None:
        """Put a Huey task for ``key`` in the queue (the sweep repairs a failure here)."""
        try:
            self.huey.enqueue(self._task.s(key))
        except _STORE_ERRORS as error:
            logger.warning("Could not queue %s now (the sweep will): %s", key, error)

    def finish(self, key: str) -> None:
        """Close a job the listener answered itself (a refusal)."""
        with _reachable():
            self.ledger.finish(key)

    def counts(self) -> tuple[int, int]:
        """(running, waiting) jobs across every process sharing the store."""
        with _reachable():
            return self.ledger.counts()

    def queued_keys(self) -> set[str]:
        """Keys of the tasks sitting in Huey's queue right now."""
        keys = set()
        for task in self.huey.pending():
            args = task.args or ()
            if args:
                keys.add(str(args[0]))
        return keys

    def _perform(self, key: str) -> None:
        """The Huey task: claim the job, run it with its lease renewed, close it."""
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        record = self.ledger.claim(key, owner)
        if record is None:
            logger.info("Skipping %s: answered already or another worker has it", key)
            return
        from bot.tasks import run_job  # the heavy stack, in the worker only

        guard = AnswerGuard(self.ledger, key, owner)
        try:
            with _LeaseKeeper(self.ledger, key, owner):
                try:
                    run_job(record["job"], self.settings, guard)
                except (ClaimLost, KeyboardInterrupt, SystemExit):
                    raise
                except Exception:
                    logger.exception("Job %s failed outside its own error handling", key)
                # Still holding the lease while the store may be briefly away.
                until_stored(lambda: self.ledger.finish(key, owner), key)
        except ClaimLost:
            logger.warning("Dropped my result for %s: another worker took it over", key)
            return
        except (KeyboardInterrupt, SystemExit):
            # Stopping before the job finished: hand it back so the next worker answers it.
            if self.ledger.release(key, owner):
                self.enqueue(key)
                logger.warning("Handed %s back to the queue while stopping", key)
            raise

    def close(self) -> None:
        """Close store connections."""
        self.ledger.close()
        self.huey.storage.close()


class Sweeper:
    """Registers this machine's workers and re-queues lost jobs, every few seconds (a thread).

    It opens its own store connections so that forking worker processes never inherits a
    connection or a lock this thread might be holding.
    """

    def __init__(self, settings: Settings, slots: int, name: str | None = None) -> None:
        self.settings = settings
        self.slots = slots
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.interval = max(0.5, min(5.0, settings.job_lease_s / 4))
        self._queue = JobQueue(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="segbot-sweep")
        self._last_purge = 0.0
        self._down = False
        # Leases are judged only after this sweeper has seen the store for a whole lease:
        # during an outage (or before this start) nobody could renew, so expiry means nothing.
        self._seeing_since = time.monotonic()

    def start(self) -> None:
        """Register at once (so the first place in line is right), then sweep in a thread."""
        self.sweep_once()
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping and say this machine's workers are gone."""
        self._stop.set()
        self._thread.join(10)
        try:
            self._queue.ledger.set_workers(self.name, 0, 0.0)
        except Exception as error:
            logger.warning("Could not unregister the workers: %s", type(error).__name__)
        self._queue.close()

    def sweep_once(self) -> list[str]:
        """One round: heartbeat, re-queue the lost, forget old answers. Returns re-queued keys."""
        now = time.time()
        ledger = self._queue.ledger
        try:
            ledger.set_workers(self.name, self.slots, now + max(10.0, 3 * self.interval))
            again = []
            if time.monotonic() - self._seeing_since >= self.settings.job_lease_s:
                again = ledger.due_again(self._queue.queued_keys())
            for key in again:
                logger.warning("Queueing %s again: its worker stopped before answering", key)
                self._queue.enqueue(key)
            if now - self._last_purge > 600:
                ledger.purge_done(now - DONE_RETENTION_S)
                self._last_purge = now
        except Exception as error:
            if not self._down:
                logger.warning("The queue's store is unreachable: %s", type(error).__name__)
            self._down = True
            return []
        if self._down:
            logger.info("The queue's store is reachable again")
            self._down = False
            self._seeing_since = time.monotonic()
        return again

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sweep_once()


def die_with_parent() -> None:
    """Linux: get SIGKILL when the parent process dies, like a platform killing a dyno."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their job and stop
        pass
