"""The stand-in Slack refuses what Slack refuses, with Slack's error names, and takes the rest.

The rules are checked directly (``slack_rules``) and through the server over real HTTP with
slack_sdk's own ``WebClient``, the client the bot uses.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.bot.slack_rules import check_message, check_view
from tests.bot.slack_server import BOT_TOKEN, FakeSlack, wait_until

CHANNEL = "C0RULES"


def _text(text: str, kind: str = "plain_text") -> dict[str, str]:
    return {"type": kind, "text": text}


def _button(value: str = "v", text: str = "Go", action_id: str = "go") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": _text(text), "value": value}


def _option(text: str, value: str = "a") -> dict[str, Any]:
    return {"text": _text(text), "value": value}


def _modal(*blocks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    view = {
        "type": "modal",
        "title": _text("Choose columns"),
        "submit": _text("Segment"),
        "close": _text("Cancel"),
        "blocks": list(blocks),
    }
    view.update(fields)
    return view


def _checkboxes_input(*options: dict[str, Any]) -> dict[str, Any]:
    element = {"type": "checkboxes", "action_id": "columns", "options": list(options)}
    return {"type": "input", "block_id": "pick", "label": _text("Columns"), "element": element}


@pytest.fixture
def server() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def client(server: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=server.api_url)


# ---------------------------------------------------------------------------- messages


def test_a_message_within_the_limits_passes() -> None:
    buttons = range(25)
    blocks = [
        {"type": "header", "text": _text("h" * 150)},
        {"type": "section", "text": _text("s" * 3000, "mrkdwn")},
        {"type": "section", "fields": [_text("f" * 2000, "mrkdwn")] * 2},
        {"type": "context", "elements": [_text("c", "mrkdwn")] * 10},
        {"type": "actions", "elements": [_button("v" * 2000, "t" * 75, f"a{i}") for i in buttons]},
    ]
    assert check_message({"text": "fallback", "blocks": blocks}) is None
    assert check_message({"text": "fifty", "blocks": [{"type": "divider"}] * 50}) is None


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        ({"type": "section", "text": _text("s" * 3001, "mrkdwn")}, "/blocks/0"),
        ({"type": "section", "fields": [_text("f", "mrkdwn")] * 11}, "/blocks/0"),
        ({"type": "section", "fields": [_text("f" * 2001, "mrkdwn")]}, "/blocks/0/fields/0/text"),
        ({"type": "header", "text": _text("h" * 151)}, "/blocks/0"),
        ({"type": "context", "elements": [_text("c", "mrkdwn")] * 11}, "/blocks/0"),
        ({"type": "actions", "elements": [_button(action_id=f"a{i}") for i in range(26)]}, ""),
        ({"type": "section", "block_id": "b" * 256, "text": _text("s")}, "/blocks/0"),
        ({"type": "section", "text": _text("s"), "colour": "red"}, "/blocks/0/colour"),
        ({"type": "carousel-of-doom"}, "/blocks/0/type"),
    ],
)
def test_a_block_past_a_documented_limit_is_invalid_blocks(
    block: dict[str, Any], pointer: str
) -> None:
    refusal = check_message({"text": "fallback", "blocks": [block]})
    assert refusal is not None and refusal.error == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}" in e for e in refusal.errors), refusal.errors


def test_the_walk_reaches_a_button_value_inside_an_actions_block() -> None:
    blocks = [
        {"type": "section", "text": _text("Next?")},
        {"type": "actions", "elements": [_button("ok"), _button("v" * 2001, action_id="long")]},
    ]
    refusal = check_message({"text": "Next?", "blocks": blocks})
    assert refusal is not None and refusal.error == "invalid_blocks"
    assert refusal.errors == (
        "value attribute cannot exceed 2000 characters [json-pointer:/blocks/1/elements/1]",
    )


def test_the_walk_reaches_an_option_inside_a_section_accessory() -> None:
    accessory = {"type": "static_select", "action_id": "pick", "placeholder": _text("Pick")}
    accessory["options"] = [_option("o" * 76)]
    blocks = [{"type": "section", "text": _text("Pick one"), "accessory": accessory}]
    refusal = check_message({"text": "Pick one", "blocks": blocks})
    assert refusal is not None
    assert "[json-pointer:/blocks/0/accessory/options/0]" in refusal.errors[0]


def test_more_than_50_blocks_is_refused() -> None:
    refusal = check_message({"text": "many", "blocks": [{"type": "divider"}] * 51})
    assert refusal is not None and refusal.error == "invalid_blocks"
    assert refusal.errors == ("no more than 50 items allowed [json-pointer:/blocks]",)


def test_blocks_without_top_level_text_are_refused() -> None:
    refusal = check_message({"blocks": [{"type": "section", "text": _text("hello")}]})
    assert refusal is not None and refusal.error == "invalid_arguments"


def test_an_input_block_in_a_message_is_refused() -> None:
    refusal = check_message({"text": "t", "blocks": [_checkboxes_input(_option("a"))]})
    assert refusal is not None and refusal.error == "invalid_blocks"


def test_too_much_text_in_one_message_is_msg_blocks_too_long() -> None:
    blocks = [{"type": "section", "text": _text("x" * 2500, "mrkdwn")}] * 5
    refusal = check_message({"text": "long", "blocks": blocks})
    assert refusal is not None and refusal.error == "msg_blocks_too_long"
    assert check_message({"text": "long", "blocks": blocks[:4]}) is None


def test_the_server_answers_with_slacks_error_and_records_it(
    server: FakeSlack, client: WebClient
) -> None:
    blocks = [{"type": "actions", "elements": [_button("v" * 2001)]}]
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=CHANNEL, text="Next?", blocks=blocks)
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "invalid_blocks"
    assert refused.value.response["errors"] == [
        "value attribute cannot exceed 2000 characters [json-pointer:/blocks/0/elements/0]"
    ]
    assert server.messages == [] and server.chat_texts() == []
    assert [m for m, _ in server.refusals] == ["chat.postMessage"]
    assert not server.calls("chat.postMessage")[0].ok


def test_chat_update_is_checked_too(server: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel=CHANNEL, ts="1.1", text="t", blocks=[{"type": "divider"}] * 51)
    assert refused.value.response["error"] == "invalid_blocks"


# ---------------------------------------------------------------------------- views


def test_a_modal_within_the_limits_opens(server: FakeSlack, client: WebClient) -> None:
    view = _modal(_checkboxes_input(*[_option("o" * 75, f"v{i}") for i in range(10)]))
    view["private_metadata"] = "m" * 3000
    opened = client.views_open(trigger_id=server.trigger_id(), view=view)
    assert opened["ok"] and server.views


def test_the_walk_reaches_an_option_of_checkboxes_in_a_modal_input_block() -> None:
    refusal = check_view(_modal(_checkboxes_input(_option("fine"), _option("o" * 76, "b"))))
    assert refusal is not None and refusal.error == "invalid_arguments"
    assert refusal.errors == (
        "text attribute cannot exceed 75 characters "
        "[json-pointer:/view/blocks/0/element/options/1]",
    )


@pytest.mark.parametrize(
    ("view", "why"),
    [
        (_modal(_checkboxes_input(*[_option("o", f"v{i}") for i in range(11)])), "items"),
        (_modal({"type": "divider"}, title=_text("t" * 25)), "title"),
        (_modal({"type": "divider"}, submit=_text("s" * 25)), "submit"),
        (_modal({"type": "divider"}, close=_text("c" * 25)), "close"),
        (_modal({"type": "divider"}, private_metadata="m" * 3001), "private_metadata"),
        (_modal(*[{"type": "divider"}] * 101), "100 blocks"),
        (_modal(_checkboxes_input(_option("a")), submit=None), "submit"),
    ],
)
def test_a_modal_past_a_documented_limit_is_refused(view: dict[str, Any], why: str) -> None:
    refusal = check_view({k: v for k, v in view.items() if v is not None})
    assert refusal is not None and refusal.error == "invalid_arguments"
    assert any(why in e for e in refusal.errors), refusal.errors


def test_a_trigger_id_expires_after_3_seconds(server: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=server.trigger_id(age=3.5), view=_modal({"type": "divider"}))
    assert refused.value.response["error"] == "expired_trigger_id"
    assert not server.views


def test_a_trigger_id_opens_one_view(server: FakeSlack, client: WebClient) -> None:
    trigger = server.trigger_id()
    client.views_open(trigger_id=trigger, view=_modal({"type": "divider"}))
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=trigger, view=_modal({"type": "divider"}))
    assert refused.value.response["error"] == "exchanged_trigger_id"


# ---------------------------------------------------------------------------- Slack's habits


def test_an_ephemeral_into_a_thread_with_no_reply_is_taken_but_unseen(
    server: FakeSlack, client: WebClient
) -> None:
    top = client.chat_postMessage(channel=CHANNEL, text="the answer")["ts"]
    answer = client.chat_postEphemeral(channel=CHANNEL, user="U0BOB", thread_ts=top, text="psst")
    assert answer["ok"]
    assert [e["text"] for e in server.unseen_ephemerals()] == ["psst"]
    assert "psst" not in server.chat_texts()
    assert any("no reply yet" in p for p in server.problems())


def test_an_ephemeral_into_a_thread_with_a_reply_is_seen(
    server: FakeSlack, client: WebClient
) -> None:
    top = client.chat_postMessage(channel=CHANNEL, text="the answer")["ts"]
    client.chat_postMessage(channel=CHANNEL, thread_ts=top, text="a reply")
    client.chat_postEphemeral(channel=CHANNEL, user="U0BOB", thread_ts=top, text="psst")
    assert not server.unseen_ephemerals() and "psst" in server.chat_texts()
    assert server.problems() == []


def _post(url: str, payload: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_response_url_takes_5_posts(server: FakeSlack) -> None:
    url = server.response_url()
    answers = [_post(url, {"text": f"note {n}"}) for n in range(6)]
    assert answers[:5] == [(200, b"ok")] * 5
    assert answers[5] == (404, b"used_url")
    assert [r.error for _, r in server.refusals] == ["used_url"]


def test_a_response_url_checks_blocks_like_a_message(server: FakeSlack) -> None:
    blocks = [{"type": "section", "text": _text("s" * 3001)}]
    assert _post(server.response_url(), {"text": "t", "blocks": blocks}) == (
        400,
        b"invalid_blocks",
    )


def test_the_shares_of_an_upload_appear_after_a_moment(client: WebClient) -> None:
    client.files_upload_v2(content=b"a,b\n1,2\n", filename="x.csv", channel=CHANNEL)
    file_id = client.files_list(count=10)["files"][0]["id"]
    assert client.files_info(file=file_id)["file"]["shares"] == {}
    shared = wait_until(
        lambda: client.files_info(file=file_id)["file"]["shares"], 5, "the upload's shares"
    )
    assert CHANNEL in shared["public"]


def test_an_external_file_links_to_another_host_that_never_gives_the_bytes(
    server: FakeSlack,
) -> None:
    file = server.add_file("Spend.gsheet", b"a,b\n1,2\n", channel=CHANNEL, external=True)
    assert file["mode"] == "external" and "url_private_download" not in file
    assert not file["url_private"].startswith(server.base_url)
    request = urllib.request.Request(
        file["url_private"], headers={"Authorization": f"Bearer {BOT_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert b"a,b" not in response.read()
    assert server.calls("external_download")[0].headers["Authorization"] == f"Bearer {BOT_TOKEN}"


def test_the_walk_reaches_radio_button_options_slack_sdk_keeps_as_json() -> None:
    radio = {"type": "radio_buttons", "action_id": "reading"}
    radio["options"] = [_option("As orders", "rfm"), _option("c" * 76, "customers")]
    radio["initial_option"] = radio["options"][0]
    block = {"type": "input", "block_id": "r", "label": _text("Read the file"), "element": radio}
    assert (
        check_view(_modal({**block, "element": {**radio, "options": radio["options"][:1]}})) is None
    )
    refusal = check_view(_modal(block))
    assert refusal is not None
    assert refusal.errors == (
        "text attribute cannot exceed 75 characters "
        "[json-pointer:/view/blocks/0/element/options/1]",
    )
