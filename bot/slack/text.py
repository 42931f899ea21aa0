"""The one place text from a file (column names, segment names, file names) becomes mrkdwn.

Slack reads ``&``, ``<`` and ``>`` as control characters and refuses blocks over its limits, so
everything a message shows of a person's data goes through :func:`escape`, and every block
text through :func:`clip` (a section or context built here is within Slack's limits). Pure.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MAX_CONTEXT_CHARS",
    "MAX_SECTION_CHARS",
    "clip",
    "context",
    "escape",
    "section",
]

# Slack's limits on one section's text and one context element's text.
MAX_SECTION_CHARS = 3000
MAX_CONTEXT_CHARS = 2000


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was longer.

    >>> clip("Annual Income (k$)", 10)
    'Annual In…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block, its text clipped to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}}


def context(text: str) -> dict[str, Any]:
    """A context block of one mrkdwn element, clipped to Slack's limit."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT_CHARS)}],
    }
