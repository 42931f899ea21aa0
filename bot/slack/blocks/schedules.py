"""What schedules look like in Slack: the list with its buttons, and the one-line notes.

Times are written with Slack's ``<!date^...>`` so each reader sees them in their own zone; the
fallback text is in the schedule's zone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.slack.blocks.replies import Reply
from bot.slack.text import context, escape, section
from bot.store.schedules import MAX_PER_CHANNEL, StoredSchedule
from bot.words.schedule import Rule, zone

__all__ = [
    "DELETE_ACTION",
    "RUN_NOW_ACTION",
    "DELETE_PATTERN",
    "RUN_NOW_PATTERN",
    "added_text",
    "deleted_text",
    "running_text",
    "schedule_line",
    "schedules_reply",
    "when_text",
]

# One button of each kind per schedule; the number in the id keeps them apart.
RUN_NOW_ACTION = "segbot_schedule_run_{}"
DELETE_ACTION = "segbot_schedule_delete_{}"
RUN_NOW_PATTERN = re.compile(r"^segbot_schedule_run_\d+$")
DELETE_PATTERN = re.compile(r"^segbot_schedule_delete_\d+$")


def when_text(schedule: StoredSchedule) -> str:
    """The next run, shown in the reader's own zone by Slack (fallback: the schedule's)."""
    local = schedule.next_due.astimezone(zone(schedule.tz))
    fallback = f"{local:%a %d %b %Y %H:%M} {_zone_name(schedule.tz)}"
    stamp = int(schedule.next_due.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"


def schedule_line(schedule: StoredSchedule) -> str:
    """``*2.* orders, every Monday at 09:00 (Europe/Paris); next run ...``, with its options."""
    rule = Rule.load(schedule.rule)
    parts = [
        f"*{schedule.number}.* *{escape(schedule.source)}*, {rule.text()} "
        f"({escape(_zone_name(schedule.tz))})"
    ]
    if schedule.paused:
        parts.append(f"paused after {schedule.failures} failures in a row (Run now starts it)")
    else:
        parts.append(f"next run {when_text(schedule)}")
    options = [f"alert at {schedule.alert:.0%}"]
    if schedule.quiet:
        options.append("quiet: posts only with an alert")
    return "; ".join(parts) + " · " + ", ".join(options)


def schedules_reply(schedules: Sequence[StoredSchedule], *, note: str | None = None) -> Reply:
    """``/segment schedules``: each schedule with Run now and Delete, or how to add one."""
    head = f"{note}\n" if note else ""
    if not schedules:
        text = (
            f"{head}This channel has no schedules. Add one with `/segment schedule SOURCE "
            "weekly on monday at 09:00` (`/segment sources` lists the sources)."
        )
        return Reply(text=text, blocks=[section(text)])
    title = f"*This channel's schedules* ({len(schedules)} of at most {MAX_PER_CHANNEL})"
    blocks = [section(f"{note}\n{title}" if note else title)]
    lines = []
    for schedule in schedules:
        line = schedule_line(schedule)
        lines.append(line)
        blocks.append(section(line))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"segbot_schedule_{schedule.number}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RUN_NOW_ACTION.format(schedule.number),
                        "text": {"type": "plain_text", "text": "Run now"},
                        "value": str(schedule.id),
                    },
                    {
                        "type": "button",
                        "action_id": DELETE_ACTION.format(schedule.number),
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Delete"},
                        "value": str(schedule.id),
                    },
                ],
            }
        )
    blocks.append(context("Remove one with `/segment unschedule N`."))
    return Reply(text=head + title + "\n" + "\n".join(lines), blocks=blocks)


def added_text(schedule: StoredSchedule, *, zone_known: bool) -> str:
    """What adding a schedule says."""
    rule = Rule.load(schedule.rule)
    where = (
        f"your time zone ({escape(_zone_name(schedule.tz))})"
        if zone_known
        else "UTC (I couldn't read your time zone from Slack)"
    )
    quiet = " It posts only when an alert fires." if schedule.quiet else ""
    return (
        f":calendar: Schedule {schedule.number}: I'll segment *{escape(schedule.source)}* here "
        f"{rule.text()} in {where}; the first run is {when_text(schedule)}.{quiet} "
        "`/segment schedules` lists this channel's schedules."
    )


def deleted_text(gone: StoredSchedule | None, number: int) -> str:
    """What deleting schedule ``number`` says."""
    if gone is None and not number:
        return "That schedule was deleted already."
    if gone is None:
        return f"This channel has no schedule {number}; `/segment schedules` shows the numbers."
    rule = Rule.load(gone.rule)
    return f":wastebasket: Schedule {number} ({escape(gone.source)}, {rule.text()}) is deleted."


def running_text(schedule: StoredSchedule) -> str:
    """What "Run now" says while the run is queued."""
    return (
        f":hourglass_flowing_sand: Running schedule {schedule.number} "
        f"({escape(schedule.source)}) now; the answer comes in this channel."
    )


def _zone_name(tz: str) -> str:
    return tz or "UTC"
