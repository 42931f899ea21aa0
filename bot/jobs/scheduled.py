"""A scheduled run's own parts: the alert line, whether to post, and failures said once.

The alert compares the fresh result with the previous run of the same source in the channel's
history (the run the movement lines compare with): a valuable segment (Champions, Loyal, Can't lose
them; for a customer file, its highest-spend segment) that lost at least the schedule's share
of its customers (5% unless ``alert=``) to a slipping segment, or any segment whose size
changed by 20% or more (or the schedule's share, when larger). One line, the most costly first:
"97 Loyal slipped to Hibernating since last month ($6,250 of past spend)."

Worker side only (it loads the core through :mod:`bot.jobs.history`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.jobs.common import Stages, post
from bot.jobs.core import job_options
from bot.jobs.history import after_answer, history_for
from bot.jobs.source import post_source_answer, run_source, segment_source
from bot.queue import AnswerGuard, ClaimLost, Job
from bot.slack.api import api_error
from bot.slack.text import escape
from bot.sources import find_source
from bot.store import StoreUnavailable
from bot.store.schedules import PAUSE_AFTER, Schedules
from segmentation import SegmentationError, SegmentationResult
from segmentation.explain.describe import spend_column
from segmentation.model.compare import RunSnapshot, compare, key_text, snapshot
from segmentation.read.orders.money import format_money

__all__ = [
    "run_scheduled",
    "run_source_job",
    "SIZE_CHANGE",
    "SLIPPING",
    "VALUABLE",
    "alert_for",
    "failure_text",
    "lead_text",
    "find_alert",
    "schedule_failed",
    "schedule_succeeded",
    "should_post",
    "since_words",
]

logger = logging.getLogger(__name__)

# The segments a shop can't afford to lose, and the ones customers slip into.
VALUABLE = ("Champions", "Loyal", "Can't lose them")
SLIPPING = ("Needs attention", "At risk", "Can't lose them", "Hibernating", "Lost")
# Any segment growing or shrinking by this share is worth a line on its own.
SIZE_CHANGE = 0.20


def since_words(every: str | None) -> str:
    """What "since" means for a schedule that runs ``every`` day, week or month."""
    return {
        "daily": "since yesterday",
        "weekly": "since last week",
        "monthly": "since last month",
    }.get(every or "", "since last time")


def run_source_job(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """The ``source`` handler: a run of a schedule here, any other to :func:`run_source`."""
    if job.get("schedule"):
        run_scheduled(client, settings, job, guard)
    else:
        run_source(client, settings, job, guard)


def run_scheduled(client: WebClient, settings: Settings, job: Job, guard: AnswerGuard) -> None:
    """One run of a schedule: the usual answer in the channel, headed by the alert line (a
    quiet schedule without an alert posts nothing and is still remembered); a failure is one
    sentence in the channel, and the third in a row pauses the schedule."""
    plan, channel, name = job["schedule"], job["channel"], str(job["source"])
    number = int(plan["number"])
    stages = Stages()
    if plan.get("due") is not None and not _still_there(settings, int(plan["id"])):
        logger.info("Schedule %s was deleted before its run; nothing to do", plan["id"])
        return
    try:
        source = find_source(settings, name, channel)
        with stages.stage("segment"):
            run = segment_source(settings, source, channel, job_options(settings))
        with stages.stage("alert"):
            alert = alert_for(
                settings, channel, run.result, float(plan["alert"]), every=plan.get("every")
            )
        with stages.stage("post"):
            if should_post(plan, alert):
                post_source_answer(
                    client,
                    settings,
                    guard,
                    run,
                    channel,
                    thread_ts=None,
                    user=None,
                    broadcast=False,
                    lead=lead_text(number, name, alert),
                    job=job,
                )
            else:
                # Quiet and nothing to say: remembered all the same, so the next run compares
                # with this one.
                after_answer(settings, channel, run.memory, run.csv, {})
        schedule_succeeded(settings, int(plan["id"]))
        logger.info("Schedule %s answered in %s: %s", plan["id"], channel, stages)
    except ClaimLost:
        raise
    except SegmentationError as problem:
        paused = schedule_failed(settings, int(plan["id"]), str(problem))
        post(client, guard, channel, None, failure_text(number, name, str(problem), paused=paused))
    except SlackApiError as error:
        # Slack refused (the bot left the channel...): nothing to say it with; not the source's
        # fault, so the schedule is not counted against.
        logger.warning("Slack refused schedule %s in %s: %s", plan["id"], channel, api_error(error))
    except Exception:
        logger.exception("Schedule %s failed in %s", plan["id"], channel)
        sentence = "something went wrong on my side (it is logged)"
        paused = schedule_failed(settings, int(plan["id"]), sentence)
        post(client, guard, channel, None, failure_text(number, name, sentence, paused=paused))


def lead_text(number: int, source: str, alert: str | None) -> str:
    """The first line of a scheduled answer: the alert, or which schedule this is."""
    if alert is not None:
        return f":rotating_light: *{escape(alert)}*"
    return f":calendar: Scheduled run {number}: *{escape(source)}*"


def _still_there(settings: Settings, schedule_id: int) -> bool:
    try:
        return Schedules(history_for(settings)).get(schedule_id) is not None
    except StoreUnavailable:
        return True  # the run goes on; the answer says if it was not remembered


def alert_for(
    settings: Settings,
    channel: str,
    result: SegmentationResult,
    threshold: float,
    *,
    every: str | None = None,
) -> str | None:
    """The alert line for ``result`` against the previous run of the same source in the
    channel (a file dropped in between is not what the schedule compares with), or None.

    Call it before the run is remembered (the answer records it). A history that can't be
    reached, or no previous run, gives no alert: the answer still goes out.
    """
    try:
        history = history_for(settings)
        current = snapshot(result, key=history.pseudonym)
        previous = history.previous(
            channel, current.mode, list(current.features), source=result.source_name
        )
    except StoreUnavailable as error:
        logger.warning("No alert for %s: the history is unreachable (%s)", channel, error)
        return None
    if previous is None:
        return None
    before = RunSnapshot.from_dict(previous.model, previous.members)
    spend, currency = spend_by_customer(result, history.pseudonym)
    try:
        return find_alert(before, current, spend, threshold, since_words(every), currency)
    except (SegmentationError, KeyError, ValueError, TypeError):
        logger.exception("Could not look for an alert against run %s in %s", previous.id, channel)
        return None


def spend_by_customer(
    result: SegmentationResult, key: Callable[[str], str]
) -> tuple[dict[str, float], str | None]:
    """Each customer's past spend under ``key`` (as the history keeps them), and its currency."""
    from segmentation.output.export import customer_key_column

    table = result.table
    column = "monetary" if result.mode == "rfm" else spend_column(list(result.features))
    key_column = customer_key_column(result)
    if column is None or key_column is None or column not in table.columns:
        return {}, None
    currency = table.attrs.get("currency", {}).get(column)
    if result.mode != "rfm" and currency is None:
        return {}, None  # a score, not money: no spend to put at stake
    spend: dict[str, float] = {}
    for raw, value in zip(table[key_column].tolist(), table[column].tolist(), strict=True):
        text = key_text(raw)
        if text and value == value:  # NaN is no spend
            spend[key(text)] = float(value)
    return spend, currency or "$"


