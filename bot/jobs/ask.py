"""What a worker does with a message in words (a job of kind ``ask``): understand it against
the file it is about, and answer once in the thread.

Which file: in a thread, the one the thread is about (:mod:`bot.queue.links`, written by
every answer); at the top of a channel or a direct message, the latest data file there. The answer
is a new segmentation (another number of segments, other columns, another reading), a closer
look at one segment (with its audience file when the file has contacts), a question back when
a word fits two columns or segments, or help with three examples that work on this file.
Every answer records the thread's new state, so "more" and "segment 2" refer to it next time.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.jobs import common, core
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.slack.api import api_error, needed_scope
from bot.slack.blocks.replies import failure_text, problem_text, render_answer, slack_problem_text
from bot.slack.blocks.sources import source_thread_text
from bot.slack.files import SlackFile, check_size, upload_answer, upload_audiences
from bot.slack.text import escape
from bot.sources import SOURCE_PREFIX
from bot.words.asking import Asked, KnownSegment, examples, parse
from bot.words.grammar import BadCommand, parse_command
from segmentation import (
    Options,
    SegmentationError,
    SegmentationResult,
    demo_csv,
    load_table,
)
from segmentation.explain.describe import profile_sentence
from segmentation.model.features import personal_columns, plan_columns
from segmentation.output.export import (
    audience_files,
    customer_key_column,
    segment_slugs,
)

__all__ = ["run_ask", "segment_detail_text", "help_text"]

logger = logging.getLogger(__name__)


def run_ask(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """Answer one message in its thread (exactly one post, guarded)."""
    channel, reply_ts = job["channel"], job["reply_ts"]
    what = "your message"
    try:
        source = _source(client, settings, job)
        if source is None:
            text = (
                ":open_file_folder: I couldn't find a data file here to work on. Drop a .csv, "
                ".tsv, .txt, .xlsx or .parquet file and I'll segment it, then ask me about it in "
                "its thread."
            )
            common.post(client, guard, channel, reply_ts, text)
            return
        file_id, name, data, link = source
        what = name
        table = load_table(data, filename=name, limits=core.job_options(settings).limits)
        plan = plan_columns(table)
        headers = [str(c) for c in table.columns if c not in plan.personal]
        # Examples name columns the core would really use (not ids or free text).
        usable = [str(c) for c in (*plan.features, *plan.profile)] or headers
        known = [
            KnownSegment(s["name"], s.get("description", "")) for s in link.get("segments") or ()
        ]
        asked = parse(job["text"], headers=headers, segments=known)
        previous = core.job_options(
            settings, link.get("k"), _tuple(link.get("columns")), link.get("mode") or "auto"
        )
        needs_segments = asked.kind in ("help", "unclear", "about") and not known
        needs_k = asked.kind == "segment" and asked.k_step and link.get("k") is None
        if needs_segments or needs_k:
            # No answer of ours in this thread yet: segment as a drop would, to know its
            # segments (names to match, examples) and its number of segments ("more").
            first = core.run_limited(data, name, previous, seconds=settings.job_timeout_s)
            previous = replace(previous, k=first.k)
            known = [KnownSegment(s.name, s.description) for s in first.segments]
            asked = parse(job["text"], headers=headers, segments=known)

        if asked.kind in ("help", "unclear"):
            text = help_text(asked, usable, known, name)
            common.post(client, guard, channel, reply_ts, text)
        elif asked.kind == "ask_back":
            common.post(client, guard, channel, reply_ts, _ask_back_text(asked))
        elif asked.kind in ("history", "compare"):
            common.post(client, guard, channel, reply_ts, _command_text(asked.kind))
        elif asked.kind == "about":
            _about(client, settings, guard, job, file_id, name, data, previous, known, asked)
        else:
            _again(client, settings, guard, job, file_id, name, data, previous, asked)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        common.post(client, guard, channel, reply_ts, problem_text(str(problem)))
    except SlackApiError as error:
        code = api_error(error)
        logger.warning("Slack refused a call for a message in %s: %s", channel, code)
        common.post(client, guard, channel, reply_ts, slack_problem_text(code, needed_scope(error)))
    except Exception:
        logger.exception("Answering a message failed in %s", channel)
        common.post(client, guard, channel, reply_ts, failure_text(what))


# ---------------------------------------------------------------------------- the answers


def _again(
    client: WebClient,
    settings: Settings,
    guard: AnswerGuard,
    job: Job,
    file_id: str,
    name: str,
    data: bytes,
    previous: Options,
    asked: Asked,
) -> None:
    """Segment again with what the message changed; the same answer as a drop, in the thread."""
    k = asked.k
    if k is None and asked.k_step:
        k = max(2, (previous.k or 2) + asked.k_step)
    elif k is None and not asked.columns and not asked.mode:
        k = previous.k
    # Other columns or another reading: the number of segments is chosen afresh unless given;
    # another number of segments keeps the columns asked for before.
    new_mode = asked.mode is not None and asked.mode != previous.mode
    columns = asked.columns or (None if new_mode else previous.columns)
    options = replace(previous, k=k, columns=columns, mode=asked.mode or previous.mode)
    result, png, csv = core.segment(
        data, name, options, seconds=settings.job_timeout_s, redact_key=settings.redact_key
    )
    channel, reply_ts = job["channel"], job["reply_ts"]
    reply = render_answer(result, requested_by=job.get("user"))
    lead = _matched_text(asked)
    common.post_once(
        client,
        guard,
        channel=channel,
        thread_ts=reply_ts,
        text=f"{lead}\n{reply.text}" if lead else reply.text,
        blocks=([_section(lead)] if lead else []) + reply.blocks,
    )
    upload_answer(client, channel=channel, thread_ts=reply_ts, source_name=name, png=png, csv=csv)
    common.remember_answer(settings, channel, reply_ts, file_id, name, options, result)


def _about(
    client: WebClient,
    settings: Settings,
    guard: AnswerGuard,
    job: Job,
    file_id: str,
    name: str,
    data: bytes,
    previous: Options,
    known: list[KnownSegment],
    asked: Asked,
) -> None:
    """A closer look at one segment of the thread's answer, and its audience file."""
    result = core.run_limited(data, name, previous, seconds=settings.job_timeout_s)
    wanted = known[asked.segment or 0].name if known else None
    segment = next((s for s in result.segments if s.name == wanted), None)
    if segment is None:  # the file changed since: fall back to the same position
        segment = result.segments[min(asked.segment or 0, len(result.segments) - 1)]
    channel, reply_ts = job["channel"], job["reply_ts"]
    text = segment_detail_text(result, segment.id)
    common.post_once(
        client, guard, channel=channel, thread_ts=reply_ts, text=text, blocks=[_section(text)]
    )
    if _has_contacts(result):
        files = audience_files(result, redact_key=settings.redact_key)
        slug = segment_slugs([s.name for s in result.segments])[
            [s.id for s in result.segments].index(segment.id)
        ]
        upload_audiences(
            client,
            channel=channel,
            thread_ts=reply_ts,
            source_name=name,
            files={f"{slug}.csv": files[f"{slug}.csv"]},
        )


