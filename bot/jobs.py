"""The bounded pool that runs segmentations after the ack, and knows each job's place in line."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from segmentation.errors import SegmentationError

__all__ = ["JobPool", "QueueFull"]

logger = logging.getLogger(__name__)


class QueueFull(SegmentationError):
    """Too many jobs are already waiting; the person should try again a little later."""

    kind = "busy"


class JobPool:
    """A fixed number of workers plus a bounded line of waiting jobs.

    ``submit`` returns the job's place in line: 0 when a worker starts it at once, 1 when it is
    next, and so on. Jobs start in the order they were submitted.
    """

    def __init__(self, workers: int, queue_max: int) -> None:
        self.workers = workers
        self.queue_max = queue_max
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="segbot-job")
        self._lock = threading.Lock()
        self._pending = 0  # submitted and not finished (running + waiting)
        self._accepting = True

    @property
    def pending(self) -> int:
        """How many jobs are running or waiting right now."""
        with self._lock:
            return self._pending

    @property
    def waiting(self) -> int:
        """How many jobs are waiting for a worker right now."""
        with self._lock:
            return max(0, self._pending - self.workers)

    @property
    def full(self) -> bool:
        """True when a job submitted now would be refused (workers busy, line at its limit)."""
        with self._lock:
            waiting = max(0, self._pending - self.workers)
            return not self._accepting or (
                self._pending >= self.workers and waiting >= self.queue_max
            )

    def submit(self, job: Callable[[], None], *, name: str = "job") -> tuple[int, Future[None]]:
        """Queue ``job``; return its place in line (0 = running now) and its future.

        Raises :class:`QueueFull` when ``queue_max`` jobs are already waiting.
        """
        with self._lock:
            if not self._accepting:
                raise QueueFull("I'm restarting right now; please try again in a minute.")
            waiting = max(0, self._pending - self.workers)
            if self._pending >= self.workers and waiting >= self.queue_max:
                raise QueueFull(
                    f"I'm busy with {waiting} other requests right now; "
                    "please try again in a few minutes."
                )
            place = waiting + 1 if self._pending >= self.workers else 0
            self._pending += 1
        try:
            future = self._executor.submit(self._run, job, name)
        except RuntimeError:
            with self._lock:
                self._pending -= 1
            raise QueueFull("I'm restarting right now; please try again in a minute.") from None
        return place, future

    def _run(self, job: Callable[[], None], name: str) -> None:
        try:
            job()
        except Exception:
            # Jobs report their own failures to the person; this is the last line of defence,
            # so a bug in a job never kills a worker thread silently.
            logger.exception("Job %s failed", name)
        finally:
            with self._lock:
                self._pending -= 1

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting jobs; with ``wait``, let the running and waiting ones finish."""
        with self._lock:
            self._accepting = False
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
