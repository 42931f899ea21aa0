"""The ledger's two stores: the embedded SQLite file (one machine) and Redis (several).

Both keep the records next to Huey's own queue, in the same SQLite file or Redis database.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.queue.ledger import Ledger, QueueUnavailable, unavailable_text

__all__ = ["RedisLedger", "SqliteLedger", "REDIS_TIMEOUT_S", "redis_options"]

logger = logging.getLogger(__name__)

# Redis calls from the listener must fail fast: Slack wants the ack within 3 s.
REDIS_TIMEOUT_S = 1.0
_LOCK_WAIT_S = 1.5


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

        self._redis = redis.Redis.from_url(url, **redis_options(REDIS_TIMEOUT_S))
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


def redis_options(read_timeout: float) -> dict[str, Any]:
    """Connection options for every Redis client of the queue (``read_timeout`` in seconds)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No retries with back-off inside the client: an outage must show within a second or two
    # (Slack's 3 s ack), and every caller here has its own way to try again later.
    return {
        "socket_connect_timeout": REDIS_TIMEOUT_S,
        "socket_timeout": read_timeout,
        "retry": Retry(NoBackoff(), 1),  # once, on a fresh connection (Redis restarted)
        "health_check_interval": 10,
    }
