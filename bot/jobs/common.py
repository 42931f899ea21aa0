"""What every kind of job shares: the Slack client, download, posting once, thread links.

Worker side only (it loads the heavy stack through ``segmentation``). Jobs arrive as plain data
from the ledger (see :mod:`bot.queue`); every path ends with one message to the person: an
answer, a problem they can fix, or "it failed on my side" (with the details in the log, never in
Slack). Each post first asks the :class:`~bot.queue.AnswerGuard` whether an earlier attempt
already posted, so a job run twice still answers once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.jobs.history import Remembered, add_movement
from bot.queue import AnswerGuard, Handler, Job, ThreadLinks
from bot.slack.api import api_error
from bot.slack.blocks.buttons import DEMO_SOURCE, FollowUp, Keep
from bot.slack.blocks.replies import Reply, render_answer
from bot.slack.files import SlackFile, build_retry_handlers, download_file
from bot.slack.text import fit_message, section
from segmentation import (
    Options,
    SegmentationResult,
)

__all__ = [
    "DEMO_FILE",
    "Stages",
    "client_for",
    "download",
    "handler",
    "latest_data_file",
    "links_for",
    "post",
    "post_answer",
    "post_once",
    "remember_answer",
]

logger = logging.getLogger(__name__)

# The file id recorded in a thread's link for answers about the built-in sample.
DEMO_FILE = DEMO_SOURCE
# How many recent files to look through when the listener remembered none for a channel.
_FILES_LIST_COUNT = 100
# One Web API client per worker process (built after the fork).
_clients: dict[tuple[int, str, str], WebClient] = {}
# One thread-link store per settings object (and process: it reconnects after a fork).
_links: dict[int, ThreadLinks] = {}

# A job function before it is registered: it takes the worker's Slack client first.
Run = Callable[[WebClient, Settings, Job, AnswerGuard], None]


class Stages:
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


def handler(run_job: Run) -> Handler:
    """``run_job`` as the queue calls it, with this worker process's Slack client."""

    def handle(job: Job, settings: Settings, guard: AnswerGuard) -> None:
        run_job(client_for(settings), settings, job, guard)

    return handle


def client_for(settings: Settings) -> WebClient:
    """This worker process's Web API client, with segbot's retry policy (built after the fork)."""
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


def download(settings: Settings, client: WebClient, file: SlackFile) -> bytes:
    """The bytes of ``file``, within the bot's size limit and with its retry policy."""
    return download_file(
        file,
        settings.bot_token,
        max_bytes=settings.max_file_bytes,
        api_url=settings.api_url,
        retry_handlers=client.retry_handlers,
    )


def latest_data_file(client: WebClient, job: Job) -> SlackFile | None:
    """The file a job without one is about: the one the listener saw last in the channel, or
    else the newest data file Slack lists there (never one of the bot's own answers)."""
    channel, bot_user_id = job["channel"], job.get("bot_user_id")
    file_id = job.get("file_hint")
    if file_id is not None:
        try:
            return SlackFile.from_api(client.files_info(file=file_id)["file"])
        except SlackApiError as error:
            if api_error(error) not in ("file_not_found", "file_deleted"):
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


def post_answer(
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
    keep: Keep | None = None,
    lead: str | None = None,
) -> str:
    """Post the answer once; the ts of the answer (an earlier attempt's, if it posted).

    ``broadcast`` shows a reply in a thread in the channel too (Slack's reply_broadcast);
    ``keep`` stores a follow-up state too long for a button (:meth:`ThreadLinks.keep`);
    ``lead`` (mrkdwn, already escaped) is a first line above the answer, such as an alert.
    """
    reply = render_answer(result, requested_by=user, followup=followup, keep=keep)
    if memory is not None:
        reply = add_movement(reply, memory.movement, memory.note)
    if lead:
        reply = Reply(text=f"{lead}\n{reply.text}", blocks=[section(lead), *reply.blocks])
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
    # Whatever the file, the message stays within what Slack takes (bot.slack.text).
    ts = str(client.chat_postMessage(**fit_message(message))["ts"])
    guard.posted(ts)
    return ts


def post(
    client: WebClient, guard: AnswerGuard, channel: str, thread_ts: str | None, text: str
) -> None:
    """Post a short text once (a problem, a failure); a failure to post is only logged."""
    try:
        post_once(client, guard, channel=channel, thread_ts=thread_ts, text=text)
    except (SlackClientError, OSError) as error:
        # Nowhere left to tell the person; the log is the record.
        logger.error("Could not post to %s (thread %s): %s", channel, thread_ts, error)


# ---------------------------------------------------------------------------- thread links


def links_for(settings: Settings) -> ThreadLinks:
    """One link store per settings object (and process: it reconnects after a fork)."""
    store = _links.get(id(settings))
    if store is None:
        store = _links[id(settings)] = ThreadLinks(settings)
    return store


def remember_answer(
    settings: Settings,
    channel: str,
    thread_ts: str,
    file_id: str,
    name: str,
    options: Options,
    result: SegmentationResult,
) -> None:
    """Record that ``thread_ts`` is about ``file_id`` and its newest answer is ``result``.

    Never fails the job that calls it: a lost link only means the next mention there uses the
    channel's latest file.
    """
    link = {
        "file": file_id,
        "name": name,
        "k": result.k,
        "columns": list(options.columns) if options.columns else None,
        "mode": options.mode,
        "segments": [{"name": s.name, "description": s.description} for s in result.segments],
    }
    try:
        links_for(settings).remember(channel, thread_ts, link)
    except Exception as error:
        logger.warning("Could not record the thread %s in %s: %s", thread_ts, channel, error)
