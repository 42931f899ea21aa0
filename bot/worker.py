"""Workers: the processes that take jobs from the queue and run them (``python -m bot worker``).

A supervisor process runs Huey's consumer with ``SEGBOT_WORKERS`` worker processes (the
segmentation is CPU-bound, so processes, not threads) and the :class:`~bot.queue.Sweeper`
thread; its scheduler queues the schedule tick (:mod:`bot.ticker`) every
``SEGBOT_SCHEDULE_TICK_S`` seconds. Here the job code meets the queue: each worker runs jobs
with the handlers of :func:`bot.jobs.start_worker`, registered by kind. SIGTERM lets the
running jobs finish for up to :data:`SHUTDOWN_S` seconds and hands the rest back to the queue;
jobs still waiting stay in the store for the next start.
"""

from __future__ import annotations

import logging
import threading
import time

from huey.consumer import Consumer, ConsumerStopped

from bot.config import Settings
from bot.jobs import start_worker
from bot.queue import JobQueue, Sweeper, die_with_parent, store_errors
from bot.store import migrate_at_start
from bot.ticker import TickingConsumer, register_ticker

__all__ = ["SHUTDOWN_S", "serve_workers", "ThreadWorkers"]

logger = logging.getLogger(__name__)

# Platforms give a process about 30 s between SIGTERM and SIGKILL (Heroku: 30 s).
SHUTDOWN_S = 25.0


class _QuietOutage(logging.Filter):
    """Huey logs a traceback each time a worker cannot read the queue (about once a second
    while Redis is down); one line a minute says the same."""

    def __init__(self) -> None:
        super().__init__()
        self._last = 0.0

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not isinstance(error, store_errors()):
            return True
        now = time.monotonic()
        if now - self._last < 60:
            return False
        self._last = now
        record.msg = f"{record.getMessage()}: {type(error).__name__} (the store is unreachable)"
        record.args, record.exc_info, record.exc_text = None, None, None
        return True


def _quiet_huey_outages() -> None:
    worker_logger = logging.getLogger("huey.consumer.Worker")
    if not any(isinstance(f, _QuietOutage) for f in worker_logger.filters):
        worker_logger.addFilter(_QuietOutage())


def _consumer(queue: JobQueue, workers: int, worker_type: str) -> Consumer:
    _quiet_huey_outages()
    # The only periodic task is the schedule tick, checked every SEGBOT_SCHEDULE_TICK_S.
    return TickingConsumer(
        queue.huey,
        tick_s=queue.settings.schedule_tick_s,
        workers=workers,
        worker_type=worker_type,
        periodic=True,
        # SQLite is polled: start fast after a job, never wait more than a second for the next.
        initial_delay=0.05,
        backoff=1.2,
        max_delay=1.0,
        check_worker_health=worker_type == "process",
        health_check_interval=1,
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_S,
    )


def serve_workers(settings: Settings, *, with_parent: bool = False) -> None:
    """Run the worker processes until SIGTERM or SIGINT (blocks; main thread only).

    ``with_parent`` makes this process die with its parent (``python -m bot`` runs the workers
    as its child, and a platform killing the bot must not leave them running on their own).
    """
    if with_parent:
        die_with_parent()
    migrate_at_start(settings)
    queue = JobQueue(settings, handlers=start_worker)
    register_ticker(queue)
    consumer = _consumer(queue, settings.workers, "process")
    consumer.start()  # forks the workers and installs the signal handlers
    sweeper = Sweeper(settings, slots=settings.workers)
    sweeper.start()
    logger.info("segbot workers started: %s process(es)", settings.workers)
    try:
        health = time.monotonic()
        while True:
            try:
                health = consumer.loop(health)
            except ConsumerStopped:
                break
        queue.huey.notify_interrupted_tasks()
    finally:
        sweeper.stop()
        queue.close()
    logger.info("segbot workers stopped")


class ThreadWorkers:
    """The same consumer and sweeper with worker threads, inside the calling process.

    Used where forking is unwelcome (the test harness, which also runs the fake Slack in
    threads); production uses :func:`serve_workers`.
    """

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        migrate_at_start(settings)
        self.queue = JobQueue(settings, handlers=start_worker)
        self._consumer = _consumer(self.queue, workers or settings.workers, "thread")
        self._sweeper = Sweeper(settings, slots=workers or settings.workers)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker threads and the sweeper (no signal handlers are touched)."""
        for _, thread in self._consumer.worker_threads:
            thread.start()
            self._threads.append(thread)
        self._sweeper.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Let running jobs finish (bounded), then stop."""
        self._consumer.stop_flag.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._sweeper.stop()
        self.queue.close()
