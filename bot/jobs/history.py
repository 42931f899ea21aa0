"""The history job and the history part of every answer: compare a fresh result with the
channel's previous run, remember it once answered, and answer ``/segment history``, ``compare``
and ``forget`` (``/segment`` jobs whose action is one of those; see :mod:`bot.jobs.command`).

Only worker processes import this module (it loads the core). A database that cannot be reached
never costs the person their answer: the answer says, in one line, that the run was not
remembered, and the bot stays up.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.config import Settings
from bot.queue import AnswerGuard, Job
from bot.slack.blocks.replies import Reply
from bot.slack.files import safe_stem
from bot.slack.text import escape
from bot.store import History, StoreUnavailable
from segmentation import SegmentationError, SegmentationResult
from segmentation.model.compare import Movement, RunSnapshot, carry_colours, compare, snapshot

__all__ = [
    "Remembered",
    "before_answer",
    "after_answer",
    "history_for",
    "run_history_command",
    "add_movement",
    "upload_movement",
    "movement_file",
    "movement_files",
    "record_run",
    "NOT_REMEMBERED",
    "UNREACHABLE",
]

logger = logging.getLogger(__name__)

NOT_REMEMBERED = (
    "I couldn't reach my history database, so this run was not remembered (the next one "
    "can't be compared with it)."
)
UNREACHABLE = "I couldn't reach my history database just now; please try again in a few minutes."

_histories: dict[tuple[int, str], History] = {}
_lock = threading.Lock()


def history_for(settings: Settings) -> History:
    """This process's history database, migrated to the newest tables on first use.

    Raises
    ------
    StoreUnavailable
        The database can't be reached (nothing is cached, so the next job tries again).
    """
    from bot.store import history_url

    key = (os.getpid(), history_url(settings))
    with _lock:
        history = _histories.get(key)
        if history is not None:
            return history
        try:
            history = History.from_settings(settings)
        except (OSError, ValueError) as error:
            raise StoreUnavailable(type(error).__name__) from error
        except Exception as error:  # KeyUnavailable: the data folder can't keep the key
            raise StoreUnavailable(str(error)) from error
        try:
            history.migrate()
        except StoreUnavailable:
            # Two worker processes migrating a new SQLite file at once: the loser retries.
            time.sleep(0.5)
            history.migrate()
        try:
            expired = history.expire()
            if expired:
                logger.info(
                    "Deleted %s customer rows older than %s days", expired, settings.history_days
                )
        except StoreUnavailable:
            pass
        _histories[key] = history
        return history


@dataclass
class Remembered:
    """What the history adds to one answer."""

    result: SegmentationResult
    snapshot: RunSnapshot | None
    movement: Movement | None
    note: str | None  # NOT_REMEMBERED when the database could not be reached
    recoloured: bool = False


def before_answer(
    settings: Settings, channel: str, result: SegmentationResult, *, same_source: bool = False
) -> Remembered:
    """Compare ``result`` with the channel's previous comparable run, if any (with
    ``same_source``, the previous run of the same named source: a source's runs compare with
    each other, not with a file someone dropped in between).

    Continuing segments take their previous colours (``recoloured`` says the picture must be
    drawn again).
    """
    try:
        history = history_for(settings)
        snap = snapshot(result, key=history.pseudonym)
        source = result.source_name if same_source else None
        previous = history.previous(channel, snap.mode, list(snap.features), source=source)
    except StoreUnavailable as error:
        logger.warning("History unavailable for %s: %s", channel, error)
        return Remembered(result, None, None, NOT_REMEMBERED)
    if previous is None:
        return Remembered(result, snap, None, None)
    try:
        movement = compare(RunSnapshot.from_dict(previous.model, previous.members), snap)
    except (SegmentationError, KeyError, ValueError, TypeError):
        # A stored run this version can't read must not cost the answer; it is still remembered.
        logger.exception("Could not compare with run %s in %s", previous.id, channel)
        return Remembered(result, snap, None, None)
    coloured = carry_colours(result, movement)
    changed = [s.color for s in coloured.segments] != [s.color for s in result.segments]
    return Remembered(coloured, snap, movement, None, recoloured=changed)


def after_answer(
    settings: Settings,
    channel: str,
    remembered: Remembered,
    source: bytes,
    options: dict[str, Any],
) -> str | None:
    """Remember the answered run; NOT_REMEMBERED when that failed (else None)."""
    if remembered.snapshot is None:
        return remembered.note
    result = remembered.result
    try:
        history = history_for(settings)
        history.record(
            channel,
            remembered.snapshot.to_dict(),
            remembered.snapshot.members,
            sha256=hashlib.sha256(source).hexdigest(),
            options=options,
            segments=[
                {
                    "name": s.name,
                    "size": s.size,
                    "share": s.share,
                    "centroid": dict(s.centroid),
                    "stability": s.stability,
                }
                for s in result.segments
            ],
        )
        history.expire()
    except StoreUnavailable as error:
        logger.warning("Could not remember the run in %s: %s", channel, error)
        return NOT_REMEMBERED
    return None


def add_movement(reply: Reply, movement: Movement | None, note: str | None) -> Reply:
    """``reply`` with the since-last-time lines after its headline, and the history note."""
    blocks = list(reply.blocks)
    text = reply.text
    if movement is not None:
        lines = movement.lines()
        section = {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":arrows_counterclockwise: " + escape("\n".join(lines))[:2900],
            },
        }
        blocks.insert(min(2, len(blocks)), section)
        text = f"{text}\n{lines[0]}"
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})
    return Reply(text=text, blocks=blocks)


def movement_file(source_name: str, movement: Movement) -> dict[str, Any]:
    """The movement picture as one entry of a ``files_upload_v2`` call."""
    from segmentation.output.render import render_movement

    stem = safe_stem(source_name)
    return {
        "content": render_movement(movement),
        "filename": f"{stem}-movement.png",
        "title": f"{stem}: how customers moved since last time",
    }


def movement_files(source_name: str, memory: Remembered | None) -> list[dict[str, Any]]:
    """The movement picture to upload with an answer, when there is a movement to show."""
    if memory is None or memory.movement is None:
        return []
    return [movement_file(source_name, memory.movement)]


def record_run(
    client: WebClient,
    settings: Settings,
    channel: str,
    thread_ts: str,
    memory: Remembered | None,
    source: bytes,
    job: Job,
) -> None:
    """Remember the answered run; say so in the thread when that failed."""
    if memory is None:
        return
    options = {k: job.get(k) for k in ("k", "columns", "mode") if job.get(k) is not None}
    note = after_answer(settings, channel, memory, source, options)
    if note and memory.note is None:
        # The answer is out already; say in its thread that this run was not remembered.
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=note)


def upload_movement(
    client: WebClient, channel: str, thread_ts: str | None, source_name: str, movement: Movement
) -> None:
    """The movement picture into a thread, on its own (``/segment compare``)."""
    client.files_upload_v2(
        file_uploads=[movement_file(source_name, movement)], channel=channel, thread_ts=thread_ts
    )


# ---------------------------------------------------------------------------- commands


def run_history_command(
    client: WebClient,
    settings: Settings,
    job: Job,
    guard: AnswerGuard,
    respond: Callable[..., Any],
) -> None:
    """``/segment history`` (ephemeral list), ``compare`` (to the channel), ``forget``.

    ``respond`` sends the private notes: the command's response_url, or the thread of a
    message that asked in words.
    """
    action, channel = job["action"], job["channel"]
    if guard.before_post() is not None:
        return
    try:
        history = history_for(settings)
        if action == "history":
            respond(text=history_text(history, channel), response_type="ephemeral")
        elif action == "forget":
            runs, customers = history.forget(channel)
            respond(text=forgotten_text(runs, customers), replace_original=True)
        else:
            _compare_last_two(client, history, channel, respond, job.get("user"))
    except StoreUnavailable as error:
        logger.warning("History unavailable for /segment %s in %s: %s", action, channel, error)
        respond(text=UNREACHABLE, response_type="ephemeral")
    guard.posted("response_url")


def history_text(history: History, channel: str) -> str:
    """The channel's last 10 runs, newest first: date, file, k and segment sizes."""
    runs = history.runs(channel, limit=10)
    if not runs:
        return (
            "I have no runs remembered in this channel yet. Drop a customer file or an order "
            "log, or type `/segment`, and I'll remember it."
        )
    lines = [f"*The last {len(runs)} run{'s' if len(runs) > 1 else ''} in this channel*"]
    for run in runs:
        sizes = ", ".join(f"{escape(name)} {size:,}" for name, size in run.sizes)
        lines.append(
            f"• {run.created_at:%d %b %Y %H:%M} UTC, {escape(run.source)}: {run.k} segments "
            f"of {run.rows:,} customers ({sizes})"
        )
    return "\n".join(lines)


