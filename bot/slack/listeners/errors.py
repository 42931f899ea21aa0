"""The last resort for bugs in listeners: log with context, tell the person it failed."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack.blocks.replies import failure_text

__all__ = ["register", "handle_unexpected_error"]

logger = logging.getLogger("bot.errors")


def register(app: App) -> None:
    """Install the global error handler."""
    app.error(handle_unexpected_error)


def handle_unexpected_error(
    error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Log the failure (the redacting filter keeps tokens out) and tell whoever asked."""
    event = body.get("event") or {}
    kind = body.get("command") or event.get("type") or body.get("type") or "request"
    channel = context.channel_id or event.get("channel") or event.get("channel_id")
    logger.error(
        "Unexpected error handling %s (team %s, channel %s, user %s)",
        kind,
        context.team_id,
        channel,
        context.user_id,
        exc_info=error,
    )
    try:
        if body.get("response_url"):
            WebhookClient(body["response_url"]).send(
                text=failure_text(f"your {kind} request"), response_type="ephemeral"
            )
        elif channel and (
            event.get("type") == "file_shared" or event.get("subtype") == "file_share"
        ):
            thread_ts = event.get("thread_ts") or event.get("ts")
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=failure_text("that file")
            )
    except Exception as notify_error:  # telling the person failed too; the log has both
        logger.error("Could not report the failure to Slack: %s", type(notify_error).__name__)
