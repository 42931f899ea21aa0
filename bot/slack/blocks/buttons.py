"""The buttons under an answer and the "Choose columns" modal: what they carry, how they read.

Pure: no Slack calls, no core. Each button carries everything a follow-up needs (the file, the
reading, k and the columns) in its ``value``, so any bot process answers a click, after restarts
too. When that does not fit Slack's 2,000 characters (wide files, long headers) the state is
kept in the queue's store (``keep``, :meth:`bot.queue.ThreadLinks.keep`) and the value carries
``@`` and its short key, read back with ``recall``; the modal's metadata likewise. The listener
reads these values without loading the heavy stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from bot.slack.text import clip, names

if TYPE_CHECKING:  # the listener never loads the core; only workers format results
    from segmentation import SegmentationResult

__all__ = [
    "ACTION_FEWER",
    "ACTION_MORE",
    "ACTION_COLUMNS",
    "ACTION_AUDIENCE",
    "ACTION_IDS",
    "COLUMNS_VIEW",
    "COLUMNS_BLOCK",
    "MIN_K",
    "MAX_K",
    "MAX_VALUE_CHARS",
    "DEMO_SOURCE",
    "FollowUp",
    "Submission",
    "BadValue",
    "usable_columns",
    "state_of",
    "answer_buttons",
    "read_value",
    "columns_modal",
    "read_submission",
    "change_text",
    "Keep",
    "Recall",
]

ACTION_FEWER = "segbot_fewer"
ACTION_MORE = "segbot_more"
ACTION_COLUMNS = "segbot_columns"
ACTION_AUDIENCE = "segbot_audience"
ACTION_IDS = (ACTION_FEWER, ACTION_MORE, ACTION_COLUMNS, ACTION_AUDIENCE)
COLUMNS_VIEW = "segbot_columns_view"
# The block and element ids of the modal's inputs (``response_action: errors`` names blocks).
COLUMNS_BLOCK, COLUMNS_ELEMENT = "columns", "picked"
READING_BLOCK, READING_ELEMENT = "reading", "read_as"

# The core's range of k (segmentation.model.clustering.K_RANGE), without importing it.
MIN_K, MAX_K = 2, 10
# Slack's limits: a button value, a modal's private_metadata, option texts and values.
MAX_VALUE_CHARS = 2000
MAX_METADATA_CHARS = 3000
MAX_OPTION_TEXT = 75
MAX_CHECKBOXES = 10
MAX_SELECT_OPTIONS = 100
DEMO_SOURCE = "demo"
# Reasons under which the core left a numeric column out that a person may still choose.
_CHOOSABLE_REASONS = (
    "demographic: profiled, not clustered",
    "not a behaviour or value column: profiled, not clustered",
    "a measure beyond the few that shape the segments: profiled, not clustered",
    "not among the columns asked for: profiled, not clustered",
)
_RFM_LABELS = {
    "recency_days": "Recency (days since the last order)",
    "frequency": "Frequency (number of orders)",
    "monetary": "Monetary (total spend)",
}

Reading = Literal["customers", "rfm"]
Block = dict[str, Any]
# Keep a long text in the store and return its key; read a key back (None when forgotten).
Keep = Callable[[str], str]
Recall = Callable[[str], "str | None"]
_REF = "@"


class BadValue(ValueError):
    """A button value or modal state that segbot did not write (or wrote in another shape)."""


@dataclass(frozen=True)
class FollowUp:
    """What an answer was: enough to run it again with one thing changed.

    ``source`` is a Slack file id or ``"demo"``; ``mode`` the reading of the answer;
    ``k_given`` whether the person fixed k (a change of columns keeps it then); ``order_log``
    whether the file is a log of orders (the modal offers the reading); ``usable`` the columns
    a person may tick (``more`` when some did not fit in a button's value).
    """

    source: str
    mode: Reading
    k: int
    columns: tuple[str, ...]
    k_given: bool = False
    order_log: bool = False
    usable: tuple[str, ...] = field(default_factory=tuple)
    more: bool = False

    def to_json(self, *, with_usable: bool = False) -> str:
        """The compact JSON carried in a button value (or the modal's private_metadata)."""
        data: dict[str, Any] = {
            "s": self.source,
            "m": self.mode,
            "k": self.k,
            "c": list(self.columns),
        }
        if self.k_given:
            data["g"] = 1
        if self.order_log:
            data["o"] = 1
        if with_usable:
            data["u"] = list(self.usable)
            if self.more:
                data["x"] = 1
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> FollowUp:
        """Read a value written by :meth:`to_json`; :class:`BadValue` for anything else."""
        try:
            data = json.loads(text)
            source, mode, k = str(data["s"]), data["m"], int(data["k"])
            columns = tuple(str(c) for c in data.get("c") or [])
            usable = tuple(str(c) for c in data.get("u") or [])
        except (ValueError, TypeError, KeyError) as error:
            raise BadValue(f"not a segbot button value: {type(error).__name__}") from None
        if mode not in ("customers", "rfm") or not source:
            raise BadValue("not a segbot button value: unknown reading")
        return cls(
            source=source,
            mode=mode,
            k=k,
            columns=columns,
            k_given=bool(data.get("g")),
            order_log=bool(data.get("o")),
            usable=usable,
            more=bool(data.get("x")),
        )


def usable_columns(result: SegmentationResult) -> tuple[str, ...]:
    """The columns a person may choose for this file: those used first, then the other numbers.

    In an order log these are the RFM measures; otherwise the numeric columns that are neither
    personal data nor identifiers nor constant (the core's own exclusions).
    """
    if result.mode == "rfm":
        measures = ("recency_days", "frequency", "monetary")
        if "monetary" not in result.features:
            measures = ("recency_days", "frequency")
        return tuple(dict.fromkeys([*result.features, *measures]))
    others = [c for c, why in result.excluded_columns.items() if why in _CHOOSABLE_REASONS]
    return tuple(dict.fromkeys([*result.features, *others]))


def state_of(result: SegmentationResult, source: str, *, order_log: bool | None = None) -> FollowUp:
    """The follow-up state of an answer: its file, reading, k and columns."""
    return FollowUp(
        source=source,
        mode=result.mode,
        k=result.k,
        columns=tuple(result.features),
        k_given=result.k_selection.method == "given",
        order_log=result.mode == "rfm" if order_log is None else order_log,
        usable=usable_columns(result),
    )


def _fit_usable(state: FollowUp) -> FollowUp:
    """Keep the usable columns that fit in one button value (the current ones first)."""
    usable = list(dict.fromkeys([*state.columns, *state.usable]))
    kept: list[str] = []
    for column in usable:
        trial = replace(state, usable=(*kept, column), more=True)
        if len(trial.to_json(with_usable=True)) > MAX_VALUE_CHARS:
            break
        kept.append(column)
    return replace(state, usable=tuple(kept), more=len(kept) < len(usable))


def _carried(text: str, keep: Keep | None, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` itself when it fits ``limit``, else ``@`` and the key it is kept under."""
    if len(text) <= limit:
        return text
    if keep is None:
        raise BadValue(f"a follow-up state of {len(text)} characters needs a store to keep it")
    return _REF + keep(text)


def _resolve(text: str, recall: Recall | None) -> str:
    """The state a value or metadata carries (looked up when it is a key)."""
    if not text.startswith(_REF):
        return text
    kept = recall(text[len(_REF) :]) if recall is not None else None
    if kept is None:
        raise BadValue("a follow-up state that is no longer kept")
    return kept


def answer_buttons(state: FollowUp, *, audience: bool = True, keep: Keep | None = None) -> Block:
    """The actions block under an answer: fewer/more segments, choose columns, audience files.

    >>> block = answer_buttons(FollowUp("F1", "customers", 2, ("Age", "Income")))
    >>> [e["text"]["text"] for e in block["elements"]]
    ['More segments', 'Choose columns…', 'Audience files']
    """
    value = _carried(state.to_json(), keep)
    elements: list[Block] = []
    if state.k > MIN_K:
        elements.append(_button("Fewer segments", ACTION_FEWER, value))
    if state.k < MAX_K:
        elements.append(_button("More segments", ACTION_MORE, value))
    # With a store every usable column is kept; without one, those that fit in the value.
    fitted = replace(state, usable=tuple(dict.fromkeys([*state.columns, *state.usable])))
    if keep is None:
        fitted = _fit_usable(state)
    if len(fitted.usable) >= 2 or state.order_log:
        columns_value = _carried(fitted.to_json(with_usable=True), keep)
        elements.append(_button("Choose columns…", ACTION_COLUMNS, columns_value))
    if audience:
        elements.append(_button("Audience files", ACTION_AUDIENCE, value))
    return {"type": "actions", "block_id": "segbot_followups", "elements": elements}


def _button(text: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def read_value(action: Mapping[str, Any], recall: Recall | None = None) -> FollowUp:
    """The state a clicked button carries (``action`` is one entry of ``actions``)."""
    return FollowUp.from_json(_resolve(str(action.get("value") or ""), recall))


def columns_modal(
    state: FollowUp, *, channel: str, thread_ts: str | None, keep: Keep | None = None
) -> Block:
    """The "Choose columns" modal: the usable columns (current ones ticked) and the reading.

    Up to 10 columns are checkboxes (Slack's limit for a checkbox group); more are a
    multi-select with the current ones pre-selected. Option values are indices into the list
    kept in ``private_metadata``, so long column names survive Slack's 150-character values.
    """
    usable = state.usable[:MAX_SELECT_OPTIONS]
    options = [_option(_label(state, c), str(i)) for i, c in enumerate(usable)]
    initial = [o for o, c in zip(options, usable, strict=True) if c in state.columns]
    element: Block
    if len(options) <= MAX_CHECKBOXES:
        element = {"type": "checkboxes", "action_id": COLUMNS_ELEMENT, "options": options}
    else:
        element = {
            "type": "multi_static_select",
            "action_id": COLUMNS_ELEMENT,
            "placeholder": {"type": "plain_text", "text": "Pick columns"},
            "options": options,
        }
    if initial:
        element["initial_options"] = initial
    hint = "Tick at least two columns to compare customers on."
    if state.more or len(state.usable) > len(usable):
        hint += " The file has more columns than fit here; name them with /segment columns=…"
    blocks: list[Block] = []
    if state.order_log:
        readings = [
            _option("As orders (recency, frequency, spend per customer)", "rfm"),
            _option("As customers (one row per customer)", "customers"),
        ]
        blocks.append(
            {
                "type": "input",
                "block_id": READING_BLOCK,
                "label": {"type": "plain_text", "text": "Read the file"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": READING_ELEMENT,
                    "options": readings,
                    "initial_option": readings[0 if state.mode == "rfm" else 1],
                },
            }
        )
        hint += " When you change how the file is read, I choose the columns myself."
    blocks.append(
        {
            "type": "input",
            "block_id": COLUMNS_BLOCK,
            # Optional, so one ticked column reaches us and gets its sentence in the modal.
            "optional": True,
            "label": {"type": "plain_text", "text": "Columns"},
            "hint": {"type": "plain_text", "text": hint},
            "element": element,
        }
    )
    # Room for the channel and thread around the state (ids of a few dozen characters).
    carried = _carried(state.to_json(with_usable=True), keep, MAX_METADATA_CHARS - 200)
    metadata = json.dumps(
        {"state": carried, "channel": channel, "thread_ts": thread_ts},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    if len(metadata) > MAX_METADATA_CHARS:
        raise BadValue("the modal's metadata does not fit Slack's 3,000 characters")
    return {
        "type": "modal",
        "callback_id": COLUMNS_VIEW,
        "title": {"type": "plain_text", "text": "Choose columns"},
        "submit": {"type": "plain_text", "text": "Segment"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks,
    }


def _label(state: FollowUp, column: str) -> str:
    text = _RFM_LABELS.get(column, column) if state.mode == "rfm" or state.order_log else column
    return clip(text, MAX_OPTION_TEXT)


def _option(text: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


@dataclass(frozen=True)
class Submission:
    """A submitted "Choose columns" modal: the new state, where to answer, or the error."""

    before: FollowUp
    after: FollowUp | None
    channel: str
    thread_ts: str | None
    error: str | None = None


def read_submission(view: Mapping[str, Any], recall: Recall | None = None) -> Submission:
    """Read a ``view_submission``'s view: the columns ticked and the reading chosen.

    ``error`` is the sentence to show under the columns when fewer than two are ticked (Slack
    shows it in the modal through ``response_action: errors``).
    """
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        before = FollowUp.from_json(_resolve(str(meta["state"]), recall))
        channel, thread_ts = str(meta["channel"]), meta.get("thread_ts")
    except (ValueError, TypeError, KeyError):
        raise BadValue("not a segbot modal") from None
    values = (view.get("state") or {}).get("values") or {}
    picked = (values.get(COLUMNS_BLOCK) or {}).get(COLUMNS_ELEMENT) or {}
    indices = [str(o.get("value")) for o in picked.get("selected_options") or []]
    # In the file's order, whatever order they were ticked in.
    picked_at = sorted({int(i) for i in indices if i.isdigit() and int(i) < len(before.usable)})
    columns = tuple(before.usable[i] for i in picked_at)
    mode: Reading = before.mode
    if before.order_log:
        chosen = ((values.get(READING_BLOCK) or {}).get(READING_ELEMENT) or {}).get(
            "selected_option"
        ) or {}
        mode = "customers" if chosen.get("value") == "customers" else "rfm"
    if mode != before.mode:
        # Each reading has its own columns (RFM measures, or the rows' own numbers), so the
        # ones listed belong to the other reading: the core chooses for the new one.
        after = replace(before, mode=mode, columns=(), k_given=False)
        return Submission(before, after, channel, thread_ts)
    if len(columns) < 2:
        error = (
            "Tick at least two columns: segments compare customers on two or more numbers."
            if not columns
            else f"Tick at least one more column besides {columns[0]}: segments compare "
            "customers on two or more numbers."
        )
        return Submission(before, None, channel, thread_ts, error=error)
    return Submission(before, replace(before, mode=mode, columns=columns), channel, thread_ts)


def change_text(before: FollowUp, after: FollowUp, op: str) -> str:
    """What changed, as mrkdwn: "6 segments instead of 5", "On Age and Income instead of …"
    (column names escaped, and bounded however many columns the file has)."""
    if op in (ACTION_FEWER, ACTION_MORE):
        return f"{after.k} segments instead of {before.k}"
    if op == ACTION_AUDIENCE:
        return "Audience files, one per segment"
    if after.mode != before.mode:
        reading = "as a list of orders" if after.mode == "rfm" else "one row per customer"
        return f"The file read {reading}"
    return f"On {_and(after.columns, after)} instead of {_and(before.columns, before)}"


def _and(columns: Sequence[str], state: FollowUp) -> str:
    """The columns as escaped mrkdwn, bounded (a context element takes 2,000 characters)."""
    shown = [_RFM_LABELS.get(c, c).split(" (")[0] if state.mode == "rfm" else c for c in columns]
    return names(shown, limit=700, empty="the columns I chose")
