"""The answer as it arrives in Slack: what to do first under the headline, money with its symbol,
"How sure" in words at the end, and no statistics jargon."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from segmentation.samples import SCENARIOS, planted_order_log, with_currency_column
from tests.bot.harness import HttpBot
from tests.bot.slack_server import FakeSlack, message_text


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def test_a_dropped_shopify_export_gets_the_priority_first_in_its_currency(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    log = planted_order_log(SCENARIOS["shopify_700"], seed=0).orders
    data = with_currency_column(log, "USD").to_csv(index=False).encode()
    file = slack.add_file("orders_export.csv", data, channel="C0SHOP")
    assert http_bot.event(slack.file_shared_event(file)).status == 200

    slack.wait_calls("files.completeUploadExternal", timeout=30)
    answers = [c.params for c in slack.calls("chat.postMessage") if c.status == 200]
    assert len(answers) == 1, answers
    blocks = _blocks(answers[0])
    headline, priority = blocks[1]["text"]["text"].split("\n")
    assert headline.startswith("*700 customers from ")
    assert re.fullmatch(
        r":dart: Start with At risk: 100 customers who spent \$[\d,]+ in all and have not "
        r"ordered for about \d+ months\. About \d+% of them are likely still buying; together "
        r"they are expected to spend about \$[\d,]+ in the next year\. Win them back .*",
        html.unescape(priority),
    ), priority
    text = html.unescape(message_text(answers[0]))
    assert re.search(r"\$[\d,]+ spent in all", text)
    assert "How sure: clear groups" in text
    assert not re.search(r"silhouette|inertia|elbow", text, re.IGNORECASE)