def find_alert(
    previous: RunSnapshot,
    current: RunSnapshot,
    spend: Mapping[str, float],
    threshold: float,
    since: str,
    currency: str | None = "$",
) -> str | None:
    """The one alert line for ``previous`` -> ``current`` (pure), or None.

    ``spend`` maps a customer's key to their past spend; ``threshold`` is the share of a
    valuable segment's customers that must slip before it is said.
    """
    line = _slipped(previous, current, spend, threshold, since, currency)
    if line is not None:
        return line
    return _resized(previous, current, max(SIZE_CHANGE, threshold), since)


def _base(name: str) -> str:
    # "At risk (higher spend)" is an At risk segment.
    return name.split(" (")[0]


def _valuable(run: RunSnapshot) -> set[int]:
    if run.mode == "rfm":
        return {s.id for s in run.segments if _base(s.name) in VALUABLE}
    column = spend_column(list(run.features))
    if column is None or not run.segments:
        return set()
    j = run.features.index(column)
    return {max(run.segments, key=lambda s: s.centre[j] if s.centre else 0.0).id}


def _slipping(run: RunSnapshot) -> set[int]:
    if run.mode == "rfm":
        return {s.id for s in run.segments if _base(s.name) in SLIPPING}
    # A customer file: every segment but the highest-spend one is a step down.
    return {s.id for s in run.segments} - _valuable(run)


