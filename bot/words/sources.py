"""``/segment sources``, ``/segment source NAME [options]`` and ``@segbot segment NAME``.

Pure: no Slack, no settings. A request names a source; whether this channel may use it is
decided by :func:`bot.sources.find_source`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.words.grammar import BadCommand, SegmentCommand, parse_command

__all__ = ["SourceRequest", "parse_source_command", "parse_source_mention"]

# What people type around a name: quotes, backticks, Slack's typographic quotes.
_STRIP = "\"'`“”‘’«»"
_LIST_WORDS = re.compile(r"^(list |show |which |what )?(the )?(data )?sources\??$")
_SEGMENT_NAME = re.compile(
    r"^(segment|run|refresh)\s+(the\s+)?(source\s+)?(?P<name>\S+)(?P<rest>.*)$"
)


@dataclass(frozen=True)
class SourceRequest:
    """``name`` None lists the sources; otherwise segment that source with ``options``."""

    name: str | None
    options: SegmentCommand = SegmentCommand(action="latest")


def parse_source_command(text: str) -> SourceRequest | None:
    """The request in the text after ``/segment``, or None when it is not about sources.

    >>> parse_source_command("source orders k=4").options.k
    4
    >>> parse_source_command("sources").name is None
    True

    Raises :class:`BadCommand` for ``source`` without a name or with options it can't take.
    """
    words = text.strip().split(None, 2)
    first = words[0].lower() if words else ""
    if first == "sources":
        if len(words) > 1:
            raise BadCommand("`/segment sources` takes nothing after it; it lists the sources.")
        return SourceRequest(None)
    if first != "source":
        return None
    if len(words) < 2 or not words[1].strip(_STRIP):
        raise BadCommand(
            "Say which source, like `/segment source orders`; `/segment sources` lists them."
        )
    return _request(words[1], words[2] if len(words) > 2 else "")


def parse_source_mention(text: str, names: Collection[str]) -> SourceRequest | None:
    """``segment NAME [options]`` (or ``sources``) in a message, when NAME is one of ``names``
    (any case); None for everything else, which the words parser answers."""
    plain = " ".join(text.split())
    if _LIST_WORDS.match(plain.lower()):
        return SourceRequest(None)
    found = _SEGMENT_NAME.match(plain)
    if found is None:
        return None
    name = found["name"].strip(_STRIP).lower()
    if name not in {n.lower() for n in names}:
        return None
    return _request(name, found["rest"])


def _request(name: str, rest: str) -> SourceRequest:
    options = parse_command(rest)
    if options.action != "latest":
        raise BadCommand(
            f"A source takes options like k=4, columns=, mode= and as-of=, not “{options.action}”."
        )
    return SourceRequest(name.strip(_STRIP).lower(), options)
