"""The bot's long-lived state, shared by every listener through Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_bolt import BoltContext

from bot.config import Settings
from bot.jobs import JobPool
from bot.memory import ExpiringSet, RecentFiles
from bot.requests import Mode
from segmentation import Limits, Options

__all__ = ["Runtime"]

_CONTEXT_KEY = "segbot_runtime"


@dataclass
class Runtime:
    """Settings, the job pool and the bot's memories (answered files, latest file per channel)."""

    settings: Settings
    jobs: JobPool
    answered: ExpiringSet = field(default_factory=ExpiringSet)
    recent: RecentFiles = field(default_factory=RecentFiles)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        """A fresh runtime with a pool sized by the settings."""
        return cls(settings=settings, jobs=JobPool(settings.workers, settings.queue_max))

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
        """Core options for one job, with this bot's limits."""
        limits = Limits(
            max_bytes=self.settings.max_file_bytes,
            max_rows=self.settings.max_rows,
            max_columns=self.settings.max_columns,
        )
        return Options(k=k, columns=columns, mode=mode, limits=limits)
