"""Messages to the bot in words: ``@segbot ...`` in a channel or thread, and direct messages.

The listener only decides whether a message is for us, records one job per message in the
ledger (Slack's retries and the second event of the same message find it there) and says the
place in line. Understanding the words needs the file's headers, so it happens in the worker
(:mod:`bot.jobs.ask`); only "history" and "compare", which need no file, are turned here into the
same request ``/segment history`` and ``/segment compare`` produce and run as a command job.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.intake import post_text, start_source, tell_place
from bot.queue import QueueFull, QueueUnavailable
from bot.runtime import Runtime
from bot.slack.blocks.replies import problem_text
from bot.slack.blocks.sources import sources_reply
from bot.slack.listeners.schedules import accept_schedule_words
from bot.sources import UnknownSource, find_source, source_job, usable_here
from bot.words.asking import clean_text, parse
from bot.words.grammar import BadCommand, parse_command
from bot.words.sources import parse_source_mention

__all__ = ["register", "handle_mention", "handle_direct_message", "message_key", "is_for_us"]

logger = logging.getLogger(__name__)

# Message subtypes a person writes; everything else (edits, deletions, joins, bots) is not a
# request. ``file_share`` goes to the file listener.
_PLAIN_SUBTYPES = (None, "thread_broadcast")


def register(app: App) -> None:
    """Wire mentions and direct messages (before the catch-all ``message`` listener)."""
    app.event("app_mention")(handle_mention)
    app.event("message", matchers=[_is_direct_text])(handle_direct_message)


def _is_direct_text(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" and event.get("subtype") in _PLAIN_SUBTYPES


def message_key(channel: str, event: dict[str, Any]) -> str:
    """The ledger key of one message: the same for its ``app_mention``, ``message.im`` and
    every retry of either."""
    return f"message:{channel}:{event.get('client_msg_id') or event.get('ts')}"


def is_for_us(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """False for our own messages, other bots, edits and anything without words."""
    if event.get("bot_id") or event.get("subtype") not in _PLAIN_SUBTYPES:
        return False  # bot_message, message_changed, message_deleted, ...
    if event.get("edited") or (bot_user_id and event.get("user") == bot_user_id):
        return False
    return bool(event.get("user") and event.get("channel") and event.get("ts"))


def handle_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """``@segbot ...`` in a channel or a thread."""
    if is_for_us(event, context.bot_user_id):
        accept_message(Runtime.of(context), client, event, bot_user_id=context.bot_user_id)


def handle_direct_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A message in the bot's direct-message conversation."""
    if is_for_us(event, context.bot_user_id):
        accept_message(Runtime.of(context), client, event, bot_user_id=context.bot_user_id)


def accept_message(
    runtime: Runtime, client: WebClient, event: dict[str, Any], *, bot_user_id: str | None
) -> None:
    """Record and queue the job for one message, exactly once; say the place in line."""
    channel, user = str(event["channel"]), event.get("user")
    thread_ts = event.get("thread_ts")
    reply_ts = str(thread_ts or event["ts"])  # answer in the thread, or start one under it
    text = clean_text(str(event.get("text") or ""))
    key = message_key(channel, event)
    if accept_schedule_words(runtime, client, event, text, key):
        return
    job: dict[str, Any] = {
        "kind": "ask",
        "text": text,
        "channel": channel,
        "thread_ts": thread_ts,
        "reply_ts": reply_ts,
        "user": user,
        "bot_user_id": bot_user_id,
        "file_hint": runtime.recent.latest(channel),
    }
    if runtime.settings.sources and _accept_source(runtime, client, event, key, text):
        return
    asked = parse(text)
    if asked.kind in ("history", "compare"):
        try:
            request = parse_command(asked.kind)
        except BadCommand:
            pass  # not a /segment action (yet): the worker answers with the command's sentence
        else:
            # Exactly the job /segment would queue (bot.intake.start_command), answered in
            # this thread because a message has no response_url.
            job.update(
                kind="command",
                action=request.action,
                k=request.k,
                columns=list(request.columns) if request.columns else None,
                mode=request.mode,
                response_url=None,
            )
    try:
        place = runtime.queue.accept(key, job)
    except (QueueFull, QueueUnavailable) as refused:
        if runtime.answered.claim(key):
            post_text(client, channel, reply_ts, problem_text(str(refused)))
        return
    if place:
        # A mention in a thread has replies there; one in the channel starts a thread later.
        tell_place(client, channel, thread_ts, user, place)


def _accept_source(
    runtime: Runtime, client: WebClient, event: dict[str, Any], key: str, text: str
) -> bool:
    """``segment NAME`` (a source's name) or ``sources``: queue it, or answer it once in the
    message's thread; False when the message is not about a source."""
    channel, user = str(event["channel"]), event.get("user")
    thread_ts = event.get("thread_ts")
    reply_ts = str(thread_ts or event["ts"])
    try:
        wanted = parse_source_mention(text, runtime.settings.sources)
        if wanted is None:
            return False
        if wanted.name is None:
            reply = sources_reply(usable_here(runtime.settings, channel))
            _say_once(runtime, client, key, channel, reply_ts, reply.text, reply.blocks)
            return True
        source = find_source(runtime.settings, wanted.name, channel)
        job = source_job(source.name, channel, wanted.options, user=user, thread_ts=reply_ts)
        place = start_source(runtime, key, job)
    except (BadCommand, UnknownSource, QueueFull, QueueUnavailable) as refused:
        _say_once(runtime, client, key, channel, reply_ts, problem_text(str(refused)))
        return True
    if place:
        tell_place(client, channel, thread_ts, user, place)
    return True


def _say_once(
    runtime: Runtime,
    client: WebClient,
    key: str,
    channel: str,
    thread_ts: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    # Nothing is queued for these, so this process's memory keeps Slack's retries quiet.
    if not runtime.answered.claim(key):
        return
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
    except SlackClientError as error:
        logger.warning("Could not answer about sources in %s: %s", channel, error)
