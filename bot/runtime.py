"""The listener's long-lived state, shared by every listener through Bolt's context: the
settings, the job queue, and two small thread-safe memories of this process (which refusals
were said, which data file each channel saw last).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_bolt import BoltContext

from bot.config import Settings
from bot.queue import JobQueue, ThreadLinks
from bot.words.grammar import Mode

if TYPE_CHECKING:
    from segmentation import Options

__all__ = ["ExpiringSet", "RecentFiles", "Runtime"]

_CONTEXT_KEY = "segbot_runtime"


class ExpiringSet:
    """Remembers keys for ``ttl`` seconds (at most ``max_items``); ``claim`` is atomic.

    Slack sends two events per upload and retries events it thinks were missed, so the first
    caller to claim a file id answers it and every later caller sees it is taken.
    """

    def __init__(
        self,
        ttl: float = 3600.0,
        max_items: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True when ``key`` was not seen within the TTL (and remember it now)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._items:
                return False
            self._items[key] = now
            if len(self._items) > self.max_items:
                self._items.popitem(last=False)
            return True

    def __contains__(self, key: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return key in self._items

    def _expire(self, now: float) -> None:
        while self._items:
            oldest_key, seen = next(iter(self._items.items()))
            if now - seen < self.ttl:
                break
            del self._items[oldest_key]


class RecentFiles:
    """The most recent data file id seen in each channel (bounded: least recent channels go)."""

    def __init__(self, max_channels: int = 5_000) -> None:
        self.max_channels = max_channels
        self._latest: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, channel: str, file_id: str, created: float) -> None:
        """Record that ``file_id`` (uploaded at ``created``, epoch seconds) is in ``channel``."""
        with self._lock:
            current = self._latest.get(channel)
            if current is None or created >= current[0]:
                self._latest[channel] = (created, file_id)
            self._latest.move_to_end(channel)
            while len(self._latest) > self.max_channels:
                self._latest.popitem(last=False)

    def latest(self, channel: str) -> str | None:
        """The id of the newest data file remembered for ``channel``, if any."""
        with self._lock:
            entry = self._latest.get(channel)
            return entry[1] if entry else None

    def forget(self, channel: str, file_id: str) -> None:
        """Drop ``file_id`` for ``channel`` (it was deleted or is no longer readable)."""
        with self._lock:
            entry = self._latest.get(channel)
            if entry is not None and entry[1] == file_id:
                del self._latest[channel]


@dataclass
class Runtime:
    """Settings, the job queue and the listener's memories (latest file per channel)."""

    settings: Settings
    queue: JobQueue
    # Refusals said in this process (the store is down or full, so it cannot remember them).
    answered: ExpiringSet = field(default_factory=ExpiringSet)
    recent: RecentFiles = field(default_factory=RecentFiles)
    # Thread links and the follow-up states too long for a button value.
    links: ThreadLinks = field(init=False)

    def __post_init__(self) -> None:
        self.links = ThreadLinks(self.settings)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        """A runtime connected to the queue the settings name (SQLite file or Redis)."""
        return cls(settings=settings, queue=JobQueue(settings))

    def attach(self, context: BoltContext) -> None:
        """Make this runtime reachable from a listener's ``context``."""
        context[_CONTEXT_KEY] = self

    @staticmethod
    def of(context: BoltContext) -> Runtime:
        """The runtime attached to a request's context by the app's middleware."""
        runtime = context.get(_CONTEXT_KEY)
        if not isinstance(runtime, Runtime):
            raise RuntimeError("segbot's runtime middleware did not run for this request")
        return runtime

    def options(
        self, k: int | None = None, columns: tuple[str, ...] | None = None, mode: Mode = "auto"
    ) -> Options:
        """Core options for one job, with this bot's limits (loads the core: workers, tests)."""
        from bot.jobs.core import job_options

        return job_options(self.settings, k, columns, mode)
