"""The listener's long-lived state, shared by every listener through Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_bolt import BoltContext

from bot.config import Settings
from bot.memory import ExpiringSet, RecentFiles
from bot.queue import JobQueue
from bot.requests import Mode

if TYPE_CHECKING:
    from segmentation import Options

__all__ = ["Runtime"]

_CONTEXT_KEY = "segbot_runtime"


@dataclass
class Runtime:
    """Settings, the job queue and the listener's memories (latest file per channel)."""

    settings: Settings
    queue: JobQueue
    # Refusals said in this process (the store is down or full, so it cannot remember them).
    answered: ExpiringSet = field(default_factory=ExpiringSet)
    recent: RecentFiles = field(default_factory=RecentFiles)

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
        from bot.tasks import job_options

        return job_options(self.settings, k, columns, mode)