def segment_detail_text(result: SegmentationResult, segment_id: int) -> str:
    """One segment for a person: size, its centre against the whole base, profile, what to do."""
    segment = next(s for s in result.segments if s.id == segment_id)
    total = sum(s.size for s in result.segments) or 1
    lines = [
        f":{segment.marker}: *{escape(segment.name)}* — {segment.size} customers "
        f"({round(100 * segment.size / total)}% of {total})",
        "*Its centre against the whole base:*",
    ]
    for column in result.features:
        base = sum(s.centroid[column] * s.size for s in result.segments) / total
        lines.append(
            f"• {escape(column)}: {_number(segment.centroid[column])} "
            f"(everyone: {_number(base)}) — {segment.levels.get(column, 'medium')}"
        )
    profile = profile_sentence(segment.profile) if segment.profile else ""
    if profile:
        lines.append(f"*Who they are:* {escape(profile)}")
    lines.append(f"*What it means and what to do:* {escape(segment.description)}")
    if segment.stability is not None:
        lines.append(f"_It comes back in {round(100 * segment.stability)}% of reshuffled runs._")
    return "\n".join(lines)


def help_text(asked: Asked, headers: list[str], known: list[KnownSegment], name: str) -> str:
    """Help with three examples that work on this file."""
    opening = (
        "Here's what you can ask me about"
        if asked.kind == "help"
        else "Sorry, I didn't understand that. You can ask me about"
    )
    tried = "\n".join(f"• `@segbot {escape(e)}`" for e in examples(headers, known))
    return (
        f":speech_balloon: {opening} *{escape(name)}* in words, for example:\n{tried}\n"
        "I also understand a number of segments (“4 groups”, “more”, “fewer”), columns by "
        "their everyday name, “as orders” or “as customers”, “segment 2”, “history” and "
        "“compare”."
    )


