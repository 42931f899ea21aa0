"""A shared file's job: download it, segment it, answer in its thread, remember the run."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.jobs.common import Stages, download, links_for, post, post_answer, remember_answer
from bot.jobs.core import job_options, segment
from bot.jobs.history import before_answer, movement_files, record_run
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.slack.api import api_error, needed_scope
from bot.slack.blocks.buttons import state_of
from bot.slack.blocks.replies import failure_text, problem_text, slack_problem_text
from bot.slack.files import SlackFile, check_size, upload_answer
from segmentation import (
    SegmentationError,
    render_scatter,
)

__all__ = ["run_file"]

logger = logging.getLogger(__name__)


def run_file(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Download, segment and answer one shared file in its thread."""
    channel, thread_ts = job["channel"], job.get("thread_ts")
    stages = Stages()
    name = "that file"
    try:
        file = SlackFile.from_api(client.files_info(file=job["file_id"])["file"])
        name = file.name
        thread_ts = thread_ts or file.thread_ts(channel)
        check_size(file, settings.max_file_bytes)
        with stages.stage("download"):
            source = download(settings, client, file)
        with stages.stage("segment"):
            result, png, csv = segment(
                source,
                file.name,
                job_options(settings),
                seconds=settings.job_timeout_s,
                redact_key=settings.redact_key,
            )
        with stages.stage("compare"):
            memory = before_answer(settings, channel, result)
            result, png = memory.result, render_scatter(memory.result) if memory.recoloured else png
        with stages.stage("post"):
            ts = post_answer(
                client,
                guard,
                channel,
                thread_ts,
                result,
                None,
                followup=state_of(result, file.id),
                memory=memory,
                keep=links_for(settings).keep,
            )
            options = job_options(settings)
            remember_answer(settings, channel, thread_ts or ts, file.id, file.name, options, result)
        with stages.stage("upload"):
            upload_answer(
                client,
                channel=channel,
                thread_ts=thread_ts or ts,
                source_name=file.name,
                png=png,
                csv=csv,
                extra=movement_files(file.name, memory),
            )
            record_run(client, settings, channel, thread_ts or ts, memory, source, job)
        logger.info("Answered %s in %s: %s", file.id, channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        post(client, guard, channel, thread_ts, problem_text(str(problem)))
    except SlackApiError as error:
        logger.warning(
            "Slack refused a call for %s in %s: %s", job["file_id"], channel, api_error(error)
        )
        text = slack_problem_text(api_error(error), needed_scope(error))
        post(client, guard, channel, thread_ts, text)
    except Exception:
        logger.exception("Segmenting %s failed in %s", job["file_id"], channel)
        post(client, guard, channel, thread_ts, failure_text(name))
