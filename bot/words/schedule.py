"""Schedules in words: ``/segment schedule orders weekly on monday at 09:00``, ``/segment
schedules``, ``/segment unschedule 2``, ``@segbot every monday at 9 for orders``; and when a
schedule is next due, in the asker's own time zone. Pure: no Slack, no store, no network.

>>> parse_schedule_command("schedule orders weekly on monday at 09:00 alert=10%").rule.text()
'every Monday at 09:00'
>>> parse_schedule_words("every monday at 9 for orders").source
'orders'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from segmentation.errors import InvalidOption

__all__ = [
    "ALERT_DEFAULT",
    "BadSchedule",
    "Every",
    "Rule",
    "ScheduleRequest",
    "next_due",
    "parse_rule",
    "parse_schedule_command",
    "parse_schedule_words",
    "zone",
]

Every = Literal["daily", "weekly", "monthly"]
# A valuable segment losing this share of its customers to a slipping one raises an alert.
ALERT_DEFAULT = 0.05

_DAYS = {
    "monday": 0,
    "mon": 0,
    "mondays": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "tuesdays": 1,
    "wednesday": 2,
    "wed": 2,
    "wednesdays": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursdays": 3,
    "friday": 4,
    "fri": 4,
    "fridays": 4,
    "saturday": 5,
    "sat": 5,
    "saturdays": 5,
    "sunday": 6,
    "sun": 6,
    "sundays": 6,
}
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h)?$")
_DAY_OF_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
_EXAMPLE = "`/segment schedule orders weekly on monday at 09:00`"


class BadSchedule(InvalidOption):
    """The schedule could not be understood; the message says which part and how to write it."""

    kind = "bad_schedule"


@dataclass(frozen=True)
class Rule:
    """When a schedule runs: ``every`` day, week (``weekday`` 0 = Monday) or month (``day``
    1-31; a shorter month runs on its last day), at ``hour``:``minute`` local time."""

    every: Every
    hour: int
    minute: int
    weekday: int | None = None
    day: int | None = None

    def text(self) -> str:
        """How people read it: "every Monday at 09:00", "on the 1st of each month at 08:30"."""
        at = f"at {self.hour:02d}:{self.minute:02d}"
        if self.every == "daily":
            return f"every day {at}"
        if self.every == "weekly":
            return f"every {calendar.day_name[self.weekday or 0]} {at}"
        return f"on the {_ordinal(self.day or 1)} of each month {at}"

    def dump(self) -> str:
        """The stored form: ``daily 09:00``, ``weekly 0 09:00``, ``monthly 1 09:00``."""
        clock = f"{self.hour:02d}:{self.minute:02d}"
        if self.every == "daily":
            return f"daily {clock}"
        which = self.weekday if self.every == "weekly" else self.day
        return f"{self.every} {which} {clock}"

    @classmethod
    def load(cls, stored: str) -> Rule:
        """Inverse of :meth:`dump`."""
        parts = stored.split()
        hour, minute = (int(v) for v in parts[-1].split(":"))
        if parts[0] == "daily":
            return cls("daily", hour, minute)
        if parts[0] == "weekly":
            return cls("weekly", hour, minute, weekday=int(parts[1]))
        return cls("monthly", hour, minute, day=int(parts[1]))

    def period_word(self) -> str:
        """ "last week", "last month", "yesterday": what "since" means for this rule."""
        return {"daily": "yesterday", "weekly": "last week", "monthly": "last month"}[self.every]


@dataclass(frozen=True)
class ScheduleRequest:
    """``add`` (source, rule, alert share, quiet), ``list``, or ``delete`` (number)."""

    action: Literal["add", "list", "delete"]
    source: str | None = None
    rule: Rule | None = None
    alert: float = ALERT_DEFAULT
    quiet: bool = False
    number: int | None = None


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone Slack gave (``users.info`` ``tz``), UTC when none or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_due(rule: Rule, tz: str | None, after: datetime) -> datetime:
    """The first moment strictly after ``after`` that ``rule`` names in zone ``tz``, in UTC.

    Wall-clock times are kept across daylight saving: 09:00 stays 09:00 in summer and
    winter. A time that does not exist on the night clocks go forward runs at the same
    instant as the hour after it; one that happens twice runs at its first occurrence.

    >>> rule = Rule("weekly", 9, 0, weekday=0)
    >>> next_due(rule, "Europe/Paris", datetime(2026, 3, 24, tzinfo=UTC)).isoformat()
    '2026-03-30T07:00:00+00:00'
    """
    where = zone(tz)
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    day = after.astimezone(where).date() - timedelta(days=1)
    for _ in range(400):
        if _matches(rule, day):
            local = datetime.combine(day, time(rule.hour, rule.minute), tzinfo=where)
            moment = local.astimezone(UTC)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise AssertionError(f"no day in 400 matches {rule}")  # every rule matches monthly


def _matches(rule: Rule, day: date) -> bool:
    if rule.every == "daily":
        return True
    if rule.every == "weekly":
        return day.weekday() == rule.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(rule.day or 1, last)


def parse_schedule_command(text: str) -> ScheduleRequest | None:
    """The text after ``/segment`` when it is about schedules; None when it is not.

    Raises :class:`BadSchedule` with one sentence when it is, but cannot be understood.
    """
    words = _tokens(text)
    if not words:
        return None
    head, rest = words[0], words[1:]
    if head in ("schedules",) or (head == "schedule" and rest in (["list"], [])):
        if head == "schedule" and not rest:
            raise BadSchedule(
                f"Tell me which source and when, like {_EXAMPLE}; `/segment sources` lists "
                "the sources."
            )
        if rest:
            raise BadSchedule("`/segment schedules` takes nothing after it.")
        return ScheduleRequest("list")
    if head in ("unschedule", "deschedule"):
        return ScheduleRequest("delete", number=_number(rest))
    if head != "schedule":
        return None
    source, rest = rest[0], rest[1:]
    if source in ("every", "daily", "weekly", "monthly"):
        raise BadSchedule(f"Name the source first, like {_EXAMPLE}.")
    return _add(source, rest)


def parse_schedule_words(text: str) -> ScheduleRequest | None:
    """A message to the bot about schedules ("every monday at 9 for orders", "schedule orders
    daily at 8", "my schedules", "unschedule 2"); None when the message is about something else.

    Raises :class:`BadSchedule` when it clearly asks for a schedule that cannot be understood.
    """
    words = [w for w in _tokens(text) if w not in ("please", "pls", "can", "you", "could")]
    if not words:
        return None
    if words in (["schedules"], ["my", "schedules"], ["list", "schedules"], ["show", "schedules"]):
        return ScheduleRequest("list")
    if words[0] in ("unschedule", "deschedule") or words[:2] == ["delete", "schedule"]:
        return ScheduleRequest(
            "delete", number=_number(words[1:] if words[0] != "delete" else words[2:])
        )
    if words[0] == "schedule" and len(words) > 1:
        return parse_schedule_command(" ".join(words))
    if not _sounds_like_a_schedule(words):
        return None
    # "every monday at 9 for orders", "segment orders every monday at 9", "orders every day at 8"
    source: str | None = None
    if "for" in words:
        at = len(words) - 1 - words[::-1].index("for")
        if at + 1 < len(words):
            source, words = words[at + 1], words[:at] + words[at + 2 :]
    if source is None:
        lead = [w for w in words if w not in ("segment", "run", "schedule")]
        start = next(i for i, w in enumerate(lead) if w in ("every", "daily", "weekly", "monthly"))
        if start == 0:
            raise BadSchedule(
                "Which source should I segment? Say it like `@segbot every monday at 9 for orders`."
            )
        source, words = lead[start - 1], lead[start:]
    return _add(source, [w for w in words if w not in ("segment", "run", "schedule")])


def _sounds_like_a_schedule(words: list[str]) -> bool:
    """ "daily", "weekly", "monthly", or "every"/"each" before a day, week or month: "every
    segment" or "each customer" is a question about the answer, not a schedule."""
    if any(w in ("daily", "weekly", "monthly") for w in words):
        return True
    periods = {*_DAYS, "day", "week", "month", "morning"}
    return any(
        w in ("every", "each") and nxt in periods for w, nxt in zip(words, words[1:], strict=False)
    )


def parse_rule(words: list[str]) -> tuple[Rule, list[str]]:
    """The rule at the start of ``words`` and the words after it (the options)."""
    every: Every | None = None
    weekday: int | None = None
    day: int | None = None
    clock: tuple[int, int] | None = None
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        following = words[i + 1] if i + 1 < len(words) else None
        if word in ("daily", "everyday"):
            every = "daily"
        elif word == "weekly":
            every = "weekly"
        elif word == "monthly":
            every = "monthly"
        elif word in ("every", "each", "on", "the", "of", "month", "week", "day", "at"):
            if word in ("every", "each") and following in ("day", "morning"):
                every, i = "daily", i + 1
            elif word in ("every", "each") and following == "week":
                every, i = "weekly", i + 1
            elif word in ("every", "each") and following == "month":
                every, i = "monthly", i + 1
            elif word == "at":
                if following is None:
                    raise BadSchedule(f"“at” needs a time, like at 09:00 ({_EXAMPLE}).")
                clock, i = _clock(following), i + 1
        elif word in _DAYS:
            weekday = _DAYS[word]
            every = every or "weekly"
        elif word in ("noon", "midday"):
            clock = (12, 0)
        elif word == "midnight":
            clock = (0, 0)
        elif (
            _DAY_OF_MONTH.match(word) and day is None and (every == "monthly" or following == "of")
        ):
            day = _day_of_month(word)
            every = every or "monthly"
        elif "=" in word or word in ("quiet", "quietly", "silent"):
            rest = words[i:]
            break
        elif _TIME.match(word) and clock is None and words[i - 1 : i] != ["on"]:
            clock = _clock(word)
        else:
            raise BadSchedule(
                f"I don't understand “{_shorten(word)}” in a schedule; write it like "
                f"`daily at 08:00`, `weekly on monday at 09:00` or `monthly on 1 at 09:00`."
            )
        i += 1
    if every is None:
        raise BadSchedule(
            "Say how often: `daily at 08:00`, `weekly on monday at 09:00` or "
            "`monthly on 1 at 09:00`."
        )
    if every == "weekly" and weekday is None:
        raise BadSchedule("Say which day of the week, like `weekly on monday at 09:00`.")
    if every == "monthly" and day is None:
        raise BadSchedule("Say which day of the month, like `monthly on 1 at 09:00`.")
    if clock is None:
        raise BadSchedule(f"Say at what time, like `at 09:00` ({_EXAMPLE}).")
    hour, minute = clock
    return Rule(every, hour, minute, weekday=weekday, day=day), rest


def _add(source: str, words: list[str]) -> ScheduleRequest:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", source):
        raise BadSchedule(
            f"“{_shorten(source)}” is not a source name; `/segment sources` lists the names "
            "I can schedule."
        )
    if not words:
        raise BadSchedule(f"Say when, like {_EXAMPLE}.")
    rule, options = parse_rule(words)
    alert, quiet = ALERT_DEFAULT, False
    for option in options:
        key, sep, value = option.partition("=")
        if key in ("quiet", "quietly", "silent") and not sep:
            quiet = True
        elif key in ("alert", "alerts", "threshold") and sep:
            alert = _share(value)
        else:
            raise BadSchedule(
                f"I don't know the option “{_shorten(option)}”; a schedule takes `alert=10%` "
                "and `quiet`."
            )
    return ScheduleRequest("add", source=source, rule=rule, alert=alert, quiet=quiet)


def _tokens(text: str) -> list[str]:
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = re.sub(r"\s*=\s*", "=", text.strip().lower())
    text = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", text)
    return [w.strip(",;!?") for w in text.split() if w.strip(",;!?")]


def _clock(word: str) -> tuple[int, int]:
    if word in ("noon", "midday", "midnight"):
        return (0, 0) if word == "midnight" else (12, 0)
    found = _TIME.match(word)
    if found is None:
        raise BadSchedule(f"“{_shorten(word)}” is not a time; write it like 09:00 or 9am.")
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    suffix = (found.group(3) or "").replace(".", "")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            raise BadSchedule(f"“{_shorten(word)}” is not a time; with am or pm the hour is 1-12.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise BadSchedule(f"“{_shorten(word)}” is not a time; write it like 09:00 or 21:30.")
    return hour, minute


def _day_of_month(word: str) -> int:
    found = _DAY_OF_MONTH.match(word)
    value = int(found.group(1)) if found else 0
    if not 1 <= value <= 31:
        raise BadSchedule(
            f"“{_shorten(word)}” is not a day of the month; use 1 to 31 (a shorter month runs "
            "on its last day)."
        )
    return value


def _share(value: str) -> float:
    text = value.strip().removesuffix("%")
    try:
        percent = float(text)
    except ValueError:
        percent = -1.0
    if not 1 <= percent <= 100:
        raise BadSchedule(
            f"alert= needs a share from 1% to 100%, like alert=10% (it was “{_shorten(value)}”)."
        )
    return percent / 100


def _number(words: list[str]) -> int:
    text = words[0].lstrip("#") if len(words) == 1 else ""
    if not text.isdigit() or not 1 <= int(text) <= 99:
        raise BadSchedule(
            "Say which schedule by its number, like `/segment unschedule 2` "
            "(`/segment schedules` shows the numbers)."
        )
    return int(text)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
