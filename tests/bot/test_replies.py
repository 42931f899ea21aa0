"""The answer's layout on real results: within Slack's limits, names exactly the core's."""

from __future__ import annotations

import html
import json
import logging

import pytest

from bot.logs import TokenRedactor, redact
from bot.slack.blocks.replies import MAX_BLOCKS, render_answer, usage_reply
from bot.slack.text import MAX_SECTION_CHARS
from segmentation import Options, demo_csv, run
from tests.bot.slack_server import message_text


@pytest.mark.parametrize("k", [None, 2, 10])
def test_answer_fits_slack_limits_and_keeps_the_core_names(k: int | None) -> None:
    result = run(demo_csv(), Options(k=k), filename="demo.csv")
    reply = render_answer(result, requested_by="U0ALICE")

    assert len(reply.blocks) <= MAX_BLOCKS
    for block in reply.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    sections = [b["text"]["text"] for b in reply.blocks if b["type"] == "section"]
    for segment in result.segments:
        line = f":{segment.marker}: *{segment.name}* — {segment.size} customer"
        assert sum(html.unescape(s).startswith(line) for s in sections) == 1
    # The fallback text (notifications, screen readers) names every segment too.
    assert all(s.name in reply.text for s in result.segments)
    assert "<@U0ALICE>" in message_text({"blocks": reply.blocks})
    json.dumps(reply.blocks)  # what Slack receives is plain JSON


def test_usage_mentions_every_form_of_the_command() -> None:
    text = usage_reply().text
    for form in ("`/segment`", "`/segment demo`", "k=4", 'columns="', "mode=rfm", ".xlsx"):
        assert form in text


def test_tokens_never_reach_the_log() -> None:
    record = logging.LogRecord(
        "bot", logging.ERROR, __file__, 1, "calling %s with %s", ("auth.test", None), None
    )
    record.args = ("auth.test", {"Authorization": "Bearer xoxb-123-456-secretsecret"})
    TokenRedactor().filter(record)
    shown = record.getMessage()
    assert "secretsecret" not in shown and "auth.test" in shown
    assert redact("xapp-1-A0-99-abc and xoxp-1-2-3") == "xapp-[redacted] and xoxp-[redacted]"
