"""What a worker runs for a click: the same file again with one thing changed, or its audiences.

Worker side only (imports the core through :mod:`bot.jobs.common`). The job carries the
answer's state before and after the click (see :mod:`bot.slack.blocks.buttons`); the new answer
is a new message in the same thread, saying what changed and who asked, with its own buttons.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.jobs.common import Stages, download, links_for, post, post_once
from bot.jobs.core import job_options, run_limited, segment
from bot.jobs.source import segment_source
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.slack.api import api_error, needed_scope
from bot.slack.blocks.buttons import (
    ACTION_AUDIENCE,
    ACTION_COLUMNS,
    DEMO_SOURCE,
    FollowUp,
    Keep,
    change_text,
    state_of,
)
from bot.slack.blocks.replies import failure_text, problem_text, render_answer, slack_problem_text
from bot.slack.blocks.sources import source_failure_what
from bot.slack.files import SlackFile, check_size, upload_answer, upload_audiences
from bot.slack.text import context, escape
from bot.sources import SOURCE_PREFIX, Source, find_source
from segmentation import SegmentationError, SegmentationResult, demo_csv
from segmentation.output.export import audience_files

__all__ = ["run_followup", "followup_options"]

logger = logging.getLogger(__name__)


def followup_options(op: str, before: FollowUp, after: FollowUp) -> dict[str, Any]:
    """k, columns and mode for the core: what the click changed, the rest as it was.

    A new choice of columns keeps k only when the person had fixed it; otherwise the core
    chooses k for the new columns. Audience files reproduce the answer exactly.
    """
    state = before if op == ACTION_AUDIENCE else after
    k: int | None = state.k
    if op == ACTION_COLUMNS and not after.k_given:
        k = None
    return {"k": k, "columns": tuple(state.columns) or None, "mode": state.mode}


def run_followup(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Answer one click in its thread: a new answer, or the audience files."""
    op, channel, thread_ts, user = job["op"], job["channel"], job.get("thread_ts"), job.get("user")
    before, after = FollowUp.from_json(job["before"]), FollowUp.from_json(job["after"])
    stages = Stages()
    what = "the demo sample" if after.source == DEMO_SOURCE else "that file"
    named: Source | None = None
    try:
        with stages.stage("fetch"):
            if after.source.startswith(SOURCE_PREFIX):
                named = find_source(settings, after.source, channel)
                source, name, what = b"", named.name, source_failure_what(named.name)
            elif after.source == DEMO_SOURCE:
                source, name = demo_csv(), "demo.csv"
            else:
                file = SlackFile.from_api(client.files_info(file=after.source)["file"])
                check_size(file, settings.max_file_bytes)
                source, name, what = download(settings, client, file), file.name, file.name
        options = job_options(settings, **followup_options(op, before, after))
        change = change_text(before, after, op)
        asked = f"{change}, asked by <@{user}>" if user else change
        if op == ACTION_AUDIENCE:
            # Only the audience files: no picture or labelled CSV to make.
            with stages.stage("segment"):
                if named is None:
                    result = run_limited(source, name, options, seconds=settings.job_timeout_s)
                else:
                    result = segment_source(settings, named, channel, options).result
            with stages.stage("export"):
                files = audience_files(result, redact_key=settings.redact_key)
            with stages.stage("post"):
                post(client, guard, channel, thread_ts, _audience_text(name, asked, files))
            with stages.stage("upload"):
                upload_audiences(
                    client, channel=channel, thread_ts=thread_ts, source_name=name, files=files
                )
        else:
            with stages.stage("segment"):
                if named is None:
                    result, png, csv = segment(
                        source,
                        name,
                        options,
                        seconds=settings.job_timeout_s,
                        redact_key=settings.redact_key,
                    )
                else:
                    ran = segment_source(settings, named, channel, options)
                    result, png, csv = ran.result, ran.png, ran.csv
            state = state_of(result, after.source, order_log=after.order_log or None)
            with stages.stage("post"):
                keep = links_for(settings).keep
                ts = _post_new_answer(client, guard, channel, thread_ts, result, state, asked, keep)
            with stages.stage("upload"):
                upload_answer(
                    client,
                    channel=channel,
                    thread_ts=thread_ts or ts,
                    source_name=name,
                    png=png,
                    csv=csv,
                )
        logger.info("Answered a %s click in %s: %s", op, channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        post(client, guard, channel, thread_ts, problem_text(str(problem)))
    except SlackApiError as error:
        code = api_error(error)
        logger.warning("Slack refused a call for a %s click in %s: %s", op, channel, code)
        post(client, guard, channel, thread_ts, slack_problem_text(code, needed_scope(error)))
    except Exception:
        logger.exception("A %s click failed in %s", op, channel)
        post(client, guard, channel, thread_ts, failure_text(what))


def _post_new_answer(
    client: WebClient,
    guard: AnswerGuard,
    channel: str,
    thread_ts: str | None,
    result: SegmentationResult,
    state: FollowUp,
    asked: str,
    keep: Keep,
) -> str:
    """Post the new answer once, with the line saying what changed and who asked."""
    reply = render_answer(result, followup=state, keep=keep)
    line = context(f":repeat: {asked}")
    # Right under the headline, where the reader looks first.
    blocks = [*reply.blocks[:2], line, *reply.blocks[2:]]
    return post_once(
        client,
        guard,
        channel=channel,
        thread_ts=thread_ts,
        text=f"{asked}. {reply.text}",
        blocks=blocks,
    )


def _audience_text(name: str, asked: str, files: dict[str, bytes]) -> str:
    return (
        f":busts_in_silhouette: {asked}: {len(files)} CSV files from {escape(name)}, "
        "one per segment, ready to import into Mailchimp, Klaviyo or HubSpot."
    )