def forgotten_text(runs: int, customers: int) -> str:
    """What ``/segment forget`` deleted."""
    if not runs:
        return "There was nothing remembered in this channel, so nothing was deleted."
    return (
        f":wastebasket: Forgotten: {runs:,} run{'s' if runs != 1 else ''} and {customers:,} "
        "customer record" + ("s" if customers != 1 else "") + " of this channel were deleted."
    )


def _compare_last_two(
    client: WebClient,
    history: History,
    channel: str,
    respond: Callable[..., Any],
    user: str | None,
) -> None:
    runs = history.last_two(channel)
    if len(runs) < 2:
        respond(
            text="I need two runs in this channel to compare; I remember "
            f"{len(runs)}. Drop the next file and I'll compare it with the last one.",
            response_type="ephemeral",
        )
        return
    newest, older = runs
    current = RunSnapshot.from_dict(newest.model, newest.members)
    previous = RunSnapshot.from_dict(older.model, older.members)
    try:
        movement = compare(previous, current)
    except SegmentationError as problem:  # not comparable: a sentence that says why
        respond(text=str(problem), response_type="ephemeral")
        return
    lines = movement.lines()
    head = f"*{escape(current.source)} compared with {escape(previous.source)}*"
    if user:
        head += f" (asked for by <@{user}>)"
    posted = client.chat_postMessage(channel=channel, text=f"{head}\n" + escape("\n".join(lines)))
    upload_movement(client, channel, str(posted["ts"]), current.source, movement)
