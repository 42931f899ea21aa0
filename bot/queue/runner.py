"""The queue a worker takes jobs from: Huey (SQLite or Redis) and the ledger, and how one job runs.

Jobs are plain data. The queue runs each with the handler registered for its ``kind``; the
handlers are handed over when the workers start (:func:`bot.worker.serve_workers` gives
:func:`bot.jobs.start_worker`), so this package imports no job code and the listener, which
only accepts jobs, never loads the heavy stack.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from huey import Huey, RedisHuey, SqliteHuey

from bot.config import Settings
from bot.queue.ledger import STORE_ERRORS, ClaimLost, Job, Ledger, QueueUnavailable, reachable
from bot.queue.stores import RedisLedger, SqliteLedger, redis_options

__all__ = [
    "AnswerGuard",
    "Handler",
    "Handlers",
    "JobQueue",
    "die_with_parent",
    "until_stored",
]

logger = logging.getLogger(__name__)


def _build_huey(settings: Settings) -> Huey:
    if settings.queue_url:
        from redis import ConnectionPool

        # Blocking reads wait 1 s for work; the socket timeout must be longer than that.
        pool = ConnectionPool.from_url(settings.queue_url, **redis_options(5.0))
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
        except STORE_ERRORS + (QueueUnavailable,) as error:
            logger.warning("Posting %s without checking the ledger: %s", self.key, error)
            return None

    def posted(self, ts: str) -> None:
        # The answer is in Slack: record it even if the store has to come back first, or a
        # second attempt would post it again.
        until_stored(lambda: self.ledger.mark_posted(self.key, self.owner, ts), self.key)


# What runs one job: its data, the settings, and the guard to ask before posting.
Handler = Callable[[Job, Settings, AnswerGuard], None]
# Called once in each worker process before its first job: readies it, returns {kind: handler}.
Handlers = Callable[[], Mapping[str, Handler]]


def until_stored(write: Callable[[], object], key: str, patience_s: float = 900.0) -> None:
    """Run ``write`` until the store takes it (it may be restarting), for up to ``patience_s``."""
    deadline = time.monotonic() + patience_s
    pause = 0.25
    while True:
        try:
            write()
            return
        except STORE_ERRORS + (QueueUnavailable,) as error:
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
    """The Huey instance and the ledger, built from the settings; one per process.

    ``handlers`` is given by the processes that run jobs (the workers): called once in each
    worker before its first job, it readies the process and returns ``{kind: handler}``. The
    listener builds its queue without handlers: it only accepts jobs.
    """

    def __init__(self, settings: Settings, handlers: Handlers | None = None) -> None:
        self.settings = settings
        self.huey = _build_huey(settings)
        self.ledger = _open_ledger(settings)
        self._load_handlers = handlers
        self._handlers: Mapping[str, Handler] | None = None

        # The key is the whole message: the job itself lives in the ledger. Huey names a task
        # after its function's module: keep "bot.queue.segbot_job", the name that tasks waiting
        # in a store were queued under before the queue became a package.
        def perform(key: str) -> None:
            self._perform(key)

        perform.__module__ = "bot.queue"
        self._task = self.huey.task(name="segbot_job")(perform)
        built_in = os.getpid()

        @self.huey.on_startup(name="segbot_worker_start")
        def _worker_started() -> None:
            # Runs in each worker: a forked process dies with its supervisor; every worker
            # loads the job code (the heavy stack) once, before its first job.
            if os.getpid() != built_in:
                die_with_parent()
            if self._load_handlers is not None:
                self._ready()

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
        except STORE_ERRORS as error:
            logger.warning("Could not queue %s now (the sweep will): %s", key, error)

    def finish(self, key: str) -> None:
        """Close a job the listener answered itself (a refusal)."""
        with reachable():
            self.ledger.finish(key)

    def counts(self) -> tuple[int, int]:
        """(running, waiting) jobs across every process sharing the store."""
        with reachable():
            return self.ledger.counts()

    def queued_keys(self) -> set[str]:
        """Keys of the tasks sitting in Huey's queue right now."""
        keys = set()
        for task in self.huey.pending():
            args = task.args or ()
            if args:
                keys.add(str(args[0]))
        return keys

    def _ready(self) -> Mapping[str, Handler]:
        """This process's handlers, loaded on first use."""
        if self._handlers is None:
            if self._load_handlers is None:
                raise RuntimeError("This queue was built without handlers: it runs no jobs")
            self._handlers = self._load_handlers()
        return self._handlers

    def _perform(self, key: str) -> None:
        """The Huey task: claim the job, run its kind's handler with the lease renewed, close it."""
        handlers = self._ready()
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        record = self.ledger.claim(key, owner)
        if record is None:
            logger.info("Skipping %s: answered already or another worker has it", key)
            return
        job = record["job"]
        handler = handlers.get(str(job.get("kind")))
        guard = AnswerGuard(self.ledger, key, owner)
        try:
            with _LeaseKeeper(self.ledger, key, owner):
                try:
                    if handler is None:
                        logger.error(
                            "No handler runs jobs of kind %r: closing %s", job.get("kind"), key
                        )
                    else:
                        handler(job, self.settings, guard)
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


def die_with_parent() -> None:
    """Linux: get SIGKILL when the parent process dies, like a platform killing a dyno."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their job and stop
        pass
