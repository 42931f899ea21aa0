"""What Slack refuses, for the stand-in Slack of the bot tests (``slack_server.py``).

Every message (``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, a POST to a
``response_url``) and every view (``views.open``, ``views.update``, ``views.push``) is checked
the way Slack checks it, and a refusal carries Slack's own error name and its ``errors`` list
(``"<why> [json-pointer:/blocks/1/elements]"``, the shape Slack answers with).

slack_sdk's model classes (``Block.parse``, ``View``) are built from the JSON and their own
``validate_json`` validators run on every object reached, walking into every element, text
and option (``validate_json`` alone checks one object, not what it holds). The documented
limits slack_sdk does not know are added here. One rule a line, with where Slack documents it:

- blocks a message: 50 (docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in each
  message, and 100 blocks in modals or Home tabs")
- blocks a modal: 100, title, submit and close 24 characters, private_metadata 3,000
  (docs.slack.dev/reference/views/modal-views; slack_sdk ``View``)
- a modal with an input block has a submit button (docs.slack.dev/reference/views/modal-views:
  "submit is required when an input block is within the blocks array")
- section text 3,000 characters, at most 10 fields (docs.slack.dev/reference/block-kit/blocks/
  section-block; slack_sdk ``SectionBlock``)
- each section field 2,000 characters (same page; slack_sdk does not check it)
- header text 150 characters (…/blocks/header-block; slack_sdk ``HeaderBlock``)
- context 10 elements (…/blocks/context-block; slack_sdk ``ContextBlock``)
- actions 25 elements (…/blocks/actions-block; slack_sdk ``ActionsBlock``)
- button text 75, value 2,000, url 3,000 characters (…/block-elements/button-element;
  slack_sdk ``ButtonElement``)
- action_id and block_id 255 characters (every element and block page; slack_sdk)
- checkboxes and radio buttons 10 options (…/block-elements/checkboxes-element,
  radio-button-group-element; slack_sdk does not check it)
- static selects 100 options (…/block-elements/select-menu-element; slack_sdk)
- option text 75, option value 150 characters (…/composition-objects/option-object; slack_sdk
  ``Option``)
- an input block belongs in a modal, never in a message (slackapi/python-slack-sdk#1257: Slack
  answers ``invalid_blocks``)
- a key the block or element does not have is refused (Slack's Block Kit JSON schema has
  ``additionalProperties: false``; an unknown ``type`` is refused too)
- a message with blocks carries top-level ``text`` (docs.slack.dev/reference/methods/
  chat.postMessage: "highly recommended" as the notification and screen-reader fallback; Slack
  only warns, this stand-in refuses with ``invalid_arguments`` so a message no screen reader
  can read fails its test)
- about 12,000 characters of text in the blocks of one message, else ``msg_blocks_too_long``
  (docs.slack.dev markdown block: "cumulative limit ... 12,000 characters"; slackapi/bolt-js#2509
  measured the refusal at about 13,200 characters of block text)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, BlockElement, Option, TextObject
from slack_sdk.models.views import View

__all__ = [
    "MAX_MESSAGE_BLOCKS",
    "MAX_MESSAGE_BLOCK_TEXT",
    "MAX_FIELD_TEXT",
    "MAX_CHOICE_OPTIONS",
    "Refusal",
    "check_message",
    "check_view",
    "block_texts",
]

MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_BLOCK_TEXT = 12_000
MAX_FIELD_TEXT = 2_000
MAX_CHOICE_OPTIONS = 10


@dataclass(frozen=True)
class Refusal:
    """Slack's answer to a payload it will not take: ``error`` and its ``errors`` list."""

    error: str
    errors: tuple[str, ...]

    def answer(self) -> dict[str, Any]:
        """The JSON body Slack answers with (HTTP 200, ``ok: false``)."""
        return {
            "ok": False,
            "error": self.error,
            "errors": list(self.errors),
            "response_metadata": {"messages": [f"[ERROR] {e}" for e in self.errors]},
        }

    def __str__(self) -> str:
        return f"{self.error}: {'; '.join(self.errors)}"


def check_message(params: Mapping[str, Any]) -> Refusal | None:
    """The refusal Slack gives a message with these arguments, or None when it takes it."""
    raw = params.get("blocks")
    if raw is None or raw == "" or raw == []:
        return None
    blocks = _as_json(raw)
    if not isinstance(blocks, list):
        return Refusal("invalid_blocks_format", ("blocks must be a JSON array",))
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        return Refusal(
            "invalid_blocks",
            (f"no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]",),
        )
    problems = list(_block_problems(blocks, "/blocks"))
    problems += [
        f"input blocks belong in modals, not messages [json-pointer:/blocks/{i}]"
        for i, block in enumerate(blocks)
        if isinstance(block, dict) and block.get("type") == "input"
    ]
    if problems:
        return Refusal("invalid_blocks", tuple(problems))
    if not str(params.get("text") or "").strip():
        return Refusal(
            "invalid_arguments",
            ("a message with blocks needs a top-level text fallback [json-pointer:/text]",),
        )
    total = sum(len(text) for text in block_texts(blocks))
    if total > MAX_MESSAGE_BLOCK_TEXT:
        return Refusal(
            "msg_blocks_too_long",
            (f"{total} characters of text in blocks, more than {MAX_MESSAGE_BLOCK_TEXT}",),
        )
    return None


