"""Files shared where the bot is: both event kinds lead to one answer per file."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import intake
from bot.runtime import Runtime

__all__ = ["register", "handle_file_shared", "handle_file_share_message", "ignore_message"]


def register(app: App) -> None:
    """Wire file events; other messages are acked and ignored (no 'unhandled' noise)."""
    app.event("file_shared")(handle_file_shared)
    app.event({"type": "message", "subtype": "file_share"})(handle_file_share_message)
    app.event("message")(ignore_message)


def handle_file_shared(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """``file_shared`` carries only ids; the thread comes from ``files.info``'s shares."""
    channel = event.get("channel_id")
    file_id = event.get("file_id") or (event.get("file") or {}).get("id")
    if not channel or not file_id:
        return
    intake.accept_file(
        Runtime.of(context),
        client,
        file_id=str(file_id),
        channel=str(channel),
        user=event.get("user_id"),
        bot_user_id=context.bot_user_id,
    )


def handle_file_share_message(
    event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """A message with files: answer under the message (or in the thread it was posted in)."""
    channel = event.get("channel")
    if not channel:
        return
    thread_ts = event.get("thread_ts") or event.get("ts")
    for file_obj in event.get("files") or []:
        if not file_obj.get("id"):
            continue
        intake.accept_file(
            Runtime.of(context),
            client,
            file_id=str(file_obj["id"]),
            channel=str(channel),
            user=event.get("user"),
            bot_user_id=context.bot_user_id,
            thread_ts=thread_ts,
            file_obj=file_obj,
            replied_in=event.get("thread_ts"),
            share_ts=event.get("ts"),
        )


def ignore_message() -> None:
    """Ordinary chat is none of the bot's business (Bolt already acked it)."""
