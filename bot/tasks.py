"""What happens after the ack: fetch the bytes, run the core, post the answer.

Listeners call ``start_command`` / ``accept_file``; those queue ``run_command`` / ``run_file`` in
the job pool. Every path ends with a message to the person: an answer, a problem they can fix,
or "it failed on my side" (with the details in the log, never in Slack).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.jobs import QueueFull
from bot.replies import (
    failure_text,
    no_data_file_text,
    problem_text,
    queue_text,
    render_answer,
    slack_problem_text,
)
from bot.requests import SegmentCommand
from bot.runtime import Runtime
from bot.slack_files import SlackFile, check_size, download_file, upload_answer
from segmentation import (
    SegmentationError,
    SegmentationResult,
    demo_csv,
    export_csv,
    render_scatter,
    run,
)

__all__ = ["start_command", "run_command", "accept_file", "run_file"]

logger = logging.getLogger(__name__)

# How many recent files to look through when nothing was remembered for a channel.
_FILES_LIST_COUNT = 100


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


# ---------------------------------------------------------------------------- /segment


def start_command(
    runtime: Runtime,
    client: WebClient,
    respond: Respond,
    request: SegmentCommand,
    *,
    channel: str,
    user: str | None,
    bot_user_id: str | None,
) -> None:
    """Queue a ``/segment`` job (the command is already acked) and tell the person their place."""
    job = functools.partial(
        run_command,
        runtime,
        client,
        respond,
        request,
        channel=channel,
        user=user,
        bot_user_id=bot_user_id,
    )
    try:
        place, _ = runtime.jobs.submit(job, name=f"/segment {request.action} in {channel}")
    except QueueFull as busy:
        _respond(respond, problem_text(str(busy)))
        return
    if place:
        _respond(respond, queue_text(place))


def run_command(
    runtime: Runtime,
    client: WebClient,
    respond: Respond,
    request: SegmentCommand,
    *,
    channel: str,
    user: str | None,
    bot_user_id: str | None,
) -> None:
    """Do one ``/segment`` job: problems go back privately, the answer to the channel."""
    what = "the demo sample" if request.action == "demo" else "the latest data file"
    # A user's file is answered in its own thread, like a dropped file: the labelled CSV
    # carries its contact columns and goes back only where the data came from.
    thread_ts: str | None = None
    stages = _Stages()
    try:
        with stages.stage("fetch"):
            if request.action == "demo":
                source, name = demo_csv(), "demo.csv"
            else:
                file = _latest_data_file(runtime, client, channel, bot_user_id)
                if file is None:
                    _respond(respond, no_data_file_text())
                    return
                what = file.name
                thread_ts = file.thread_ts(channel)
                check_size(file, runtime.settings.max_file_bytes)
                source, name = _download(runtime, client, file), file.name
        result, png, csv = _segment(runtime, stages, source, name, request)
        with stages.stage("post"):
            # Also shown in the channel, where the person typed /segment and looks for it.
            posted = client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                reply_broadcast=True if thread_ts else None,
                **_answer_kwargs(result, user),
            )
        with stages.stage("upload"):
            upload_answer(
                client,
                channel=channel,
                thread_ts=thread_ts or str(posted["ts"]),
                source_name=name,
                png=png,
                csv=csv,
            )
        logger.info("Answered /segment %s in %s: %s", request.action, channel, stages)
    except SegmentationError as problem:
        _respond(respond, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning("Slack refused a call for /segment in %s: %s", channel, _api_error(error))
        _respond(respond, slack_problem_text(_api_error(error), _needed(error)))
    except Exception:
        logger.exception("/segment %s failed in %s", request.action, channel)
        _respond(respond, failure_text(what))


def _latest_data_file(
    runtime: Runtime, client: WebClient, channel: str, bot_user_id: str | None
) -> SlackFile | None:
    file_id = runtime.recent.latest(channel)
    if file_id is not None:
        try:
            return SlackFile.from_api(client.files_info(file=file_id)["file"])
        except SlackApiError as error:
            if _api_error(error) not in ("file_not_found", "file_deleted"):
                raise
            runtime.recent.forget(channel, file_id)
    # Nothing remembered (the bot restarted, or the file came before it joined): ask Slack.
    listed = client.files_list(channel=channel, count=_FILES_LIST_COUNT)
    candidates = [
        file
        for file in (SlackFile.from_api(obj) for obj in listed.get("files") or [])
        # The bot's own labelled CSVs are answers, not new data.
        if file.is_data and (bot_user_id is None or file.user != bot_user_id)
    ]
    return max(candidates, key=lambda f: f.created, default=None)


# ---------------------------------------------------------------------------- shared files


def accept_file(
    runtime: Runtime,
    client: WebClient,
    *,
    file_id: str,
    channel: str,
    user: str | None,
    bot_user_id: str | None,
    thread_ts: str | None = None,
    file_obj: Mapping[str, Any] | None = None,
) -> None:
    """Handle one shared file (from ``file_shared`` or a ``file_share`` message), exactly once.

    Runs in the listener after Slack's event was acked; only cheap calls happen here
    (``files.info``), the download and the segmentation are queued.
    """
    if file_obj is not None and file_obj.get("name"):
        # Message events carry the whole file object: skip images without any API call.
        if not SlackFile.from_api(file_obj).is_data:
            return
    if not runtime.answered.claim(file_id):
        return
    try:
        file = SlackFile.from_api(client.files_info(file=file_id)["file"])
    except SlackApiError as error:
        logger.warning("files.info failed for %s in %s: %s", file_id, channel, _api_error(error))
        if file_obj is not None and SlackFile.from_api(file_obj).is_data:
            _post(client, channel, thread_ts, slack_problem_text(_api_error(error), _needed(error)))
        return
    if not file.is_data or (bot_user_id is not None and file.user == bot_user_id):
        return
    runtime.recent.remember(channel, file.id, file.created)
    thread_ts = thread_ts or file.thread_ts(channel)
    try:
        check_size(file, runtime.settings.max_file_bytes)
    except SegmentationError as problem:
        _post(client, channel, thread_ts, problem_text(str(problem)))
        return
    job = functools.partial(run_file, runtime, client, file, channel=channel, thread_ts=thread_ts)
    try:
        place, _ = runtime.jobs.submit(job, name=f"{file.id} in {channel}")
    except QueueFull as busy:
        _post(client, channel, thread_ts, problem_text(str(busy)))
        return
    if place:
        _tell_place(client, channel, thread_ts, user, place)


def run_file(
    runtime: Runtime,
    client: WebClient,
    file: SlackFile,
    *,
    channel: str,
    thread_ts: str | None,
) -> None:
    """Download, segment and answer one shared file in its thread."""
    stages = _Stages()
    try:
        with stages.stage("download"):
            source = _download(runtime, client, file)
        result, png, csv = _segment(runtime, stages, source, file.name, None)
        with stages.stage("post"):
            posted = client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, **_answer_kwargs(result, None)
            )
        with stages.stage("upload"):
            upload_answer(
                client,
                channel=channel,
                thread_ts=thread_ts or str(posted["ts"]),
                source_name=file.name,
                png=png,
                csv=csv,
            )
        logger.info("Answered %s in %s: %s", file.id, channel, stages)
    except SegmentationError as problem:
        _post(client, channel, thread_ts, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning("Slack refused a call for %s in %s: %s", file.id, channel, _api_error(error))
        _post(client, channel, thread_ts, slack_problem_text(_api_error(error), _needed(error)))
    except Exception:
        logger.exception("Segmenting %s failed in %s", file.id, channel)
        _post(client, channel, thread_ts, failure_text(file.name))


# ---------------------------------------------------------------------------- helpers


def _segment(
    runtime: Runtime,
    stages: _Stages,
    source: bytes,
    name: str,
    request: SegmentCommand | None,
) -> tuple[SegmentationResult, bytes, bytes]:
    options = (
        runtime.options(request.k, request.columns, request.mode)
        if request is not None
        else runtime.options()
    )
    with stages.stage("segment"):
        result = run(source, options, filename=name)
    with stages.stage("render"):
        png = render_scatter(result)
        csv = export_csv(result, redact_key=runtime.settings.redact_key)
    return result, png, csv


def _download(runtime: Runtime, client: WebClient, file: SlackFile) -> bytes:
    token = client.token
    if token is None:
        raise RuntimeError("the Web API client has no token")
    return download_file(
        file,
        token,
        max_bytes=runtime.settings.max_file_bytes,
        api_url=runtime.settings.api_url,
        retry_handlers=client.retry_handlers,
    )


def _answer_kwargs(result: SegmentationResult, user: str | None) -> dict[str, Any]:
    reply = render_answer(result, requested_by=user)
    return {"text": reply.text, "blocks": reply.blocks}


def _tell_place(
    client: WebClient, channel: str, thread_ts: str | None, user: str | None, place: int
) -> None:
    # Only the person who shared the file needs to know; everyone else sees the answer.
    try:
        if user:
            client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, text=queue_text(place)
            )
        else:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=queue_text(place))
    except SlackClientError as error:
        logger.warning("Could not tell the place in line in %s: %s", channel, error)


def _post(client: WebClient, channel: str, thread_ts: str | None, text: str) -> None:
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except (SlackClientError, OSError) as error:
        # Nowhere left to tell the person; the log is the record.
        logger.error("Could not post to %s (thread %s): %s", channel, thread_ts, error)


def _respond(respond: Callable[..., Any], text: str) -> None:
    try:
        respond(text=text, response_type="ephemeral")
    except Exception as error:  # response_url expired, network down: log, never crash a worker
        logger.error("Could not answer through response_url: %s", type(error).__name__)


def _api_error(error: SlackApiError) -> str:
    response = error.response
    code = response.get("error") if response is not None else None
    return str(code or f"HTTP {getattr(response, 'status_code', '?')}")


def _needed(error: SlackApiError) -> str | None:
    needed = error.response.get("needed") if error.response is not None else None
    return str(needed) if needed else None
