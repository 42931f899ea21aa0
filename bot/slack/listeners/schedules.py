"""Schedules in Slack: ``/segment schedule ...``, ``schedules``, ``unschedule N``, the same in
words to the bot, and the Run now and Delete buttons of the list. Wiring only: each request
becomes a ``schedule`` job that a worker answers (:mod:`bot.jobs.schedules`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.intake import command_key, post_text
from bot.queue import QueueFull, QueueUnavailable
from bot.runtime import Runtime
from bot.slack.blocks.replies import bad_command_reply, problem_text
from bot.slack.blocks.schedules import DELETE_PATTERN, RUN_NOW_PATTERN
from bot.sources import UnknownSource, find_source
from bot.words.schedule import (
    BadSchedule,
    ScheduleRequest,
    parse_schedule_command,
    parse_schedule_words,
)

__all__ = [
    "register",
    "answer_schedule_command",
    "accept_schedule_words",
    "schedule_job",
    "handle_run_now",
    "handle_delete",
]


def register(app: App) -> None:
    """Wire the buttons of the schedules list."""
    app.action(RUN_NOW_PATTERN)(handle_run_now)
    app.action(DELETE_PATTERN)(handle_delete)


def schedule_job(
    request: ScheduleRequest,
    channel: str,
    user: str | None,
    *,
    response_url: str | None = None,
    reply_ts: str | None = None,
) -> dict[str, Any]:
    """The ``schedule`` job a worker answers (plain data)."""
    return {
        "kind": "schedule",
        "action": request.action,
        "source": request.source,
        "rule": request.rule.dump() if request.rule else None,
        "alert": request.alert,
        "quiet": request.quiet,
        "number": request.number,
        "channel": channel,
        "user": user,
        "response_url": response_url,
        "reply_ts": reply_ts,
    }


def answer_schedule_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> bool:
    """``/segment`` about schedules: queue it and ack; False when the text is about something
    else (the caller goes on)."""
    try:
        request = parse_schedule_command(command.get("text") or "")
    except BadSchedule as problem:
        reply = bad_command_reply(str(problem))
        ack(text=reply.text, blocks=reply.blocks)
        return True
    if request is None:
        return False
    runtime = Runtime.of(context)
    if request.action == "add" and request.source is not None:
        try:
            # Said at once; the worker checks again with its own settings.
            find_source(runtime.settings, request.source, str(command["channel_id"]))
        except UnknownSource as problem:
            ack(text=problem_text(str(problem)))
            return True
    job = schedule_job(
        request,
        str(command["channel_id"]),
        command.get("user_id"),
        response_url=command.get("response_url"),
    )
    try:
        place = runtime.queue.accept(command_key(command), job)
    except (QueueFull, QueueUnavailable) as refused:
        ack(text=problem_text(str(refused)))
        return True
    if place is None:
        ack()  # Slack's redelivery: the first one is being answered
    else:
        ack(text=":hourglass_flowing_sand: One moment, I'm looking at this channel's schedules.")
    return True


def accept_schedule_words(
    runtime: Runtime, client: WebClient, event: dict[str, Any], text: str, key: str
) -> bool:
    """A message to the bot about schedules: queue it once (False when it is about something
    else)."""
    channel = str(event["channel"])
    reply_ts = str(event.get("thread_ts") or event["ts"])
    try:
        request = parse_schedule_words(text)
    except BadSchedule as problem:
        if runtime.answered.claim(key):
            post_text(client, channel, reply_ts, problem_text(str(problem)))
        return True
    if request is None:
        return False
    job = schedule_job(request, channel, event.get("user"), reply_ts=reply_ts)
    try:
        runtime.queue.accept(key, job)
    except (QueueFull, QueueUnavailable) as refused:
        if runtime.answered.claim(key):
            post_text(client, channel, reply_ts, problem_text(str(refused)))
    return True


def handle_run_now(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """Run now: a worker queues the schedule's run and redraws the list."""
    ack()
    _queue_click(body, respond, context, action="run_now")


def handle_delete(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """Delete: a worker deletes the schedule and redraws the list."""
    ack()
    _queue_click(body, respond, context, action="delete")


def _queue_click(
    body: dict[str, Any], respond: Respond, context: BoltContext, *, action: str
) -> None:
    clicked = (body.get("actions") or [{}])[0]
    value = str(clicked.get("value") or "")
    if not value.isdigit():
        return
    channel = (body.get("channel") or {}).get("id") or context.channel_id
    click = body.get("trigger_id") or clicked.get("action_ts")
    job = {
        "kind": "schedule",
        "action": "run" if action == "run_now" else "delete",
        # Both buttons carry the schedule's id: its number may have been reused since.
        "id": int(value),
        "number": None,
        "channel": channel,
        "user": (body.get("user") or {}).get("id"),
        "response_url": body.get("response_url"),
        "from_list": True,
        "click": click,
    }
    try:
        Runtime.of(context).queue.accept(f"schedule-click:{click}", job)
    except (QueueFull, QueueUnavailable) as refused:
        respond(text=problem_text(str(refused)), response_type="ephemeral")
