"""The schedule grammar and when a schedule is next due (pure; no Slack)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.words.schedule import (
    BadSchedule,
    Rule,
    next_due,
    parse_schedule_command,
    parse_schedule_words,
)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("schedule orders weekly on monday at 09:00", Rule("weekly", 9, 0, weekday=0)),
        ("schedule orders weekly on Mon at 9am", Rule("weekly", 9, 0, weekday=0)),
        ("schedule orders every friday at 5:30pm", Rule("weekly", 17, 30, weekday=4)),
        ("schedule orders daily at 07:15", Rule("daily", 7, 15)),
        ("schedule orders every day at 9 pm", Rule("daily", 21, 0)),
        ("schedule orders daily at noon", Rule("daily", 12, 0)),
        ("schedule orders monthly on 1 at 09:00", Rule("monthly", 9, 0, day=1)),
        ("schedule orders monthly on the 31st at 8h", Rule("monthly", 8, 0, day=31)),
        ("schedule orders every month on the 15th at 6.45", Rule("monthly", 6, 45, day=15)),
    ],
)
def test_schedule_phrasings(text: str, rule: Rule) -> None:
    request = parse_schedule_command(text)
    assert request is not None and request.action == "add"
    assert request.source == "orders" and request.rule == rule
    assert Rule.load(rule.dump()) == rule


def test_options_alert_and_quiet() -> None:
    request = parse_schedule_command("schedule vip daily at 8 alert=10% quiet")
    assert request is not None
    assert (request.alert, request.quiet) == (0.10, True)
    assert parse_schedule_command("schedule vip daily at 8").alert == 0.05  # type: ignore[union-attr]


def test_list_and_delete() -> None:
    assert parse_schedule_command("schedules").action == "list"  # type: ignore[union-attr]
    request = parse_schedule_command("unschedule 3")
    assert request is not None and (request.action, request.number) == ("delete", 3)
    assert parse_schedule_command("demo k=4") is None
    assert parse_schedule_command("") is None


@pytest.mark.parametrize(
    ("text", "source", "rule"),
    [
        ("every monday at 9 for orders", "orders", Rule("weekly", 9, 0, weekday=0)),
        ("segment orders every day at 8am", "orders", Rule("daily", 8, 0)),
        ("please schedule vip monthly on 1 at 10:00", "vip", Rule("monthly", 10, 0, day=1)),
        ("every month on the 2nd at 7 for vip", "vip", Rule("monthly", 7, 0, day=2)),
    ],
)
def test_words(text: str, source: str, rule: Rule) -> None:
    request = parse_schedule_words(text)
    assert request is not None and (request.source, request.rule) == (source, rule)


def test_words_that_are_not_about_schedules() -> None:
    assert parse_schedule_words("try 4 groups") is None
    assert parse_schedule_words("tell me about the champions") is None
    assert parse_schedule_words("tell me about every segment") is None
    assert parse_schedule_words("what does each customer spend") is None
    assert parse_schedule_words("my schedules").action == "list"  # type: ignore[union-attr]
    assert parse_schedule_words("unschedule #2").number == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("schedule orders hourly", "hourly"),
        ("schedule orders weekly at 9", "day of the week"),
        ("schedule orders monthly at 9", "day of the month"),
        ("schedule orders daily", "what time"),
        ("schedule orders daily at 25:00", "25:00"),
        ("schedule orders daily at 13pm", "13pm"),
        ("schedule orders monthly on 32 at 9", "32"),
        ("schedule orders weekly on funday at 9", "funday"),
        ("schedule orders daily at 9 alert=200%", "alert="),
        ("schedule orders daily at 9 loud", "loud"),
        ("schedule orders", "when"),
        ("schedule", "which source"),
        ("schedule daily at 9", "source first"),
        ("unschedule x", "number"),
        ("unschedule", "number"),
        ("schedule http://x/y daily at 9", "not a source name"),
    ],
)
def test_bad_schedules_say_one_sentence(text: str, says: str) -> None:
    with pytest.raises(BadSchedule) as caught:
        parse_schedule_command(text)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message and message.count(". ") <= 1


def test_words_without_a_source_ask_for_one() -> None:
    with pytest.raises(BadSchedule, match="Which source"):
        parse_schedule_words("every monday at 9")


def test_next_due_is_local_wall_time_across_daylight_saving() -> None:
    rule = Rule("weekly", 9, 0, weekday=0)
    # Paris: winter UTC+1, summer UTC+2 (clocks go forward on 29 March 2026).
    first = next_due(rule, "Europe/Paris", datetime(2026, 3, 20, 12, tzinfo=UTC))
    assert first == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    second = next_due(rule, "Europe/Paris", first)
    assert second == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    # New York, the fall-back night: 01:30 happens twice and runs once, at the first.
    night = Rule("daily", 1, 30)
    due = next_due(night, "America/New_York", datetime(2026, 11, 1, 4, tzinfo=UTC))
    assert due == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert next_due(night, "America/New_York", due) == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    # The spring-forward gap: 02:30 does not exist; it runs once that day.
    gap = next_due(Rule("daily", 2, 30), "America/New_York", datetime(2026, 3, 8, 5, tzinfo=UTC))
    assert gap.date().isoformat() == "2026-03-08"


def test_next_due_monthly_on_a_short_month_runs_on_its_last_day() -> None:
    rule = Rule("monthly", 9, 0, day=31)
    due = next_due(rule, "UTC", datetime(2026, 2, 1, tzinfo=UTC))
    assert due == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert next_due(rule, "UTC", due) == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)


def test_next_due_is_strictly_after_and_unknown_zones_are_utc() -> None:
    rule = Rule("daily", 9, 0)
    at_nine = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    assert next_due(rule, "Nowhere/Atlantis", at_nine) == datetime(2026, 5, 6, 9, tzinfo=UTC)
    assert next_due(rule, None, datetime(2026, 5, 5, 8, 59, tzinfo=UTC)) == at_nine
