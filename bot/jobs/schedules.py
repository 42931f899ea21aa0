"""The ``schedule`` job: add, list, delete and "Run now" a channel's schedules (in a worker).

The listener only parses and queues (it never opens the database). Here the source name is
checked against the sources the admin defined (``SEGBOT_SOURCES``; people only ever pick a
name), the asker's time zone is read from Slack (``users.info``), and the schedule is stored.
"Run now" queues the schedule's run like the ticker does, keyed by the click.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.jobs.history import UNREACHABLE, history_for
from bot.queue import AnswerGuard, ClaimLost, Job, JobQueue, QueueFull, QueueUnavailable
from bot.slack.api import api_error
from bot.slack.blocks.replies import Reply, problem_text
from bot.slack.blocks.schedules import (
    added_text,
    deleted_text,
    running_text,
    schedules_reply,
)
from bot.sources import UnknownSource, find_source
from bot.store import StoreUnavailable
from bot.store.schedules import ScheduleLimit, Schedules
from bot.ticker import schedule_key, scheduled_job, utc_now
from bot.words.schedule import Rule, next_due

__all__ = ["run_schedule", "user_zone"]

logger = logging.getLogger(__name__)

# The listener's job queue, for "Run now" (one per worker process, built after the fork).
_queues: dict[tuple[int, str], JobQueue] = {}


def user_zone(client: WebClient, user: str | None) -> tuple[str, bool]:
    """The IANA time zone Slack has for ``user`` and whether Slack said it (else UTC)."""
    if not user:
        return "UTC", False
    try:
        tz = client.users_info(user=user)["user"].get("tz")
    except SlackApiError as error:
        # missing_scope (no users:read) or user_not_found: UTC, and the answer says so.
        logger.warning("users.info failed for a schedule: %s", api_error(error))
        return "UTC", False
    return (str(tz), True) if tz else ("UTC", False)


def run_schedule(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Answer one schedule request; problems and lists go to the asker, additions too."""
    action = job["action"]
    try:
        schedules = Schedules(history_for(settings))
        if action == "add":
            reply = _add(client, settings, schedules, job)
        elif action == "list":
            reply = _listed(schedules, job["channel"], note=None)
        elif action == "delete":
            reply = _delete(schedules, job)
        else:
            reply = _run_now(settings, schedules, job)
    except ClaimLost:
        raise
    except ScheduleLimit as full:
        reply = Reply(text=problem_text(str(full)), blocks=[])
    except StoreUnavailable as error:
        logger.warning("Schedules unavailable in %s: %s", job["channel"], error)
        reply = Reply(text=problem_text(UNREACHABLE), blocks=[])
    _send(client, guard, job, reply)


def _add(client: WebClient, settings: Settings, schedules: Schedules, job: Job) -> Reply:
    try:
        # Only a source the admin defined, and one this channel may use.
        source = find_source(settings, str(job["source"]), job["channel"])
    except UnknownSource as problem:
        return Reply(text=problem_text(str(problem)), blocks=[])
    tz, known = user_zone(client, job.get("user"))
    rule = Rule.load(job["rule"])
    made = schedules.add(
        job["channel"],
        source.name,
        rule.dump(),
        tz,
        alert=float(job["alert"]),
        quiet=bool(job["quiet"]),
        creator=str(job.get("user") or ""),
        next_due=next_due(rule, tz, utc_now()),
    )
    return Reply(text=added_text(made, zone_known=known), blocks=[])


def _listed(schedules: Schedules, channel: str, note: str | None) -> Reply:
    return schedules_reply(schedules.listed(channel), note=note)


def _delete(schedules: Schedules, job: Job) -> Reply:
    if job.get("id") is not None:
        gone = schedules.remove(job["channel"], schedule_id=int(job["id"]))
        number = gone.number if gone is not None else 0
    else:
        number = int(job["number"])
        gone = schedules.remove(job["channel"], number)
    note = deleted_text(gone, number)
    if job.get("from_list"):
        # The Delete button: the list is redrawn without it.
        return _listed(schedules, job["channel"], note=note)
    return Reply(text=note, blocks=[])


def _run_now(settings: Settings, schedules: Schedules, job: Job) -> Reply:
    stored = schedules.get(int(job["id"]))
    if stored is None or stored.channel != job["channel"]:
        return _listed(schedules, job["channel"], note="That schedule was deleted.")
    if stored.paused:
        # Run now starts a paused schedule again from its next due time.
        schedules.resume(stored.id, next_due(Rule.load(stored.rule), stored.tz, utc_now()))
    key = schedule_key(stored.id, None, now_key=str(job.get("click") or ""))
    try:
        _queue_for(settings).accept(key, scheduled_job(stored, None))
    except (QueueFull, QueueUnavailable) as refused:
        return Reply(text=problem_text(str(refused)), blocks=[])
    return _listed(schedules, job["channel"], note=running_text(stored))


def _queue_for(settings: Settings) -> JobQueue:
    key = (os.getpid(), settings.queue_url or str(settings.data_dir))
    queue = _queues.get(key)
    if queue is None:
        queue = _queues[key] = JobQueue(settings)
    return queue


def _send(client: WebClient, guard: AnswerGuard, job: Job, reply: Reply) -> None:
    """To the asker: the command's response_url (ephemeral, or the list redrawn in place), or
    the thread of a message that asked in words."""
    if guard.before_post() is not None:
        return
    message: dict[str, Any] = {"text": reply.text}
    if reply.blocks:
        message["blocks"] = reply.blocks
    try:
        if job.get("response_url"):
            Respond(response_url=job["response_url"])(
                **message,
                response_type="ephemeral",
                replace_original=bool(job.get("from_list")),
            )
            guard.posted("response_url")
        else:
            posted = client.chat_postMessage(
                channel=job["channel"], thread_ts=job.get("reply_ts"), **message
            )
            guard.posted(str(posted["ts"]))
    except (SlackClientError, OSError) as error:
        logger.error("Could not answer a schedule request in %s: %s", job["channel"], error)
    except Exception as error:  # response_url expired: log, never crash a worker
        logger.error("Could not answer through response_url: %s", type(error).__name__)
