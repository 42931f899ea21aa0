"""The "Choose columns" modal submitted: errors back into the modal, or a follow-up queued."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.blocks.buttons import (
    ACTION_COLUMNS,
    COLUMNS_BLOCK,
    COLUMNS_VIEW,
    BadValue,
    read_submission,
)
from bot.slack.blocks.replies import problem_text
from bot.slack.listeners.actions import accept_followup, file_problem, tell

__all__ = ["register", "handle_columns_submitted"]


def register(app: App) -> None:
    """Wire the modal's submission."""
    app.view(COLUMNS_VIEW)(handle_columns_submitted)


def handle_columns_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Fewer than two columns: the sentence shows in the modal. Otherwise close it and queue."""
    try:
        submission = read_submission(view, Runtime.of(context).links.recall)
    except BadValue:
        ack()
        return
    if submission.error is not None or submission.after is None:
        ack(response_action="errors", errors={COLUMNS_BLOCK: submission.error or ""})
        return
    ack()
    user = (body.get("user") or {}).get("id")
    channel, thread_ts = submission.channel, submission.thread_ts
    problem = file_problem(client, submission.after.source, channel)
    if problem is not None:
        tell(client, channel, user, thread_ts, problem_text(problem))
        return
    accept_followup(
        Runtime.of(context),
        client,
        # One submission of one modal: a redelivery carries the same view id.
        key=f"view:{view.get('id')}",
        op=ACTION_COLUMNS,
        before=submission.before,
        after=submission.after,
        channel=channel,
        thread_ts=thread_ts,
        user=user,
    )