def check_view(raw: Any) -> Refusal | None:
    """The refusal Slack gives a view (``views.open``/``update``/``push``), or None."""
    view = _as_json(raw)
    if not isinstance(view, dict):
        return Refusal("invalid_arguments", ("view must be a JSON object [json-pointer:/view]",))
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return Refusal("invalid_arguments", ("view needs a blocks array [json-pointer:/view]",))
    problems = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The view's own fields and its block count, by View's validators; each block is
            # walked below (a divider stands in for it here, so one bad block is not reported
            # twice).
            View(**{**view, "blocks": [{"type": "divider"}] * len(blocks)}).validate_json()
    except (SlackObjectFormationError, TypeError, AttributeError) as error:
        problems.append(f"{error} [json-pointer:/view]")
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and not view.get("submit"):
        problems.append("a modal with input blocks needs submit [json-pointer:/view/submit]")
    problems += _block_problems(blocks, "/view/blocks")
    return Refusal("invalid_arguments", tuple(problems)) if problems else None


def block_texts(node: Any) -> Iterator[str]:
    """Every ``text`` string inside blocks (text objects, fields, options, buttons)."""
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from block_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from block_texts(value)


# ---------------------------------------------------------------------------- the walk


def _block_problems(blocks: list[Any], pointer: str) -> list[str]:
    problems: list[str] = []
    for index, raw in enumerate(blocks):
        here = f"{pointer}/{index}"
        if not isinstance(raw, dict):
            problems.append(f"a block must be an object [json-pointer:{here}]")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                block = Block.parse(raw)
        except (SlackObjectFormationError, TypeError, KeyError, ValueError, AttributeError) as e:
            problems.append(f"{e} [json-pointer:{here}]")
            continue
        if block is None:
            problems.append(f"unknown block type {raw.get('type')!r} [json-pointer:{here}/type]")
            continue
        problems += _walk(block, raw, here)
    return problems


def _walk(obj: Any, raw: Any, pointer: str) -> list[str]:
    """Run slack_sdk's validators on ``obj`` (built from ``raw``) and everything inside it,
    plus the documented limits slack_sdk lacks; one message per problem, with its pointer."""
    if isinstance(raw, list):
        items = obj if isinstance(obj, list) else []
        problems: list[str] = []
        for index, item in enumerate(raw):
            child = items[index] if index < len(items) else None
            problems += _walk(child, item, f"{pointer}/{index}")
        return problems
    if not isinstance(raw, dict):
        return []
    if not isinstance(obj, JsonObject):
        # slack_sdk keeps some children as the raw JSON (radio buttons' options): build them.
        obj = _build(raw)
    if obj is None:
        kind = raw.get("type")
        return [f"unknown or misplaced object of type {kind!r} [json-pointer:{pointer}]"]
    problems = []
    try:
        obj.validate_json()
    except SlackObjectFormationError as error:
        problems.append(f"{error} [json-pointer:{pointer}]")
    problems += _missing_limits(raw, pointer)
    known = set(obj.attributes) or set(raw)
    for key, value in raw.items():
        if key not in known and key not in _ALWAYS_KNOWN:
            problems.append(f"unknown key {key!r} [json-pointer:{pointer}/{key}]")
            continue
        if isinstance(value, dict | list):
            problems += _walk(_child(obj, key), value, f"{pointer}/{key}")
    return problems


# Keys Slack sends back or accepts everywhere that slack_sdk's ``attributes`` leave out.
_ALWAYS_KNOWN = frozenset({"type", "block_id", "emoji", "verbatim"})


def _build(raw: Mapping[str, Any]) -> JsonObject | None:
    """slack_sdk's object for a JSON object it left unbuilt: a text, an element or an option."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if raw.get("type") in ("plain_text", "mrkdwn"):
                return TextObject.parse(dict(raw))
            if "type" in raw:
                return BlockElement.parse(dict(raw))
            if "value" in raw or "text" in raw:
                return Option.parse_all([dict(raw)])[0]
        except (SlackObjectFormationError, TypeError, KeyError, ValueError, AttributeError):
            return None
    return None


def _child(obj: JsonObject, key: str) -> Any:
    """The built object for ``key``: slack_sdk keeps some under ``_key`` (Option's text)."""
    private = getattr(obj, f"_{key}", None)
    if isinstance(private, JsonObject | list):
        return private
    return getattr(obj, key, None)


def _missing_limits(raw: Mapping[str, Any], pointer: str) -> list[str]:
    """Documented limits slack_sdk's validators do not check."""
    problems = []
    kind = raw.get("type")
    if kind == "section":
        for index, field in enumerate(raw.get("fields") or []):
            text = field.get("text", "") if isinstance(field, dict) else ""
            if len(text) > MAX_FIELD_TEXT:
                problems.append(
                    f"must be less than {MAX_FIELD_TEXT + 1} characters "
                    f"[json-pointer:{pointer}/fields/{index}/text]"
                )
    if kind in ("checkboxes", "radio_buttons"):
        options = raw.get("options") or []
        if len(options) > MAX_CHOICE_OPTIONS:
            problems.append(
                f"no more than {MAX_CHOICE_OPTIONS} items allowed [json-pointer:{pointer}/options]"
            )
    return problems


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        # Form-encoded calls carry JSON as strings, as Slack accepts them.
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value
