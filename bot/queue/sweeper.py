"""The sweeper: registers this machine's workers and puts lost jobs back in the queue.

A thread of the worker supervisor (:mod:`bot.worker`); it never runs a job itself.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from bot.config import Settings
from bot.queue.runner import JobQueue

__all__ = ["DONE_RETENTION_S", "Sweeper"]

logger = logging.getLogger(__name__)

# Answered jobs are remembered this long, so Slack's late retries are still recognised.
DONE_RETENTION_S = 24 * 3600


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
