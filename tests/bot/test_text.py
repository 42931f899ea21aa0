"""The one place file content becomes mrkdwn (bot.slack.text) and button states that do not fit."""

from __future__ import annotations

import pytest

from bot.slack.blocks.buttons import (
    MAX_VALUE_CHARS,
    FollowUp,
    answer_buttons,
    change_text,
    read_value,
)
from bot.slack.files import DownloadFailed, SlackFile, download_file
from bot.slack.text import MAX_MESSAGE_CHARS, clip, escape, fit_message, names, section

WIDE = tuple(f'Spend on category «{i:03d}» — 東京 🛒 "{"x" * 200}"' for i in range(1000))


def test_a_header_that_looks_like_a_mention_is_escaped_and_never_torn() -> None:
    text = escape("<!here> R&D <@U0BOSS>")
    assert "<" not in text and ">" not in text
    # A cut never leaves half an escape behind ("&am…" would show as text).
    for limit in range(2, len(text)):
        cut = clip(text, limit)
        assert len(cut) <= limit
        assert not cut.rstrip("…").endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))


def test_a_thousand_long_names_make_one_bounded_phrase() -> None:
    phrase = names(WIDE, limit=700)
    assert len(phrase) <= 700
    assert phrase.endswith("more")
    assert names(["<!channel>", "visits"]) == "&lt;!channel&gt; and visits"


def test_a_message_over_slacks_total_is_cut_to_fit_with_its_short_texts_whole() -> None:
    blocks = [section("a" * 2900) for _ in range(8)] + [section("Short and whole")]
    fitted = fit_message({"channel": "C1", "text": "b" * 50_000, "blocks": blocks})
    texts = [b["text"]["text"] for b in fitted["blocks"]]
    assert sum(map(len, texts)) <= MAX_MESSAGE_CHARS
    assert texts[-1] == "Short and whole"
    assert len(fitted["text"]) <= 3000
    assert blocks[0]["text"]["text"] == "a" * 2900  # the caller's blocks are left alone


def test_a_state_too_long_for_a_button_is_kept_and_read_back() -> None:
    kept: dict[str, str] = {}

    def keep(text: str) -> str:
        kept[str(len(kept))] = text
        return str(len(kept) - 1)

    state = FollowUp("F1", "customers", 4, WIDE[:300], usable=WIDE)
    block = answer_buttons(state, keep=keep)
    values = {e["action_id"]: e["value"] for e in block["elements"]}
    assert all(len(v) <= MAX_VALUE_CHARS for v in values.values())
    back = read_value({"value": values["segbot_columns"]}, kept.get)
    assert back.columns == WIDE[:300] and back.usable == WIDE
    assert read_value({"value": values["segbot_more"]}, kept.get).columns == WIDE[:300]


def test_what_changed_stays_within_a_context_element_for_wide_files() -> None:
    before = FollowUp("F1", "customers", 4, WIDE[:500])
    after = FollowUp("F1", "customers", 4, ("<!here> basket", *WIDE[500:]))
    line = change_text(before, after, "segbot_columns")
    assert len(line) <= 2000
    assert "<!here>" not in line and "&lt;!here&gt; basket" in line


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.google.com/spreadsheets/d/1abc/edit",
        "https://files.slack.com.example.net/files-pri/T1-F1/spend.csv",
        "http://files.slack.com/files-pri/T1-F1/spend.csv",
    ],
)
def test_the_bot_token_never_leaves_slacks_own_hosts(url: str) -> None:
    file = SlackFile.from_api({"id": "F1", "name": "spend.csv", "url_private": url})
    with pytest.raises(DownloadFailed, match="upload that here"):
        download_file(file, "xoxb-secret", max_bytes=100, api_url="http://localhost:9/api/")
