"""``/segment``: parse, record and queue the job, and ack with a short note and the place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot import intake
from bot.runtime import Runtime
from bot.slack.blocks.replies import bad_command_reply, usage_reply
from bot.slack.listeners.schedules import answer_schedule_command
from bot.words.grammar import BadCommand, parse_command

__all__ = ["register", "handle_segment"]


def register(app: App) -> None:
    """Wire the slash command."""
    app.command("/segment")(handle_segment)


def handle_segment(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """Answer help and mistakes in the ack itself; the work is queued before the ack, so the
    ack can say "working on it" with the place in line, or that it cannot be taken now."""
    if answer_schedule_command(ack, command, context):
        return
    try:
        request = parse_command(command.get("text") or "")
    except BadCommand as problem:
        reply = bad_command_reply(str(problem))
        ack(text=reply.text, blocks=reply.blocks)
        return
    if request.action == "forget":
        from bot.slack.listeners.history import forget_prompt

        reply = forget_prompt()
        ack(text=reply.text, blocks=reply.blocks)
        return
    if request.action == "help":
        reply = usage_reply()
        ack(text=reply.text, blocks=reply.blocks)
        return
    text = intake.start_command(
        Runtime.of(context), request, command, bot_user_id=context.bot_user_id
    )
    if text is None:
        ack()  # Slack delivered this invocation twice; the first one is being answered
    else:
        ack(text=text)
