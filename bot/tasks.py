"""What a worker runs for one accepted job: fetch the bytes, run the core, post the answer.

Only worker processes import this module (it loads the heavy stack through ``segmentation``).
Jobs arrive as plain data from the ledger (see :mod:`bot.queue`); every path ends with one
message to the person: an answer, a problem they can fix, or "it failed on my side" (with the
details in the log, never in Slack). Each post first asks the :class:`~bot.queue.AnswerGuard`
whether an earlier attempt already posted, so a job run twice still answers once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.answers import remember_answer, run_ask
from bot.config import Settings
from bot.followups import DEMO_SOURCE, FollowUp, state_of
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.replies import (
    failure_text,
    no_data_file_text,
    problem_text,
    render_answer,
    slack_problem_text,
)
from bot.slack_files import (
    SlackFile,
    build_retry_handlers,
    check_size,
    download_file,
    upload_answer,
)
from bot.threads import DEMO_FILE
from segmentation import (
    Limits,
    Options,
    SegmentationError,
    SegmentationResult,
    demo_csv,
    export_csv,
    render_scatter,
    run,
)
from segmentation.deadline import call_with_time_limit, warm_up

if TYPE_CHECKING:
    from bot.history import Remembered

__all__ = [
    "run_job",
    "run_command",
    "run_file",
    "segment",
    "job_options",
    "prepare_worker",
    "run_limited",
    "post_once",
]

logger = logging.getLogger(__name__)

# How many recent files to look through when the listener remembered none for a channel.
_FILES_LIST_COUNT = 100
# One Web API client per worker process (built after the fork).
_clients: dict[tuple[int, str, str], WebClient] = {}


class _Stages:
    """Wall-clock time per stage of a job, for the log line that closes it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - start

    def __str__(self) -> str:
        return ", ".join(f"{name} {s:.2f}s" for name, s in self.seconds.items())


def run_job(job: Job, settings: Settings, guard: AnswerGuard) -> None:
    """Run one job from the ledger (``kind`` is ``file`` or ``command``)."""
    client = _client(settings)
    if job["kind"] == "file":
        run_file(client, settings, job, guard)
    elif job["kind"] == "followup":
        from bot.followup_tasks import run_followup

        run_followup(client, settings, job, guard)
    elif job["kind"] == "ask":
        run_ask(client, settings, job, guard)
    else:
        run_command(client, settings, job, guard)


def job_options(
    settings: Settings,
    k: int | None = None,
    columns: tuple[str, ...] | None = None,
    mode: str = "auto",
    *,
    as_of: str | None = None,
    horizon_days: float | None = None,
) -> Options:
    """Core options for one job, with this bot's limits."""
    limits = Limits(
        max_bytes=settings.max_file_bytes,
        max_rows=settings.max_rows,
        max_columns=settings.max_columns,
    )
    horizon = Options().horizon_days if horizon_days is None else horizon_days
    return Options(
        k=k, columns=columns, mode=mode, limits=limits, as_of=as_of, horizon_days=horizon
    )  # type: ignore[arg-type]


def _command_options(settings: Settings, job: Job) -> Options:
    """The core options a ``/segment`` job asked for."""
    columns = tuple(job["columns"]) if job.get("columns") else None
    return job_options(
        settings,
        job.get("k"),
        columns,
        job["mode"],
        as_of=job.get("as_of"),
        horizon_days=job.get("horizon_days"),
    )


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


# ---------------------------------------------------------------------------- /segment


