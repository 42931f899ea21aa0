"""A ``/segment`` job: the latest data file in the channel (or the demo), answered in its thread.

Problems go back privately (the command's response_url, or the thread of a message that asked
in words); the answer goes to the file's thread and is shown in the channel. ``history``,
``compare`` and ``forget`` are answered by :mod:`bot.jobs.history`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.jobs.common import (
    DEMO_FILE,
    Stages,
    download,
    latest_data_file,
    links_for,
    post_answer,
    remember_answer,
)
from bot.jobs.core import job_options, segment
from bot.jobs.history import before_answer, movement_files, record_run, run_history_command
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.slack.api import api_error, needed_scope
from bot.slack.blocks.buttons import DEMO_SOURCE, state_of
from bot.slack.blocks.replies import (
    failure_text,
    no_data_file_text,
    problem_text,
    slack_problem_text,
)
from bot.slack.files import SlackFile, check_size, upload_answer
from segmentation import (
    SegmentationError,
    demo_csv,
    render_scatter,
)

__all__ = ["respond_once", "respond_to", "run_command"]

logger = logging.getLogger(__name__)


def run_command(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Do one ``/segment`` job: problems go back privately, the answer to the channel."""
    action, channel = job["action"], job["channel"]
    respond = respond_to(client, job)
    if action in ("history", "compare", "forget"):
        run_history_command(client, settings, job, guard, respond)
        return
    what = "the demo sample" if action == "demo" else "the latest data file"
    stages = Stages()
    try:
        with stages.stage("fetch"):
            file = None if action == "demo" else latest_data_file(client, job)
            if file is None and action != "demo":
                respond_once(respond, guard, no_data_file_text())
                return
            if file is None:
                source, name = demo_csv(), "demo.csv"
            else:
                what = file.name
                check_size(file, settings.max_file_bytes)
                source, name = download(settings, client, file), file.name
        _answer(client, settings, job, guard, stages, file, source, name)
        logger.info("Answered /segment %s in %s: %s", action, channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        respond_once(respond, guard, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning("Slack refused a call for /segment in %s: %s", channel, api_error(error))
        respond_once(respond, guard, slack_problem_text(api_error(error), needed_scope(error)))
    except Exception:
        logger.exception("/segment %s failed in %s", action, channel)
        respond_once(respond, guard, failure_text(what))


def _answer(
    client: WebClient,
    settings: Settings,
    job: Job,
    guard: AnswerGuard,
    stages: Stages,
    file: SlackFile | None,
    source: bytes,
    name: str,
) -> None:
    """Segment ``source``, compare it with the channel's last run, post the answer, upload.

    A user's file (``file``; None for the demo) is answered in its own thread, like a dropped
    file: the labelled CSV carries its contact columns and goes back only where the data came
    from. The demo is neither compared nor remembered.
    """
    channel = job["channel"]
    thread_ts = file.thread_ts(channel) if file is not None else None
    columns = tuple(job["columns"]) if job.get("columns") else None
    options = job_options(
        settings,
        job.get("k"),
        columns,
        job["mode"],
        as_of=job.get("as_of"),
        horizon_days=job.get("horizon_days"),
    )
    with stages.stage("segment"):
        result, png, csv = segment(
            source,
            name,
            options,
            seconds=settings.job_timeout_s,
            redact_key=settings.redact_key,
        )
    with stages.stage("compare"):
        memory = before_answer(settings, channel, result) if file is not None else None
        if memory is not None:
            result, png = (
                memory.result,
                render_scatter(memory.result) if memory.recoloured else png,
            )
    with stages.stage("post"):
        # In the file's thread, and shown in the channel where the person typed /segment.
        ts = post_answer(
            client,
            guard,
            channel,
            thread_ts,
            result,
            job.get("user"),
            broadcast=True,
            followup=state_of(result, DEMO_SOURCE if file is None else file.id),
            memory=memory,
            keep=links_for(settings).keep,
        )
        # So "@segbot try 4 groups" under this answer knows which file it is about.
        file_id = DEMO_FILE if file is None else file.id
        remember_answer(settings, channel, thread_ts or ts, file_id, name, options, result)
    with stages.stage("upload"):
        upload_answer(
            client,
            channel=channel,
            thread_ts=thread_ts or ts,
            source_name=name,
            png=png,
            csv=csv,
            extra=movement_files(name, memory),
        )
        record_run(client, settings, channel, thread_ts or ts, memory, source, job)


def respond_to(client: WebClient, job: Job) -> Callable[..., Any]:
    """Where a command's private notes go: its response_url, or for a command written as a
    message to the bot (which has none), that message's thread."""
    if job.get("response_url"):
        return Respond(response_url=job["response_url"])

    def in_thread(text: str, **_: Any) -> None:
        client.chat_postMessage(channel=job["channel"], thread_ts=job.get("reply_ts"), text=text)

    return in_thread


def respond_once(respond: Callable[..., Any], guard: AnswerGuard, text: str) -> None:
    try:
        if guard.before_post() is not None:
            return
        respond(text=text, response_type="ephemeral")
        guard.posted("response_url")
    except ClaimLost:
        raise
    except Exception as error:  # response_url expired, network down: log, never crash a worker
        logger.error("Could not answer through response_url: %s", type(error).__name__)
