"""The listener's side of a job: recognise repeats, record and queue the job, say the place.

Everything here is cheap (one store call, at most one ``files.info``): it runs in the listener
process, which must ack Slack within 3 s and never loads the heavy stack. The work itself runs
in a worker (:mod:`bot.jobs`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.queue import QueueFull, QueueUnavailable
from bot.runtime import Runtime
from bot.slack.api import api_error, needed_scope
from bot.slack.blocks.replies import (
    external_file_text,
    problem_text,
    queue_text,
    slack_problem_text,
    working_text,
)
from bot.slack.files import SlackFile, check_size
from bot.words.grammar import SegmentCommand
from segmentation.errors import SegmentationError

__all__ = [
    "start_command",
    "start_source",
    "accept_file",
    "command_key",
    "file_key",
    "post_text",
    "tell_place",
]

logger = logging.getLogger(__name__)


def file_key(file_id: str, channel: str, share_ts: str | None) -> str:
    """The ledger key of one share of a file: the same for both of Slack's events and their
    retries; the same file shared again (in another channel, or later) is a new share."""
    return f"file:{file_id}:{channel}:{share_ts or ''}"


def command_key(command: Mapping[str, Any]) -> str:
    """The ledger key of one ``/segment`` invocation (a redelivered envelope has the same)."""
    return f"command:{command.get('trigger_id') or command.get('response_url')}"


def start_command(
    runtime: Runtime,
    request: SegmentCommand,
    command: Mapping[str, Any],
    *,
    bot_user_id: str | None,
) -> str | None:
    """Record and queue a ``/segment`` job; the text for the ack (None for a repeat)."""
    channel = str(command["channel_id"])
    job = {
        "kind": "command",
        "action": request.action,
        "k": request.k,
        "columns": list(request.columns) if request.columns else None,
        "mode": request.mode,
        "as_of": request.as_of,
        "horizon_days": request.horizon_days,
        "channel": channel,
        "user": command.get("user_id"),
        "bot_user_id": bot_user_id,
        "response_url": command.get("response_url"),
        "file_hint": runtime.recent.latest(channel),
    }
    try:
        place = runtime.queue.accept(command_key(command), job)
    except (QueueFull, QueueUnavailable) as refused:
        return problem_text(str(refused))
    if place is None:
        return None
    text = working_text(request.action)
    return f"{text}\n{queue_text(place)}" if place else text


def start_source(runtime: Runtime, key: str, job: Mapping[str, Any]) -> int | None:
    """Record and queue a source job (:func:`bot.sources.source_job`) under ``key``, through
    the same ledger as files and commands, so it is answered exactly once; its place in line
    (0: started now), or None when ``key`` was accepted before (a retry).

    Raises :class:`QueueFull` or :class:`QueueUnavailable`, whose sentence says why not now.
    """
    return runtime.queue.accept(key, dict(job))


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
    replied_in: str | None = None,
    share_ts: str | None = None,
) -> None:
    """Handle one shared file (from ``file_shared`` or a ``file_share`` message), exactly once.

    Runs after Slack's event was acked. Which event comes first, and in which listener process,
    does not matter: the ledger accepts a file once. ``replied_in`` is the thread the file was
    posted into as a reply (None for a file posted in the channel itself); ``share_ts`` the ts
    of the message that shared it, when the event says (``files.info`` says otherwise).
    """
    if file_obj is not None and file_obj.get("name"):
        # Message events carry the whole file object: skip images without any API call.
        seen = SlackFile.from_api(file_obj)
        if not seen.is_table:
            return
    if share_ts is not None:
        try:
            if runtime.queue.known(file_key(file_id, channel, share_ts)):
                return
        except QueueUnavailable:
            pass  # said below, once files.info tells whether it is data and where its thread is
    try:
        file = SlackFile.from_api(client.files_info(file=file_id)["file"])
    except SlackApiError as error:
        code = api_error(error)
        logger.warning("files.info failed for %s in %s: %s", file_id, channel, code)
        if file_obj is not None and SlackFile.from_api(file_obj).is_data:
            post_text(client, channel, thread_ts, slack_problem_text(code, needed_scope(error)))
        return
    if not file.is_table or (bot_user_id is not None and file.user == bot_user_id):
        return
    key = file_key(file.id, channel, share_ts or file.share_ts(channel))
    thread_ts = thread_ts or file.thread_ts(channel)
    if file.is_external:
        # Its link leads to Google Drive (or another service): the bot token never goes
        # there, so the person uploads the file itself. Said once per share.
        _say_once(runtime, client, key, channel, thread_ts, external_file_text(file.name))
        return
    runtime.recent.remember(channel, file.id, file.created)
    job = {
        "kind": "file",
        "file_id": file.id,
        "channel": channel,
        "thread_ts": thread_ts,
        "user": user,
    }
    try:
        place = runtime.queue.ledger.accept(key, job)
    except (QueueFull, QueueUnavailable) as refused:
        _refuse_once(runtime, client, key, channel, thread_ts, str(refused))
        return
    if place is None:
        return  # the other event (or a retry) got here first
    try:
        check_size(file, runtime.settings.max_file_bytes)
    except SegmentationError as problem:
        post_text(client, channel, thread_ts, problem_text(str(problem)))
        runtime.queue.finish(key)
        return
    runtime.queue.enqueue(key)
    if place:
        tell_place(client, channel, replied_in, user, place)


def _say_once(
    runtime: Runtime,
    client: WebClient,
    key: str,
    channel: str,
    thread_ts: str | None,
    sentence: str,
) -> None:
    """A sentence for this share, once whichever event (or retry) gets here first."""
    try:
        first = runtime.queue.ledger.accept(key, {"kind": "note", "channel": channel}) is not None
    except (QueueFull, QueueUnavailable):
        first = runtime.answered.claim(key)
    else:
        if first:
            runtime.queue.finish(key)
    if first:
        post_text(client, channel, thread_ts, problem_text(sentence))


def _refuse_once(
    runtime: Runtime,
    client: WebClient,
    key: str,
    channel: str,
    thread_ts: str | None,
    sentence: str,
) -> None:
    # Nothing was recorded in the store, so the other event of this upload would say it again;
    # this process's own memory keeps it to one sentence per file.
    if runtime.answered.claim(key):
        post_text(client, channel, thread_ts, problem_text(sentence))


def tell_place(
    client: WebClient, channel: str, thread_ts: str | None, user: str | None, place: int
) -> None:
    """Say the place in line where it is seen: in ``thread_ts`` only when that thread already
    has replies (Slack never shows an ephemeral message in a thread without any), otherwise in
    the channel itself. Only the person who asked needs to know; everyone sees the answer."""
    text = queue_text(place, in_thread=thread_ts is not None)
    try:
        if user:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)
        else:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except SlackClientError as error:
        logger.warning("Could not tell the place in line in %s: %s", channel, error)


def post_text(client: WebClient, channel: str, thread_ts: str | None, text: str) -> None:
    """Post a short note from the listener; a failure is logged, there is nowhere else to say it."""
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except (SlackClientError, OSError) as error:
        logger.error("Could not post to %s (thread %s): %s", channel, thread_ts, error)
