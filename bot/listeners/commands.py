"""``/segment``: parse, ack at once with a short note, queue the work."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import tasks
from bot.replies import bad_command_reply, busy_text, problem_text, usage_reply, working_text
from bot.requests import BadCommand, parse_command
from bot.runtime import Runtime

__all__ = ["register", "handle_segment"]


def register(app: App) -> None:
    """Wire the slash command."""
    app.command("/segment")(handle_segment)


def handle_segment(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Answer help and mistakes in the ack itself; everything else runs after the ack."""
    try:
        request = parse_command(command.get("text") or "")
    except BadCommand as problem:
        reply = bad_command_reply(str(problem))
        ack(text=reply.text, blocks=reply.blocks)
        return
    if request.action == "help":
        reply = usage_reply()
        ack(text=reply.text, blocks=reply.blocks)
        return
    runtime = Runtime.of(context)
    if runtime.jobs.full:
        # Say so in the ack itself rather than "working on it" followed by "too busy".
        ack(text=problem_text(busy_text()))
        return
    ack(text=working_text(request.action))
    tasks.start_command(
        runtime,
        client,
        respond,
        request,
        channel=str(command["channel_id"]),
        user=command.get("user_id"),
        bot_user_id=context.bot_user_id,
    )
