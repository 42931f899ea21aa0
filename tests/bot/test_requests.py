"""``/segment`` text as people type it, including what Slack does to quotes and symbols."""

from __future__ import annotations

import pytest

from bot.words.grammar import BadCommand, SegmentCommand, parse_command
from segmentation import SegmentationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentCommand(action="latest")),
        ("   ", SegmentCommand(action="latest")),
        ("help", SegmentCommand(action="help")),
        ("HELP k=4", SegmentCommand(action="help")),
        ("demo", SegmentCommand(action="demo")),
        ("demo k=4", SegmentCommand(action="demo", k=4)),
        ("k=auto", SegmentCommand(action="latest")),
        ("mode=rfm", SegmentCommand(action="latest", mode="rfm")),
        ("Mode=Customers k=3", SegmentCommand(action="latest", k=3, mode="customers")),
        (
            'columns="Annual Income (k$), Age" k=4',
            SegmentCommand(action="latest", k=4, columns=("Annual Income (k$)", "Age")),
        ),
        # Slack clients replace typed quotes with typographic ones.
        (
            "demo columns=“Annual Income (k$), Spending Score (1-100)”",
            SegmentCommand(action="demo", columns=("Annual Income (k$)", "Spending Score (1-100)")),
        ),
        # An unquoted list with a space after the comma still means two columns.
        (
            "columns=Age, Income k=2",
            SegmentCommand(action="latest", k=2, columns=("Age", "Income")),
        ),
        # Slack escapes & < > in command text.
        ('columns="R&amp;D spend"', SegmentCommand(action="latest", columns=("R&D spend",))),
        ('columns="Customer\'s age"', SegmentCommand(action="latest", columns=("Customer's age",))),
    ],
)
def test_commands_people_type_are_understood(text: str, expected: SegmentCommand) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("segment everything", "segment"),
        ("k=four", "four"),
        ("mode=fancy", "fancy"),
        ("colour=blue", "colour"),
        ('columns="Age', "quote"),
        ("columns=", "column"),
    ],
)
def test_bad_commands_name_the_part_that_is_wrong(text: str, named: str) -> None:
    with pytest.raises(BadCommand) as caught:
        parse_command(text)
    assert named in str(caught.value)
    # A SegmentationError: every front end knows to show it instead of a traceback.
    assert isinstance(caught.value, SegmentationError)