def run_command(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Do one ``/segment`` job: problems go back privately, the answer to the channel."""
    action, channel, user = job["action"], job["channel"], job.get("user")
    if action in ("history", "compare", "forget"):
        from bot.history import run_history_command

        run_history_command(client, settings, job, guard, _respond_to(client, job))
        return
    respond = _respond_to(client, job)
    what = "the demo sample" if action == "demo" else "the latest data file"
    # A user's file is answered in its own thread, like a dropped file: the labelled CSV
    # carries its contact columns and goes back only where the data came from.
    thread_ts: str | None = None
    source_id = DEMO_SOURCE
    stages = _Stages()
    try:
        with stages.stage("fetch"):
            if action == "demo":
                source, name = demo_csv(), "demo.csv"
            else:
                file = _latest_data_file(client, job)
                if file is None:
                    _respond(respond, guard, no_data_file_text())
                    return
                what = file.name
                source_id = file.id
                thread_ts = file.thread_ts(channel)
                check_size(file, settings.max_file_bytes)
                source, name = _download(settings, client, file), file.name
        options = _command_options(settings, job)
        with stages.stage("segment"):
            result, png, csv = segment(
                source,
                name,
                options,
                seconds=settings.job_timeout_s,
                redact_key=settings.redact_key,
            )
        with stages.stage("compare"):
            memory = _before_answer(settings, channel, result) if action != "demo" else None
            if memory is not None:
                result, png = (
                    memory.result,
                    render_scatter(memory.result) if memory.recoloured else png,
                )
        with stages.stage("post"):
            # In the file's thread, and shown in the channel where the person typed /segment.
            ts = _post_answer(
                client,
                guard,
                channel,
                thread_ts,
                result,
                user,
                broadcast=True,
                followup=state_of(result, source_id),
                memory=memory,
            )
            # So "@segbot try 4 groups" under this answer knows which file it is about.
            file_id = DEMO_FILE if action == "demo" else file.id
            remember_answer(settings, channel, thread_ts or ts, file_id, name, options, result)
        with stages.stage("upload"):
            upload_answer(
                client,
                channel=channel,
                thread_ts=thread_ts or ts,
                source_name=name,
                png=png,
                csv=csv,
                extra=_movement_files(name, memory),
            )
            _after_answer(client, settings, channel, thread_ts or ts, name, memory, source, job)
        logger.info("Answered /segment %s in %s: %s", action, channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        _respond(respond, guard, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning("Slack refused a call for /segment in %s: %s", channel, _api_error(error))
        _respond(respond, guard, slack_problem_text(_api_error(error), _needed(error)))
    except Exception:
        logger.exception("/segment %s failed in %s", action, channel)
        _respond(respond, guard, failure_text(what))


def _latest_data_file(client: WebClient, job: Job) -> SlackFile | None:
    channel, bot_user_id = job["channel"], job.get("bot_user_id")
    file_id = job.get("file_hint")
    if file_id is not None:
        try:
            return SlackFile.from_api(client.files_info(file=file_id)["file"])
        except SlackApiError as error:
            if _api_error(error) not in ("file_not_found", "file_deleted"):
                raise
    # Nothing remembered (the listener restarted, or the file came before it joined): ask Slack.
    listed = client.files_list(channel=channel, count=_FILES_LIST_COUNT)
    candidates = [
        file
        for file in (SlackFile.from_api(obj) for obj in listed.get("files") or [])
        # The bot's own labelled CSVs are answers, not new data.
        if file.is_data and (bot_user_id is None or file.user != bot_user_id)
    ]
    return max(candidates, key=lambda f: f.created, default=None)


# ---------------------------------------------------------------------------- shared files


def run_file(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Download, segment and answer one shared file in its thread."""
    channel, thread_ts = job["channel"], job.get("thread_ts")
    stages = _Stages()
    name = "that file"
    try:
        file = SlackFile.from_api(client.files_info(file=job["file_id"])["file"])
        name = file.name
        thread_ts = thread_ts or file.thread_ts(channel)
        check_size(file, settings.max_file_bytes)
        with stages.stage("download"):
            source = _download(settings, client, file)
        with stages.stage("segment"):
            result, png, csv = segment(
                source,
                file.name,
                job_options(settings),
                seconds=settings.job_timeout_s,
                redact_key=settings.redact_key,
            )
        with stages.stage("compare"):
            memory = _before_answer(settings, channel, result)
            result, png = memory.result, render_scatter(memory.result) if memory.recoloured else png
        with stages.stage("post"):
            ts = _post_answer(
                client,
                guard,
                channel,
                thread_ts,
                result,
                None,
                followup=state_of(result, file.id),
                memory=memory,
            )
            options = job_options(settings)
            remember_answer(settings, channel, thread_ts or ts, file.id, file.name, options, result)
        with stages.stage("upload"):
            upload_answer(
                client,
                channel=channel,
                thread_ts=thread_ts or ts,
                source_name=file.name,
                png=png,
                csv=csv,
                extra=_movement_files(file.name, memory),
            )
            _after_answer(
                client, settings, channel, thread_ts or ts, file.name, memory, source, job
            )
        logger.info("Answered %s in %s: %s", file.id, channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        _post(client, guard, channel, thread_ts, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning(
            "Slack refused a call for %s in %s: %s", job["file_id"], channel, _api_error(error)
        )
        text = slack_problem_text(_api_error(error), _needed(error))
        _post(client, guard, channel, thread_ts, text)
    except Exception:
        logger.exception("Segmenting %s failed in %s", job["file_id"], channel)
        _post(client, guard, channel, thread_ts, failure_text(name))


# ---------------------------------------------------------------------------- history


def _before_answer(settings: Settings, channel: str, result: SegmentationResult) -> Remembered:
    from bot.history import before_answer

    return before_answer(settings, channel, result)


def _movement_files(name: str, memory: Remembered | None) -> list[dict[str, Any]]:
    if memory is None or memory.movement is None:
        return []
    from bot.history import movement_file

    return [movement_file(name, memory.movement)]


def _after_answer(
    client: WebClient,
    settings: Settings,
    channel: str,
    thread_ts: str,
    name: str,
    memory: Remembered | None,
    source: bytes,
    job: Job,
) -> None:
    """Remember the answered run (worker side only); say so in the thread when that failed."""
    if memory is None:
        return
    from bot.history import after_answer

    options = {k: job.get(k) for k in ("k", "columns", "mode") if job.get(k) is not None}
    note = after_answer(settings, channel, memory, source, options)
    if note and memory.note is None:
        # The answer is out already; say in its thread that this run was not remembered.
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=note)


# ---------------------------------------------------------------------------- helpers


def _client(settings: Settings) -> WebClient:
    key = (os.getpid(), settings.api_url, settings.bot_token)
    client = _clients.get(key)
    if client is None:
        client = WebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            retry_handlers=build_retry_handlers(),
            logger=logging.getLogger("bot.slack_api"),
        )
        _clients[key] = client
    return client


def _download(settings: Settings, client: WebClient, file: SlackFile) -> bytes:
    return download_file(
        file,
        settings.bot_token,
        max_bytes=settings.max_file_bytes,
        api_url=settings.api_url,
        retry_handlers=client.retry_handlers,
    )


def _post_answer(
    client: WebClient,
    guard: AnswerGuard,
    channel: str,
    thread_ts: str | None,
    result: SegmentationResult,
    user: str | None,
    *,
    broadcast: bool = False,
    followup: FollowUp | None = None,
    memory: Remembered | None = None,
) -> str:
    """Post the answer once; the ts of the answer (an earlier attempt's, if it posted).

    ``broadcast`` shows a reply in a thread in the channel too (Slack's reply_broadcast).
    """
    reply = render_answer(result, requested_by=user, followup=followup)
    if memory is not None:
        from bot.history import add_movement

        reply = add_movement(reply, memory.movement, memory.note)
    return post_once(
        client,
        guard,
        channel=channel,
        thread_ts=thread_ts,
        reply_broadcast=True if broadcast and thread_ts else None,
        text=reply.text,
        blocks=reply.blocks,
    )


def post_once(client: WebClient, guard: AnswerGuard, **message: Any) -> str:
    """``chat.postMessage`` unless this job's answer was posted already (by an earlier attempt
    of the same job); the ts of the answer either way."""
    earlier = guard.before_post()
    if earlier is not None:
        logger.info("The answer in %s was posted before (%s)", message.get("channel"), earlier)
        return earlier
    ts = str(client.chat_postMessage(**message)["ts"])
    guard.posted(ts)
    return ts


def _post(
    client: WebClient, guard: AnswerGuard, channel: str, thread_ts: str | None, text: str
) -> None:
    try:
        post_once(client, guard, channel=channel, thread_ts=thread_ts, text=text)
    except (SlackClientError, OSError) as error:
        # Nowhere left to tell the person; the log is the record.
        logger.error("Could not post to %s (thread %s): %s", channel, thread_ts, error)


def _respond_to(client: WebClient, job: Job) -> Callable[..., Any]:
    """Where a command's private notes go: its response_url, or for a command written as a
    message to the bot (which has none), that message's thread."""
    if job.get("response_url"):
        return Respond(response_url=job["response_url"])

    def in_thread(text: str, **_: Any) -> None:
        client.chat_postMessage(channel=job["channel"], thread_ts=job.get("reply_ts"), text=text)

    return in_thread


def _respond(respond: Callable[..., Any], guard: AnswerGuard, text: str) -> None:
    try:
        if guard.before_post() is not None:
            return
        respond(text=text, response_type="ephemeral")
        guard.posted("response_url")
    except ClaimLost:
        raise
    except Exception as error:  # response_url expired, network down: log, never crash a worker
        logger.error("Could not answer through response_url: %s", type(error).__name__)


def _api_error(error: SlackApiError) -> str:
    response = error.response
    code = response.get("error") if response is not None else None
    return str(code or f"HTTP {getattr(response, 'status_code', '?')}")


def _needed(error: SlackApiError) -> str | None:
    needed = error.response.get("needed") if error.response is not None else None
    return str(needed) if needed else None
