"""The list of sources a channel may use, and the sentences about sources. Pure; never a URL."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

from bot.slack.blocks.replies import Reply
from bot.slack.text import escape, section
from bot.sources import Source

__all__ = ["sources_reply", "source_working_text", "source_failure_what", "source_thread_text"]


def sources_reply(sources: Sequence[Source]) -> Reply:
    """``/segment sources``: the names this channel may use and what each is (a file, a table
    or a query), never where it lives."""
    if not sources:
        text = (
            "No data sources are set up for this channel. Whoever runs segbot can name some in "
            "SEGBOT_SOURCES; meanwhile, drop a file here or try `/segment demo`."
        )
        return Reply(text=text, blocks=[section(text)])
    lines = [f"*Data sources you can segment here ({len(sources)})*"]
    lines += [f"• `{escape(s.name)}`: {_kind(s)}" for s in sources]
    example = sources[0].name
    lines.append(
        f"Type `/segment source {escape(example)}` (options as usual, like `k=4`) or mention me "
        f"with “segment {escape(example)}”; the answer comes in this channel."
    )
    text = "\n".join(lines)
    return Reply(text=text, blocks=[section(text)])


def source_working_text(name: str) -> str:
    """The immediate acknowledgement of ``/segment source NAME``."""
    return (
        f":hourglass_flowing_sand: Working on the source “{escape(name)}”; I'll post the "
        "segments in this channel."
    )


def source_failure_what(name: str) -> str:
    """How a failure names the source (its name only: the URL may carry credentials)."""
    return f"the source “{name}”"


def source_thread_text(name: str) -> str:
    """A request in words under a source's answer (only the buttons and commands reach it)."""
    return (
        f"This answer is about the source “{name}”: use the buttons above, or mention me with "
        f"“segment {name} k=4” (any of /segment's options) for another take."
    )


def _kind(source: Source) -> str:
    if urlparse(source.url).scheme in ("", "file"):
        return "a file"
    return "a database query" if source.query else "a database table"