def _ask_back_text(asked: Asked) -> str:
    options = " or ".join(f"“{escape(c)}”" for c in asked.choices)
    again = "tell me more about" if asked.choosing_segment else "what about"
    return (
        f":thinking_face: “{escape(asked.word)}” fits {options} equally well. Which one did you "
        f"mean? Ask again with its name, e.g. `@segbot {again} {escape(asked.choices[0])}`."
    )


def _command_text(action: str) -> str:
    try:
        parse_command(action)
    except BadCommand as problem:
        return problem_text(str(problem))
    return problem_text(f"Type /segment {action} to see it.")


def _matched_text(asked: Asked) -> str:
    if not asked.matched:
        return ""
    pairs = ", ".join(f"“{escape(word)}” → `{escape(h)}`" for word, h in asked.matched)
    return f":mag: I read {pairs}."


# ---------------------------------------------------------------------------- the data


def _source(
    client: WebClient, settings: Settings, job: Job
) -> tuple[str, str, bytes, dict[str, Any]] | None:
    """(file id, name, bytes, the thread's link) of the data this message is about."""
    channel = job["channel"]
    link: dict[str, Any] = {}
    if job.get("thread_ts"):
        link = common.links_for(settings).get(channel, job["thread_ts"]) or {}
    if link.get("file") == common.DEMO_FILE:
        return common.DEMO_FILE, "demo.csv", demo_csv(), link
    if str(link.get("file") or "").startswith(SOURCE_PREFIX):
        # A named source is read where it lives, never fetched as bytes: say how to ask.
        raise SegmentationError(source_thread_text(str(link.get("name") or link["file"])))
    file: SlackFile | None = None
    if link.get("file"):
        file = SlackFile.from_api(client.files_info(file=link["file"])["file"])
    elif job.get("thread_ts"):
        # A thread we have no record of (an answer older than the links): its own file.
        file = _thread_file(client, channel, job["thread_ts"], job.get("bot_user_id"))
    if file is None:
        file = common.latest_data_file(client, job)
    if file is None:
        return None
    check_size(file, settings.max_file_bytes)
    return file.id, file.name, common.download(settings, client, file), link


def _thread_file(
    client: WebClient, channel: str, thread_ts: str, bot_user_id: str | None
) -> SlackFile | None:
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
    except SlackApiError:
        return None
    for message in replies.get("messages") or []:
        for obj in message.get("files") or []:
            file = SlackFile.from_api(obj)
            if file.is_data and (bot_user_id is None or file.user != bot_user_id):
                return file
    return None


def _has_contacts(result: SegmentationResult) -> bool:
    # Contacts or a customer key to import into a mailing tool; a file without any gets no
    # audience file (its rows would be numbered only, which no tool can use).
    table = result.table.drop(columns=["segment", "segment_name"], errors="ignore")
    return bool(personal_columns(table)) or customer_key_column(result) is not None


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"


def _tuple(value: Any) -> tuple[str, ...] | None:
    return tuple(value) if value else None
