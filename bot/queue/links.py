"""Which data a Slack thread is about: the dropped file's thread, or the thread under an answer.

A mention in a thread ("@segbot try 4 groups") means "this file, again". The link is written
by the worker that posts an answer and read by the worker that answers the mention, maybe in
another process or after a restart, so it lives in the queue's store (a table of its own in
the SQLite file, or Redis keys) and never in memory. A link holds ids and settings only: the
file id, its name, the options of the last answer in the thread and its segments' names and
descriptions; no row of data, no personal data. The same store keeps a follow-up's state
when it is too long for a button value (Slack's 2,000 characters): the button carries its key.

Light on purpose (sqlite3/redis only): the listener may import it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from typing import Any

from bot.config import Settings

__all__ = ["ThreadLinks"]

logger = logging.getLogger(__name__)

# A thread nobody wrote in for this long is forgotten.
LINK_TTL_S = 90 * 24 * 3600


class ThreadLinks:
    """``(channel, thread_ts) -> link`` in the queue's store (SQLite file or Redis)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._redis: Any = None
        self._pid = 0

    def remember(self, channel: str, thread_ts: str, link: dict[str, Any]) -> None:
        """Record what the thread is about now (the newest answer in it wins)."""
        record = json.dumps({**link, "at": time.time()})
        if self.settings.queue_url:
            self._client().set(_redis_key(channel, thread_ts), record, ex=LINK_TTL_S)
            return
        with self._lock:
            conn = self._sqlite()
            conn.execute(
                "insert or replace into segbot_thread (channel, thread_ts, at, link) "
                "values (?, ?, ?, ?)",
                (channel, thread_ts, time.time(), record),
            )
            conn.execute("delete from segbot_thread where at < ?", (time.time() - LINK_TTL_S,))

    def get(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        """The link of a thread, or None when no answer of ours is known there."""
        if self.settings.queue_url:
            raw = self._client().get(_redis_key(channel, thread_ts))
        else:
            with self._lock:
                row = (
                    self._sqlite()
                    .execute(
                        "select link from segbot_thread where channel = ? and thread_ts = ?",
                        (channel, thread_ts),
                    )
                    .fetchone()
                )
            raw = row[0] if row else None
        return json.loads(raw) if raw else None

    def keep(self, text: str) -> str:
        """Keep a text too long for a button value (a follow-up's state); its short key.

        The key is the text's hash, so the same state kept twice is one row.
        """
        ref = hashlib.sha256(text.encode()).hexdigest()[:24]
        if self.settings.queue_url:
            self._client().set(f"segbot:kept:{ref}", text, ex=LINK_TTL_S)
            return ref
        with self._lock:
            conn = self._sqlite()
            conn.execute(
                "insert or replace into segbot_kept (ref, at, text) values (?, ?, ?)",
                (ref, time.time(), text),
            )
            conn.execute("delete from segbot_kept where at < ?", (time.time() - LINK_TTL_S,))
        return ref

    def recall(self, ref: str) -> str | None:
        """The text kept under ``ref``, or None when it is unknown or forgotten."""
        if self.settings.queue_url:
            raw = self._client().get(f"segbot:kept:{ref}")
            return raw.decode() if isinstance(raw, bytes) else raw
        with self._lock:
            row = (
                self._sqlite()
                .execute("select text from segbot_kept where ref = ?", (ref,))
                .fetchone()
            )
        return str(row[0]) if row else None

    def _sqlite(self) -> sqlite3.Connection:
        # One connection per process: a forked worker must not share its parent's.
        if self._conn is None or self._pid != os.getpid():
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self.settings.data_dir / "queue.db"), timeout=10, check_same_thread=False
            )
            conn.isolation_level = None
            conn.execute(
                "create table if not exists segbot_thread (channel text not null, "
                "thread_ts text not null, at real not null, link text not null, "
                "primary key (channel, thread_ts))"
            )
            conn.execute(
                "create table if not exists segbot_kept (ref text primary key, "
                "at real not null, text text not null)"
            )
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _client(self) -> Any:
        if self._redis is None or self._pid != os.getpid():
            import redis

            self._redis = redis.Redis.from_url(
                str(self.settings.queue_url), socket_connect_timeout=2, socket_timeout=2
            )
            self._pid = os.getpid()
        return self._redis


def _redis_key(channel: str, thread_ts: str) -> str:
    return f"segbot:thread:{channel}:{thread_ts}"
