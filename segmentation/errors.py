"""Errors a person can cause, each carrying one plain sentence that says what to do.

Everything that is not a :class:`SegmentationError` is a bug: callers log it with context and
tell the user that the job failed.
"""

from __future__ import annotations

__all__ = [
    "SegmentationError",
    "UnreadableFile",
    "FileTooLarge",
    "TooManyRows",
    "TooManyColumns",
    "TooFewRows",
    "NoUsableColumns",
    "UnknownColumn",
    "InvalidOption",
    "TookTooLong",
]


class SegmentationError(Exception):
    """A problem with the input or the options, explained for a person.

    ``str(error)`` is the sentence to show. ``kind`` is a short stable tag that front ends may
    use to pick wording or an icon (``"unreadable"``, ``"too_large"``, ...).
    """

    kind = "invalid_input"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnreadableFile(SegmentationError):
    """The bytes are not a table we can read (wrong format, binary, empty, no header)."""

    kind = "unreadable"


class FileTooLarge(SegmentationError):
    """The file has more bytes than the configured limit."""

    kind = "too_large"


class TooManyRows(SegmentationError):
    """The table has more rows than the configured limit."""

    kind = "too_many_rows"


class TooManyColumns(SegmentationError):
    """The header has more columns than the configured limit, or its line is absurdly long."""

    kind = "too_many_columns"


class TooFewRows(SegmentationError):
    """Too few usable rows to find segments."""

    kind = "too_few_rows"


class NoUsableColumns(SegmentationError):
    """No column can be clustered (no numbers, only identifiers or personal data, ...)."""

    kind = "no_usable_columns"


class UnknownColumn(SegmentationError):
    """A column asked for by name is not in the file."""

    kind = "unknown_column"


class InvalidOption(SegmentationError):
    """An option is out of range or malformed (k=1, k=abc, an unknown mode, ...)."""

    kind = "invalid_option"


class TookTooLong(SegmentationError):
    """The work ran past its time limit and was stopped."""

    kind = "took_too_long"
