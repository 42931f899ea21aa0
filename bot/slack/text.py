"""The one place text from a file (column names, segment names, file names) becomes mrkdwn.

Slack reads ``&``, ``<`` and ``>`` as control characters (``<!here>`` would ping a channel) and
refuses blocks over its limits, so everything a message shows of a person's data goes through
:func:`escape` (or :func:`names` for a list of names), every block text through :func:`clip`,
and every message through :func:`fit_message` before it is sent. Pure.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "MAX_CONTEXT_CHARS",
    "MAX_MESSAGE_CHARS",
    "MAX_SECTION_CHARS",
    "MAX_TEXT_CHARS",
    "clip",
    "context",
    "escape",
    "fit_message",
    "names",
    "section",
]

# Slack's limits on one section's text and one context element's text.
MAX_SECTION_CHARS = 3000
MAX_CONTEXT_CHARS = 2000
# Slack refuses a message whose block texts add up past about 12,000 characters
# (msg_blocks_too_long); we stay under with room for the buttons.
MAX_MESSAGE_CHARS = 11_000
# The top-level ``text`` of a message: Slack truncates past 40,000; a notification needs far less.
MAX_TEXT_CHARS = 3000
# A cut that would leave half an escape (``&am``) or half a mention (``<@U12``).
_TORN = re.compile(r"(&[a-z]{0,4}|<[^>]{0,40})$")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters.

    >>> escape("<!here> R&D")
    '&lt;!here&gt; R&amp;D'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was longer; never through
    an escape or a mention.

    >>> clip("Annual Income (k$)", 10)
    'Annual In…'
    """
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    return _TORN.sub("", cut) + "…"


def names(items: Sequence[str], *, limit: int = 600, empty: str = "") -> str:
    """Names from a file as one escaped mrkdwn phrase of at most ``limit`` characters:
    "A, B and C", or "A, B and 997 more" when they do not all fit.

    >>> names(["Age", "R&D", "Income"])
    'Age, R&amp;D and Income'
    >>> names([f"c{i}" for i in range(1000)], limit=30)
    'c0, c1, c2, c3 and 996 more'
    """
    shown = [clip(escape(n), 80) for n in items]
    if not shown:
        return empty
    if len(shown) == 1:
        return clip(shown[0], limit)
    whole = ", ".join(shown[:-1]) + " and " + shown[-1]
    if len(whole) <= limit:
        return whole
    kept: list[str] = []
    for name in shown:
        rest = len(shown) - len(kept) - 1
        if len(", ".join([*kept, name])) + len(f" and {rest} more") > limit:
            break
        kept.append(name)
    if not kept:
        return f"{len(shown)} columns"
    return ", ".join(kept) + f" and {len(shown) - len(kept)} more"


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block, its text clipped to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}}


def context(text: str) -> dict[str, Any]:
    """A context block of one mrkdwn element, clipped to Slack's limit."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT_CHARS)}],
    }


def fit_message(message: dict[str, Any], budget: int = MAX_MESSAGE_CHARS) -> dict[str, Any]:
    """``message`` (``chat.postMessage`` arguments) within Slack's limits on the whole message:
    its text clipped, and when its block texts add up past ``budget`` the longest of them cut
    to one common length so the sum fits (the short ones, like button labels, stay whole).

    >>> big = {"text": "x", "blocks": [section("a" * 2900) for _ in range(6)]}
    >>> sum(len(b["text"]["text"]) for b in fit_message(big)["blocks"]) <= MAX_MESSAGE_CHARS
    True
    """
    fitted = dict(message)
    if isinstance(fitted.get("text"), str):
        fitted["text"] = clip(fitted["text"], MAX_TEXT_CHARS)
    blocks = fitted.get("blocks")
    if not blocks:
        return fitted
    blocks = copy.deepcopy(blocks)
    holders = list(_text_holders(blocks))
    lengths = sorted(len(h["text"]) for h in holders)
    if sum(lengths) <= budget:
        fitted["blocks"] = blocks
        return fitted
    cap, spent = 0, 0
    for index, length in enumerate(lengths):
        # Everything from here on gets ``cap``: is the budget left enough for them at length?
        rest = len(lengths) - index
        if spent + length * rest > budget:
            cap = max((budget - spent) // rest, 1)
            break
        spent += length
    for holder in holders:
        if len(holder["text"]) > cap:
            holder["text"] = clip(holder["text"], cap)
    fitted["blocks"] = blocks
    return fitted


def _text_holders(node: Any) -> Iterator[dict[str, Any]]:
    """Every text object (``{"type": "mrkdwn"|"plain_text", "text": ...}``) inside blocks."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from _text_holders(value)
    elif isinstance(node, list):
        for value in node:
            yield from _text_holders(value)
