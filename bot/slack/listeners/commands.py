"""``/segment``: parse, record and queue the job, and ack with a short note and the place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot import intake
from bot.queue import QueueFull, QueueUnavailable
from bot.runtime import Runtime
from bot.slack.blocks.replies import bad_command_reply, problem_text, queue_text, usage_reply
from bot.slack.blocks.sources import source_working_text, sources_reply
from bot.slack.listeners.schedules import answer_schedule_command
from bot.sources import UnknownSource, find_source, source_job, usable_here
from bot.words.grammar import BadCommand, parse_command
from bot.words.sources import SourceRequest, parse_source_command

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
        wanted = parse_source_command(command.get("text") or "")
        if wanted is not None:
            _source(ack, wanted, command, Runtime.of(context))
            return
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


def _source(ack: Ack, wanted: SourceRequest, command: dict[str, Any], runtime: Runtime) -> None:
    """``/segment sources`` lists this channel's names in the ack; ``/segment source NAME``
    queues the job (its name only) and says so, or says in one sentence why not."""
    channel = str(command["channel_id"])
    if wanted.name is None:
        reply = sources_reply(usable_here(runtime.settings, channel))
        ack(text=reply.text, blocks=reply.blocks)
        return
    try:
        source = find_source(runtime.settings, wanted.name, channel)
    except UnknownSource as problem:
        ack(text=problem_text(str(problem)))
        return
    job = source_job(
        source.name,
        channel,
        wanted.options,
        user=command.get("user_id"),
        response_url=command.get("response_url"),
    )
    try:
        place = intake.start_source(runtime, intake.command_key(command), job)
    except (QueueFull, QueueUnavailable) as refused:
        ack(text=problem_text(str(refused)))
        return
    if place is None:
        ack()  # Slack delivered this invocation twice; the first one is being answered
        return
    text = source_working_text(source.name)
    ack(text=f"{text}\n{queue_text(place)}" if place else text)
