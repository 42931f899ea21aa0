"""Clicks on the buttons under an answer: ack, check the file, queue the follow-up job.

Cheap work only (one ``files.info``, one store write, at most one ``views.open``): this runs in
the listener process, which must answer Slack within 3 s and never loads the heavy stack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.queue import QueueFull, QueueUnavailable
from bot.runtime import Runtime
from bot.slack.blocks.buttons import (
    ACTION_AUDIENCE,
    ACTION_COLUMNS,
    ACTION_FEWER,
    ACTION_MORE,
    DEMO_SOURCE,
    MAX_K,
    MIN_K,
    BadValue,
    FollowUp,
    columns_modal,
    read_value,
)
from bot.slack.blocks.replies import problem_text, queue_text
from bot.sources import SOURCE_PREFIX

__all__ = [
    "register",
    "handle_segments_click",
    "handle_columns_click",
    "accept_followup",
    "file_problem",
    "thread_of",
    "tell",
]

logger = logging.getLogger(__name__)

_RERUN = re.compile(f"^({ACTION_FEWER}|{ACTION_MORE}|{ACTION_AUDIENCE})$")
_OLD_BUTTON = "That button is from an answer I can no longer read; ask again with /segment."


def register(app: App) -> None:
    """Wire the answer's buttons."""
    app.action(_RERUN)(handle_segments_click)
    app.action(ACTION_COLUMNS)(handle_columns_click)


def handle_segments_click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Fewer / More segments and Audience files: queue a job that answers in the thread."""
    ack()
    channel, user, thread_ts = _where(body)
    try:
        before = read_value(action, Runtime.of(context).links.recall)
    except BadValue:
        tell(client, channel, user, thread_ts, problem_text(_OLD_BUTTON))
        return
    op = str(action.get("action_id"))
    after = before
    if op in (ACTION_FEWER, ACTION_MORE):
        k = before.k - 1 if op == ACTION_FEWER else before.k + 1
        if not MIN_K <= k <= MAX_K:
            sentence = f"I make between {MIN_K} and {MAX_K} segments, so {k} is out of reach."
            tell(client, channel, user, thread_ts, problem_text(sentence))
            return
        after = replace(before, k=k, k_given=True)
    problem = file_problem(client, before.source, channel)
    if problem is not None:
        tell(client, channel, user, thread_ts, problem_text(problem))
        return
    accept_followup(
        Runtime.of(context),
        client,
        key=_click_key(body, action),
        op=op,
        before=before,
        after=after,
        channel=channel,
        thread_ts=thread_ts,
        user=user,
    )


def handle_columns_click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Choose columns…: open the modal at once (the trigger_id lives 3 s)."""
    ack()
    # A redelivered click would open a second modal (or fail on a used trigger_id).
    if not Runtime.of(context).answered.claim(_click_key(body, action)):
        return
    channel, user, thread_ts = _where(body)
    try:
        state = read_value(action, Runtime.of(context).links.recall)
    except BadValue:
        tell(client, channel, user, thread_ts, problem_text(_OLD_BUTTON))
        return
    problem = file_problem(client, state.source, channel)
    if problem is not None:
        tell(client, channel, user, thread_ts, problem_text(problem))
        return
    keep = Runtime.of(context).links.keep
    view = columns_modal(state, channel=channel, thread_ts=thread_ts, keep=keep)
    try:
        client.views_open(trigger_id=str(body.get("trigger_id")), view=view)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        logger.warning("views.open failed in %s: %s", channel, code)
        sentence = "Slack didn't let me open the column chooser in time; please click again."
        tell(client, channel, user, thread_ts, problem_text(sentence))


def accept_followup(
    runtime: Runtime,
    client: WebClient,
    *,
    key: str,
    op: str,
    before: FollowUp,
    after: FollowUp,
    channel: str,
    thread_ts: str | None,
    user: str | None,
) -> None:
    """Record and queue one follow-up once (a retried click has the same key)."""
    job = {
        "kind": "followup",
        "op": op,
        "before": before.to_json(),
        "after": after.to_json(),
        "channel": channel,
        "thread_ts": thread_ts,
        "user": user,
    }
    try:
        place = runtime.queue.accept(key, job)
    except (QueueFull, QueueUnavailable) as refused:
        tell(client, channel, user, thread_ts, problem_text(str(refused)))
        return
    if place:
        tell(client, channel, user, thread_ts, queue_text(place))


def file_problem(client: WebClient, source: str, channel: str) -> str | None:
    """Why this click cannot use its file (deleted, or not shared where the click was)."""
    if source == DEMO_SOURCE or source.startswith(SOURCE_PREFIX):
        return None  # a named source is checked by the worker, which holds its settings
    try:
        file = client.files_info(file=source)["file"]
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in ("file_not_found", "file_deleted"):
            return (
                "That file is no longer on Slack, so I can't segment it again; "
                "share it again and I'll start afresh."
            )
        logger.warning("files.info failed for %s in %s: %s", source, channel, code)
        return f"Slack didn't let me look at that file ({code}); please try again in a minute."
    if file.get("is_deleted") or file.get("mode") == "tombstone":
        return "That file was deleted, so I can't segment it again; share it again."
    if channel not in _shared_in(file):
        # Whoever clicks sees this channel; if the file is not shared here they may not see it.
        return (
            "That file isn't shared in this channel any more, so I can't use it for you here; "
            "share it here again."
        )
    return None


def thread_of(body: Mapping[str, Any]) -> str | None:
    """The thread a click's answer belongs in: the message's thread, or the message itself."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return (
        container.get("thread_ts")
        or message.get("thread_ts")
        or container.get("message_ts")
        or message.get("ts")
    )


def _where(body: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    channel = str((body.get("channel") or {}).get("id") or "")
    user = (body.get("user") or {}).get("id")
    return channel, user, thread_of(body)


def _shared_in(file: Mapping[str, Any]) -> set[str]:
    places = {str(c) for key in ("channels", "groups", "ims") for c in file.get(key) or []}
    for kind in ("public", "private"):
        places.update(((file.get("shares") or {}).get(kind) or {}).keys())
    return places


def _click_key(body: Mapping[str, Any], action: Mapping[str, Any]) -> str:
    # A retried delivery carries the same trigger_id and action_ts; a new click new ones.
    return f"click:{body.get('trigger_id') or ''}:{action.get('action_ts') or ''}"


def tell(
    client: WebClient, channel: str, user: str | None, thread_ts: str | None, text: str
) -> None:
    """A sentence shown only to the person who clicked."""
    if not channel or not user:
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)
    except SlackClientError as error:
        logger.warning("Could not tell %s in %s: %s", user, channel, error)
