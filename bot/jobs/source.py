"""A named source (``/segment source NAME``, ``@segbot segment NAME``): read where it lives,
answered exactly as a dropped file is: picture, segments, labelled CSV in the thread, buttons,
and the channel's history.

The job carries the source's name only; the URL is looked up here, in the worker's own
settings, so credentials never travel through the queue, and no sentence, log line or file
name ever carries them. Split in two so a run on a schedule can reuse both halves:
:func:`segment_source` does the work, :func:`post_source_answer` says it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.jobs.common import Stages, links_for, post, post_answer, remember_answer
from bot.jobs.core import job_options, segment_at
from bot.jobs.history import Remembered, before_answer, movement_files, record_run
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.slack.api import api_error, needed_scope
from bot.slack.blocks.buttons import state_of
from bot.slack.blocks.replies import failure_text, problem_text, slack_problem_text
from bot.slack.blocks.sources import source_failure_what
from bot.slack.files import upload_answer
from bot.sources import Source, find_source
from segmentation import Options, SegmentationError, SegmentationResult, render_scatter

__all__ = ["SourceRun", "run_source", "segment_source", "post_source_answer", "without_secrets"]

logger = logging.getLogger(__name__)
# Any URL a reader's sentence quotes (the source's own, redacted or not).
_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]*[^\s\"'<>:.,;]", re.IGNORECASE)


@dataclass(frozen=True)
class SourceRun:
    """One segmentation of a source, ready to post: the result (in the colours of the
    channel's previous run), its picture and labelled CSV, and how customers moved since."""

    source: Source
    result: SegmentationResult
    png: bytes
    csv: bytes
    memory: Remembered
    options: Options


def segment_source(settings: Settings, source: Source, channel: str, options: Options) -> SourceRun:
    """Segment ``source`` under the job time limit and compare it with ``channel``'s last run.

    Raises :class:`SegmentationError` with a sentence that names the source, never its URL.
    """
    try:
        result, png, csv = segment_at(
            source.url,
            options,
            table=source.table,
            query=source.query,
            name=source.name,
            seconds=settings.job_timeout_s,
            redact_key=settings.redact_key,
        )
    except SegmentationError as problem:
        said = without_secrets(str(problem), source)
        if said != str(problem):
            # The whole sentence (URL and server already redacted by the log filter) is for
            # whoever runs segbot; the channel gets it without them.
            logger.warning("The source %s failed: %s", source.name, problem)
        raise SegmentationError(said) from None
    memory = before_answer(settings, channel, result, same_source=True)
    if memory.recoloured:
        png = render_scatter(memory.result)
    return SourceRun(source, memory.result, png, csv, memory, options)


def post_source_answer(
    client: WebClient,
    settings: Settings,
    guard: AnswerGuard,
    run: SourceRun,
    channel: str,
    *,
    thread_ts: str | None,
    user: str | None,
    broadcast: bool,
    lead: str | None,
    job: Job,
) -> str:
    """Post ``run`` once (``lead``: an optional first line), its picture and labelled CSV in
    the answer's thread, and remember it; the ts of the answer. The history's fingerprint of
    the run is the labelled CSV (the source's bytes never pass through segbot)."""
    ts = post_answer(
        client,
        guard,
        channel,
        thread_ts,
        run.result,
        user,
        broadcast=broadcast,
        followup=state_of(run.result, run.source.ref),
        memory=run.memory,
        keep=links_for(settings).keep,
        lead=lead,
    )
    # So a mention under this answer knows it is about this source (bot.jobs.ask).
    remember_answer(
        settings, channel, thread_ts or ts, run.source.ref, run.source.name, run.options, run.result
    )
    upload_answer(
        client,
        channel=channel,
        thread_ts=thread_ts or ts,
        source_name=run.source.name,
        png=run.png,
        csv=run.csv,
        extra=movement_files(run.source.name, run.memory),
    )
    record_run(client, settings, channel, thread_ts or ts, run.memory, run.csv, job)
    return ts


def run_source(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Do one source job: the answer, or one sentence, in the channel (or the mention's thread)."""
    channel, thread_ts, name = job["channel"], job.get("thread_ts"), str(job["source"])
    stages = Stages()
    try:
        # Looked up again here: the worker's settings are the ones that hold the URL.
        source = find_source(settings, name, channel)
        columns = tuple(job["columns"]) if job.get("columns") else None
        options = job_options(
            settings,
            job.get("k"),
            columns,
            job.get("mode") or "auto",
            as_of=job.get("as_of"),
            horizon_days=job.get("horizon_days"),
        )
        with stages.stage("segment"):
            run = segment_source(settings, source, channel, options)
        with stages.stage("post"):
            post_source_answer(
                client,
                settings,
                guard,
                run,
                channel,
                thread_ts=thread_ts,
                user=job.get("user"),
                broadcast=bool(job.get("broadcast")),
                lead=None,
                job=job,
            )
        logger.info("Answered the source %s in %s: %s", name, channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        post(client, guard, channel, thread_ts, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning(
            "Slack refused a call for the source %s in %s: %s", name, channel, api_error(error)
        )
        post(
            client,
            guard,
            channel,
            thread_ts,
            slack_problem_text(api_error(error), needed_scope(error)),
        )
    except Exception:
        # The log line is redacted (bot.logs); the person gets no details at all.
        logger.exception("Segmenting the source %s failed in %s", name, channel)
        post(client, guard, channel, thread_ts, failure_text(source_failure_what(name)))


def without_secrets(sentence: str, source: Source) -> str:
    """``sentence`` with the source's URL, its file's path and any password in it replaced by
    the source's name: the reader's sentences should never carry them, and this makes sure
    (the folders of the bot's machine are nobody's business in a channel)."""
    shown = f"“{source.name}”"
    parsed = urlparse(source.url)
    path = url2pathname(unquote(parsed.path)) if parsed.scheme in ("", "file") else ""
    text = _URL.sub(shown, sentence.replace(source.url, shown))
    if parsed.hostname and parsed.hostname in text:
        # A driver's words name the server ("connection to server at 10.0.0.5 failed").
        return (
            f"I couldn't reach the database behind {shown}; ask whoever runs segbot to check "
            "it (the details are in the bot's log)."
        )
    for hidden in (path, PurePath(path).name if "." in PurePath(path).name else ""):
        if hidden:
            text = text.replace(hidden, shown)
    try:
        password = parsed.password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, "[hidden]")
    return text
