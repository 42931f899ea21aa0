"""SegmentationResult -> Block Kit + fallback text, and every sentence the bot says. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.slack.text import MAX_SECTION_CHARS, clip, context, escape, section

if TYPE_CHECKING:  # the listener process formats no results and must not load the core
    from bot.slack.blocks.buttons import FollowUp, Keep
    from segmentation import SegmentationResult
    from segmentation.result import Segment

__all__ = [
    "Reply",
    "render_answer",
    "usage_reply",
    "bad_command_reply",
    "working_text",
    "queue_text",
    "busy_text",
    "external_file_text",
    "problem_text",
    "failure_text",
    "no_data_file_text",
    "text_chars",
    "MAX_MESSAGE_CHARS",
    "slack_problem_text",
]

MAX_BLOCKS = 50
MAX_HEADER_CHARS = 150
# Leave room for the header, headline, divider, warnings, confidence and footer blocks.
_MAX_SEGMENT_BLOCKS = MAX_BLOCKS - 9
# An answer read in a minute: past this many characters of text the segments are told in
# short (what sets each apart), and the full description is one mention away.
MAX_MESSAGE_CHARS = 4000

Block = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A message for Slack: ``text`` is the notification/fallback, ``blocks`` the layout."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def render_answer(
    result: SegmentationResult,
    *,
    requested_by: str | None = None,
    followup: FollowUp | None = None,
    keep: Keep | None = None,
) -> Reply:
    """The channel message for one segmentation: headline and what to do first, one section per
    segment, warnings, and a closing line on how sure the segments are (no statistics jargon).

    ``requested_by`` is a Slack user id; it is mentioned in a small context line.
    ``followup`` (the answer's file and options) adds the buttons for the next steps; ``keep``
    stores their state when it is too long for a button's value.
    """
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(f"Customer segments: {result.source_name}", MAX_HEADER_CHARS),
                "emoji": True,
            },
        },
        # What to do first comes right under the headline; how sure we are closes the message.
        section(
            f"*{escape(result.headline)}*"
            + (f"\n:dart: {escape(result.priority)}" if result.priority else "")
        ),
    ]
    if requested_by:
        blocks.append(context(f"Asked for by <@{requested_by}>"))
    blocks.append({"type": "divider"})

    shown = result.segments[:_MAX_SEGMENT_BLOCKS]
    head = len(blocks)
    blocks += [section(_segment_text(s, "full")) for s in shown]
    rest = result.segments[len(shown) :]
    if rest:
        blocks.append(
            section("…and " + ", ".join(f"*{escape(s.name)}* ({_customers(s.size)})" for s in rest))
        )
    if result.warnings:
        blocks.append(
            section("*Worth knowing*\n" + "\n".join(f"• {escape(w)}" for w in result.warnings))
        )
    if result.confidence:
        blocks.append(context(escape(result.confidence)))
    picture = "The scatter plot" if result.plot_kind == "scatter" else "The picture"
    footer = f"{picture} and every row with its segment (CSV) are in the thread."
    if result.plot_note:
        footer = f"{escape(result.plot_note)} {footer}"
    blocks.append(context(footer))
    for form in ("short", "names"):
        if text_chars(blocks) <= MAX_MESSAGE_CHARS:
            break
        sections = [section(_segment_text(s, form)) for s in shown]
        blocks[head : head + len(shown)] = sections
        blocks[-1] = context(
            f"{footer} Mention me with “tell me more about {escape(shown[0].name.lower())}” "
            "(or any segment) for its full description."
        )
    if followup is not None:
        from bot.slack.blocks.buttons import answer_buttons

        blocks.append(answer_buttons(followup, keep=keep))

    # The notification text is mrkdwn too: a header like "<!here> spend" must not ping anyone.
    summary = "; ".join(f"{escape(s.name)} ({_customers(s.size)})" for s in result.segments)
    lead = escape(f"{result.headline} {result.priority}".strip())
    text = clip(f"{lead} Segments: {summary}.", MAX_SECTION_CHARS)
    return Reply(text=text, blocks=blocks)


def _segment_text(segment: Segment, form: str) -> str:
    """One segment's part of the answer: ``full`` (name, size, description, stability),
    ``short`` (what sets it apart, the first sentence; stability only when it is in doubt) or
    ``names`` (name and size)."""
    from segmentation.model.stability import STABLE, stability_words  # worker side: core loaded

    line = f":{segment.marker}: *{escape(segment.name)}* — {_customers(segment.size)} "
    line += f"({_percent(segment.share)})"
    if form == "names":
        return line
    trust = stability_words(segment.stability)
    if form == "full":
        return f"{line}\n{escape(segment.description)}" + (
            f"\n_Stability: {escape(trust)}_" if trust else ""
        )
    first = segment.description.split(". ")[0].rstrip(".") + "."
    doubt = segment.stability is not None and segment.stability < STABLE
    return f"{line}\n{escape(first)}" + (f"\n_Stability: {escape(trust)}_" if doubt else "")


def text_chars(blocks: list[Block]) -> int:
    """Characters of text a person reads in ``blocks`` (every ``text`` string in them)."""
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "text" and isinstance(value, str):
                    total += len(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return total


_USAGE = (
    "*How to use /segment*\n"
    "• *Drop a spreadsheet* (.csv, .tsv, .txt, .xlsx or .parquet) in a channel I'm in: I reply "
    "in its thread with the segments, a scatter plot and every row labelled with its segment.\n"
    "• `/segment` segments the most recent data file shared in this channel.\n"
    "• `/segment demo` tries it on a built-in sample of shoppers.\n"
    "• Options, in any combination: `k=4` (how many segments; otherwise I choose), "
    '`columns="Annual Income (k$), Age"` (which columns to compare; put names with spaces '
    "in quotes), `mode=rfm` (the file is a log of orders, one row per order) or "
    "`mode=customers` (one row per customer).\n"
    '• Example: `/segment k=5 columns="Annual Income (k$), Spending Score (1-100)"`\n'
    "• Under every answer, buttons for the next step: *Fewer segments* / *More segments*, "
    "*Choose columns…* (tick the columns to compare, and for order logs how to read the file) "
    "and *Audience files* (one CSV per segment, ready to import). The new answer comes in the "
    "same thread.\n"
    "• I remember every run in a channel and say what changed since the last one. "
    "`/segment history` lists this channel's last 10 runs, `/segment compare` compares the "
    "last two, and `/segment forget` deletes what I remember here (after you confirm).\n"
    "• `/segment schedule SOURCE weekly on monday at 09:00` (or `daily at 08:00`, `monthly on 1 "
    "at 09:00`; `alert=10%`, `quiet`) segments a source here on a schedule; `/segment schedules` "
    "lists them, `/segment unschedule N` removes one.\n"
    "• `/segment sources` lists the data sources set up for this channel, and "
    "`/segment source orders` (or “@segbot segment orders”) segments one by its name, with the "
    "same options, answer and buttons as a file.\n"
    "Names, e-mails, phone numbers and addresses are never used for segments and never shown."
)


def usage_reply() -> Reply:
    """``/segment help``."""
    return Reply(text=_USAGE, blocks=[section(_USAGE)])


def bad_command_reply(problem: str) -> Reply:
    """A polite 'I did not understand' followed by the usage."""
    text = f"Sorry, I didn't understand that. {escape(problem)}\n\n{_USAGE}"
    blocks = [section(f":thinking_face: {escape(problem)}"), section(_USAGE)]
    return Reply(text=text, blocks=blocks)


def working_text(action: str) -> str:
    """The immediate acknowledgement of a ``/segment`` command."""
    if action in ("history", "compare"):
        return ":hourglass_flowing_sand: Looking at this channel's history."
    what = "the demo sample" if action == "demo" else "the latest data file in this channel"
    return f":hourglass_flowing_sand: Working on {what}; I'll post the segments in this channel."


def queue_text(place: int, *, in_thread: bool = True) -> str:
    """Where a waiting job is in line (said in the thread of the answer, or beside it)."""
    where = "here" if in_thread else "in the thread"
    return f"You're number {place} in line; I'll answer {where} when it's your turn."


def external_file_text(name: str) -> str:
    """A file shared from Google Drive (or another service): its bytes are not on Slack."""
    return (
        f"{name} lives outside Slack (Google Drive or another service), where I can't open it. "
        "Download it as a CSV or Excel file and upload that here, and I'll segment it."
    )


def busy_text() -> str:
    """Too many requests are already waiting."""
    return "I'm busy with many other requests right now; please try again in a few minutes."


def problem_text(sentence: str) -> str:
    """A problem the person can fix, already phrased as one sentence by the core or the bot."""
    return f":warning: {escape(sentence)}"


def failure_text(what: str) -> str:
    """An unexpected failure (a bug or an outage): no details, just what to do."""
    return (
        f":x: Sorry, something went wrong on my side while working on {escape(what)}. "
        "I've logged it; please try again, and if it keeps failing tell whoever runs segbot."
    )


def no_data_file_text() -> str:
    """``/segment`` in a channel without any data file."""
    return (
        ":open_file_folder: I couldn't find a data file in this channel. Drop a .csv, .tsv, .txt, "
        ".xlsx or .parquet file here and I'll segment it right away, or try `/segment demo`."
    )


def _customers(n: int) -> str:
    return f"{n:,} customer" + ("" if n == 1 else "s")


def _percent(share: float) -> str:
    if 0 < share < 0.005:
        return "<1%"
    return f"{share * 100:.0f}%"


def slack_problem_text(error: str, needed: str | None = None) -> str:
    """A Slack Web API error code (``not_in_channel``, ``missing_scope``, ...) in plain words."""
    if error in ("not_in_channel", "channel_not_found", "is_archived"):
        sentence = (
            "I can't post in this channel: invite me with /invite @segbot (or add the app from "
            "the channel's details), then try again."
        )
    elif error == "missing_scope":
        scope = needed or "a"
        sentence = (
            f"My Slack app is missing the {scope} permission. This is a set-up problem: ask "
            f"whoever manages the app to add the {scope} scope under OAuth & Permissions and "
            "reinstall it."
        )
    elif error in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
        sentence = (
            "Slack no longer accepts my token. This is a set-up problem: ask whoever runs segbot "
            "to reinstall the app and update SLACK_BOT_TOKEN."
        )
    elif error in ("file_not_found", "file_deleted"):
        sentence = "That file is no longer on Slack; share it again."
    elif error in ("ratelimited", "rate_limited"):
        sentence = "Slack is asking me to slow down right now; please try again in a minute."
    else:
        sentence = (
            f"Slack refused my request ({error}); please try again in a few minutes, and tell "
            "whoever runs segbot if it keeps happening."
        )
    return problem_text(sentence)
