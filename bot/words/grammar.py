"""``/segment ...`` text -> a typed request. Pure: no Slack, no network."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import date
from typing import Literal

from segmentation.errors import InvalidOption
from segmentation.result import MAX_HORIZON_DAYS

__all__ = ["Action", "BadCommand", "SegmentCommand", "parse_command"]

Action = Literal["help", "demo", "latest", "history", "compare", "forget"]
# Words that ask about the channel's run history rather than for a new run.
_HISTORY_WORDS = {"history": "history", "compare": "compare", "forget": "forget"}
Mode = Literal["auto", "customers", "rfm"]

# Slack clients turn typed quotes into typographic ones; people also paste them from documents.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'})
# Slack escapes these three characters in command text (and only these).
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


class BadCommand(InvalidOption):
    """The command text could not be understood; the message says which part and why."""

    kind = "bad_command"


@dataclass(frozen=True)
class SegmentCommand:
    """What the person asked for.

    ``action`` is ``"help"``, ``"demo"`` (the built-in sample) or ``"latest"`` (the most recent
    data file in the channel). ``k``/``columns`` None mean "let the core choose". Order logs:
    ``as_of`` (YYYY-MM-DD) ends the log on that day, ``horizon_days`` is how far ahead to
    predict purchases (None: the core's default).
    """

    action: Action
    k: int | None = None
    columns: tuple[str, ...] | None = None
    mode: Mode = "auto"
    as_of: str | None = None
    horizon_days: float | None = None


def parse_command(text: str) -> SegmentCommand:
    """Parse the text after ``/segment``.

    >>> parse_command('demo k=4 columns="Annual Income (k$), Age"').columns
    ('Annual Income (k$)', 'Age')
    >>> parse_command("as-of=1997-09-30 horizon=273")
    SegmentCommand(action='latest', k=None, columns=None, mode='auto', as_of='1997-09-30', \
horizon_days=273.0)

    Raises :class:`BadCommand` with a sentence naming the part that is wrong.
    """
    for escaped, plain in _SLACK_ESCAPES:
        text = text.replace(escaped, plain)
    text = text.translate(_QUOTES).strip()
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    # Apostrophes appear in column names ("Customer's age"); only double quotes group words.
    lexer.quotes = '"'
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        raise BadCommand('A quote is not closed; put column names between two " marks.') from None

    action: Action = "latest"
    k: int | None = None
    columns: list[str] | None = None
    mode: Mode = "auto"
    as_of: str | None = None
    horizon: float | None = None
    continuing_columns = False
    for token in tokens:
        key, sep, value = token.partition("=")
        key = key.strip().lower()
        if not sep:
            if continuing_columns and columns is not None:
                # columns=Age, Income  (unquoted, with a space after the comma)
                columns.extend(_split_columns(token))
                continuing_columns = token.rstrip().endswith(",")
                continue
            word = key
            if word in ("help", "-h", "--help", "?", "usage"):
                return SegmentCommand(action="help")
            if word in ("demo", "sample", "example"):
                action = "demo"
                continue
            if word in _HISTORY_WORDS and len(tokens) == 1:
                return SegmentCommand(action=_HISTORY_WORDS[word])  # type: ignore[arg-type]
            raise BadCommand(f"I don't know the word “{_shorten(token)}”.")
        continuing_columns = False
        if key == "k":
            k = _parse_k(value)
        elif key in ("columns", "column", "cols"):
            columns = _split_columns(value)
            continuing_columns = value.rstrip().endswith(",")
            if not columns and not continuing_columns:
                raise BadCommand('columns= needs at least one column name, like columns="Age".')
        elif key == "mode":
            mode = _parse_mode(value)
        elif key in ("as-of", "as_of", "asof"):
            as_of = _parse_as_of(value)
        elif key in ("horizon", "horizon_days"):
            horizon = _parse_horizon(value)
        else:
            raise BadCommand(f"I don't know the option “{_shorten(key)}=”.")
    if columns is not None and not columns:
        raise BadCommand('columns= needs at least one column name, like columns="Age".')
    return SegmentCommand(
        action=action,
        k=k,
        columns=tuple(columns) if columns is not None else None,
        mode=mode,
        as_of=as_of,
        horizon_days=horizon,
    )


def _parse_as_of(value: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise BadCommand(
            f"as-of= needs a date written YYYY-MM-DD, like as-of=2024-09-30 (it was "
            f"“{_shorten(value)}”)."
        ) from None


def _parse_horizon(value: str) -> float:
    text = value.strip().lower().removesuffix("days").removesuffix("d").strip()
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not 0 <= days <= MAX_HORIZON_DAYS:
        raise BadCommand(
            f"horizon= needs a number of days from 0 to {MAX_HORIZON_DAYS}, like horizon=365 "
            f"(it was “{_shorten(value)}”)."
        )
    return days


def _parse_k(value: str) -> int | None:
    value = value.strip().lower()
    if value in ("auto", ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise BadCommand(
            f"k must be a whole number of segments, like k=4 (it was “{_shorten(value)}”)."
        ) from None


def _parse_mode(value: str) -> Mode:
    value = value.strip().lower()
    if value == "rfm":
        return "rfm"
    if value in ("customers", "customer"):
        return "customers"
    if value == "auto":
        return "auto"
    raise BadCommand(
        f"mode must be rfm (a log of orders) or customers (one row per customer), "
        f"not “{_shorten(value)}”."
    )


def _split_columns(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _shorten(text: str, limit: int = 40) -> str:
    # The text is echoed back to its own author only, but keep it readable.
    return text if len(text) <= limit else text[: limit - 1] + "…"
