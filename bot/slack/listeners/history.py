"""``/segment forget``: a confirm button first, then the deletion runs as a job in a worker.

The listener never opens the history database: the click is recorded and queued like any
other job, and the worker replaces the prompt with what was deleted.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.queue import QueueFull, QueueUnavailable
from bot.runtime import Runtime
from bot.slack.blocks.replies import Reply, problem_text

__all__ = ["register", "forget_prompt", "handle_forget", "handle_keep", "FORGET", "KEEP"]

FORGET = "segbot_forget_confirm"
KEEP = "segbot_forget_cancel"


def register(app: App) -> None:
    """Wire the two buttons of the forget prompt."""
    app.action(FORGET)(handle_forget)
    app.action(KEEP)(handle_keep)


def forget_prompt() -> Reply:
    """The ephemeral question ``/segment forget`` answers with."""
    text = (
        "Forget this channel's history? I'll delete every run I remember here, with each "
        "customer's segment. The next run won't be compared with anything."
    )
    return Reply(
        text=text,
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {text}"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": FORGET,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Forget this channel"},
                        "value": "forget",
                    },
                    {
                        "type": "button",
                        "action_id": KEEP,
                        "text": {"type": "plain_text", "text": "Keep it"},
                        "value": "keep",
                    },
                ],
            },
        ],
    )


def handle_forget(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """The person confirmed: queue the deletion for a worker, which says how much went."""
    ack()
    channel = (body.get("channel") or {}).get("id") or context.channel_id
    job = {
        "kind": "command",
        "action": "forget",
        "k": None,
        "columns": None,
        "mode": "auto",
        "channel": channel,
        "user": (body.get("user") or {}).get("id"),
        "bot_user_id": context.bot_user_id,
        "response_url": body.get("response_url"),
        "file_hint": None,
    }
    key = f"forget:{body.get('trigger_id') or body.get('container', {}).get('message_ts')}"
    try:
        Runtime.of(context).queue.accept(key, job)
    except (QueueFull, QueueUnavailable) as refused:
        respond(text=problem_text(str(refused)), replace_original=True)


def handle_keep(ack: Ack, respond: Respond) -> None:
    """The person changed their mind."""
    ack()
    respond(
        text="Nothing was deleted; I still remember this channel's runs.", replace_original=True
    )