def _slipped(
    previous: RunSnapshot,
    current: RunSnapshot,
    spend: Mapping[str, float],
    threshold: float,
    since: str,
    currency: str | None,
) -> str | None:
    if not previous.members or not current.members:
        return None
    names_before = {s.id: s.name for s in previous.segments}
    names_now = {s.id: s.name for s in current.segments}
    slipping = _slipping(current)
    best: tuple[float, int, str] | None = None
    for valuable in _valuable(previous):
        name = names_before[valuable]
        was = [c for c, seg in previous.members.items() if seg == valuable]
        moved: dict[str, list[str]] = {}
        for customer in was:
            now = current.members.get(customer)
            if now is None or now not in slipping or _base(names_now[now]) == _base(name):
                continue
            moved.setdefault(names_now[now], []).append(customer)
        count = sum(len(v) for v in moved.values())
        if not was or count / len(was) < threshold:
            continue
        at_stake = sum(spend.get(c, 0.0) for group in moved.values() for c in group)
        targets = sorted(moved, key=lambda n: -len(moved[n]))
        where = targets[0] if len(targets) == 1 else ", ".join(targets[:-1]) + " or " + targets[-1]
        money = (
            f" ({format_money(at_stake, currency, approximate=True)} of past spend)"
            if spend and currency
            else ""
        )
        text = f"{count:,} {name} slipped to {where} {since}{money}."
        rank = (at_stake, count, text)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def _resized(previous: RunSnapshot, current: RunSnapshot, share: float, since: str) -> str | None:
    movement = compare(previous, current)
    biggest: tuple[float, str] | None = None
    for change in movement.segments:
        before, after = change.size_before, change.size_after
        if change.previous is None or change.current is None:
            # A segment that appeared or went is a change of its whole size.
            size = after if change.current else before
            text = (
                f"{change.current} is a new segment {since} ({after:,} customers)."
                if change.current
                else f"{change.previous} is gone {since} (it had {before:,} customers)."
            )
            if size and (biggest is None or 1.0 > biggest[0]):
                biggest = (1.0, text)
            continue
        if before == 0:
            continue
        ratio = (after - before) / before
        if abs(ratio) >= share and (biggest is None or abs(ratio) > biggest[0]):
            verb = "grew" if ratio > 0 else "shrank"
            biggest = (
                abs(ratio),
                f"{change.current} {verb} {abs(ratio):.0%} {since} ({before:,} → {after:,}).",
            )
    return biggest[1] if biggest else None


def should_post(schedule: Mapping[str, Any], alert: str | None) -> bool:
    """A quiet schedule posts only when an alert fires; others always post, and so does
    Run now (``due`` None: someone asked for the answer)."""
    return alert is not None or not schedule.get("quiet") or schedule.get("due") is None


def schedule_succeeded(settings: Settings, schedule_id: int) -> None:
    """The run was answered: its failures in a row start again from none."""
    try:
        Schedules(history_for(settings)).succeeded(schedule_id)
    except StoreUnavailable as error:
        logger.warning("Could not reset the failures of schedule %s: %s", schedule_id, error)


def schedule_failed(settings: Settings, schedule_id: int, sentence: str) -> bool:
    """Count one failure of the schedule (``sentence`` is logged); True when it is now paused."""
    logger.warning("Scheduled run %s failed: %s", schedule_id, sentence)
    try:
        _, paused = Schedules(history_for(settings)).failed(schedule_id)
    except StoreUnavailable as error:
        logger.warning("Could not count the failure of schedule %s: %s", schedule_id, error)
        return False
    return paused


def failure_text(number: int, source: str, sentence: str, *, paused: bool) -> str:
    """The one message a failed scheduled run posts in its channel."""
    head = f":warning: Scheduled run {number} ({escape(source)}) failed: {escape(sentence)}"
    head = head if head.endswith(".") else head + "."
    if paused:
        return (
            f"{head} That is {PAUSE_AFTER} failures in a row, so I paused schedule {number}; "
            "press Run now in `/segment schedules` to try it and start it again."
        )
    return f"{head} I'll try again at its next run."
