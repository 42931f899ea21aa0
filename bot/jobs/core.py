"""The core under a wall-clock limit, as every kind of job runs it, and the worker's start.

The time-limited child unpickles :func:`segment`'s work by this module's name, so this module
imports nothing but the core (already loaded in the fork server) and the standard library: the
child starts without loading the Slack, queue or store code.
"""

from __future__ import annotations

import multiprocessing
from typing import TYPE_CHECKING

from segmentation import (
    Limits,
    Options,
    SegmentationResult,
    export_csv,
    render_scatter,
    run,
    segment_location,
)
from segmentation.deadline import call_with_time_limit, warm_up

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["job_options", "prepare_worker", "run_limited", "segment", "segment_at"]


def job_options(
    settings: Settings,
    k: int | None = None,
    columns: tuple[str, ...] | None = None,
    mode: str = "auto",
    *,
    as_of: str | None = None,
    horizon_days: float | None = None,
) -> Options:
    """Core options for one job, with this bot's limits (``as_of``/``horizon_days``: order
    logs end on that day and predict that far ahead; None keeps the core's default)."""
    limits = Limits(
        max_bytes=settings.max_file_bytes,
        max_rows=settings.max_rows,
        max_columns=settings.max_columns,
    )
    horizon = Options().horizon_days if horizon_days is None else horizon_days
    return Options(
        k=k, columns=columns, mode=mode, limits=limits, as_of=as_of, horizon_days=horizon
    )  # type: ignore[arg-type]


def segment(
    source: bytes,
    name: str,
    options: Options,
    *,
    seconds: float,
    redact_key: bytes | None = None,
) -> tuple[SegmentationResult, bytes, bytes]:
    """The core's whole job for one file: segments, the scatter PNG and the labelled CSV.

    It runs in a child process killed past ``seconds`` (SEGBOT_JOB_TIMEOUT_S), so a file that
    would hold a worker for ever frees it instead and raises :class:`TookTooLong`, whose
    sentence tells the person what to try. With ``redact_key`` the CSV carries pseudonyms
    instead of contacts (SEGBOT_REDACT_EXPORTS).
    """
    return call_with_time_limit(_segment_work, source, name, options, redact_key, seconds=seconds)


def run_limited(
    source: bytes, name: str, options: Options, *, seconds: float
) -> SegmentationResult:
    """The segmentation alone (no picture or file) under the same wall-clock limit."""
    return call_with_time_limit(run, source, options, filename=name, seconds=seconds)


def segment_at(
    location: str,
    options: Options,
    *,
    table: str | None,
    query: str | None,
    name: str,
    seconds: float,
    redact_key: bytes | None = None,
) -> tuple[SegmentationResult, bytes, bytes]:
    """:func:`segment` for data that lives elsewhere (a file path or URL, a database table or
    query): read where it is, under the same wall-clock limit (the database's own statement
    timeout is the same number of seconds)."""
    return call_with_time_limit(
        _segment_location_work,
        location,
        options,
        table,
        query,
        name,
        seconds,
        redact_key,
        seconds=seconds,
    )


def _segment_location_work(
    location: str,
    options: Options,
    table: str | None,
    query: str | None,
    name: str,
    seconds: float,
    redact_key: bytes | None,
) -> tuple[SegmentationResult, bytes, bytes]:
    result = segment_location(
        location, options, table=table, query=query, name=name, timeout_s=seconds
    )
    return result, render_scatter(result), export_csv(result, redact_key=redact_key)


def _segment_work(
    source: bytes, name: str, options: Options, redact_key: bytes | None
) -> tuple[SegmentationResult, bytes, bytes]:
    result = run(source, options, filename=name)
    return result, render_scatter(result), export_csv(result, redact_key=redact_key)


def prepare_worker() -> None:
    """Ready this worker process for time-limited jobs (called once as each worker starts).

    Huey marks its worker processes as daemons, and multiprocessing refuses children to a
    daemon; the job children are always killed and reaped by :func:`call_with_time_limit`, so
    the worker may have them. Starting the fork server now spares the first job its imports.
    """
    multiprocessing.current_process().daemon = False
    warm_up()
