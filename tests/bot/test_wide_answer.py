"""An answer read in a minute: a wide file's Slack message stays short, whatever its width."""

from __future__ import annotations

import pytest

from bot.slack.blocks.replies import MAX_MESSAGE_CHARS, render_answer, text_chars
from bot.slack.text import escape
from segmentation import run
from segmentation.result import Options
from tests.test_wide_tables import campaign_export, card_behaviour


@pytest.mark.parametrize("columns", [17, 30])
def test_slack_text_of_a_wide_file_is_at_most_4000_characters(columns: int) -> None:
    result = run(card_behaviour(columns), filename=f"cards_{columns}.csv")
    reply = render_answer(result)
    assert text_chars(reply.blocks) <= MAX_MESSAGE_CHARS == 4000
    text = " ".join(b["text"]["text"] for b in reply.blocks if b["type"] == "section")
    # Every segment is still named, with its size.
    for seg in result.segments:
        assert seg.name.replace("&", "&amp;") in text
    footer = reply.blocks[-1]["elements"][0]["text"]
    assert footer.startswith(result.plot_note) and "The picture and every row" in footer


def test_ten_segments_are_told_in_short_and_the_long_form_is_a_mention_away() -> None:
    result = run(card_behaviour(30), Options(k=10), filename="cards.csv")
    assert result.k == 10
    reply = render_answer(result)
    assert text_chars(reply.blocks) <= MAX_MESSAGE_CHARS
    text = " ".join(b["text"]["text"] for b in reply.blocks if b["type"] == "section")
    footer = reply.blocks[-1]["elements"][0]["text"]
    # What sets each segment apart is said, in short when the whole would be too long, and
    # then the footer says how to get the rest.
    for seg in result.segments:
        assert escape(seg.description.split(". ")[0]) in text
    shortened = any(escape(s.description) not in text for s in result.segments)
    assert shortened == ("tell me more about" in footer)


def test_the_campaign_export_answer_fits_whole() -> None:
    result = run(campaign_export(), filename="marketing_campaign.csv")
    reply = render_answer(result)
    assert text_chars(reply.blocks) <= MAX_MESSAGE_CHARS
    text = str(reply.blocks)
    assert all(escape(s.description) in text for s in result.segments)
