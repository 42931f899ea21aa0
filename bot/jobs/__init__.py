"""What a worker runs: one module per kind of job (file, command, followup, ask, source,
schedules, scheduled, history) + common.
May import the core, bot.queue, slack, store and words; only workers import the kinds.

:func:`start_worker` is what the workers hand to the queue (:class:`bot.queue.JobQueue`): the
queue calls it once in each worker process, before its first job, and runs every job with the
handler registered here for the job's ``kind``. This module itself stays light (the kinds are
imported when a worker starts), so the supervisor that forks the workers never loads the heavy
stack before it forks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.queue import Handler

__all__ = ["start_worker"]


def start_worker() -> Mapping[str, Handler]:
    """Ready this worker process for time-limited jobs; ``{kind: handler}`` for the queue."""
    from bot.jobs import ask, command, common, core, file, followup, scheduled, schedules

    core.prepare_worker()
    return {
        "file": common.handler(file.run_file),
        "command": common.handler(command.run_command),
        "followup": common.handler(followup.run_followup),
        "ask": common.handler(ask.run_ask),
        # A source job from a schedule carries "schedule"; scheduled.py sends the others on to
        # bot.jobs.source.run_source.
        "source": common.handler(scheduled.run_source_job),
        "schedule": common.handler(schedules.run_schedule),
    }
