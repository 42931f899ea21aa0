"""The words parser: a table of phrasings people write, typos included."""

from __future__ import annotations

import pytest

from bot.words.asking import Asked, KnownSegment, clean_text, examples, parse

MALL = ("CustomerID", "Genre", "Age", "Annual Income (k$)", "Spending Score (1-100)")
INCOME, SPEND = "Annual Income (k$)", "Spending Score (1-100)"
# The Mall Customers answer as segbot gives it (names, and descriptions up to their colon).
SEGMENTS = (
    KnownSegment("Medium income, medium spend", "The balanced, stable core of the base: ..."),
    KnownSegment("High income, high spend", "High-value customers who earn well and spend"),
    KnownSegment("High income, low spend", "Careful spenders with money to spend: they can"),
    KnownSegment("Low income, low spend", "Budget-minded customers who watch every purchase"),
    KnownSegment("Low income, high spend", "They spend beyond what their income suggests"),
)
RFM = (
    KnownSegment("Champions", "Bought recently, buy often and spend the most"),
    KnownSegment("At risk", "Used to buy often and spend a lot, but not for a long time"),
    KnownSegment("Hibernating", "Last bought long ago, rarely and little"),
)


@pytest.mark.parametrize(
    ("text", "k", "k_step"),
    [
        ("try 4 groups", 4, 0),
        ("try 4 gropus", 4, 0),
        ("<@U0BOT> four segments please", 4, 0),
        ("can you do 6 clusters?", 6, 0),
        ("3 segmnets", 3, 0),
        ("k=5", 5, 0),
        ("try 3", 3, 0),
        ("a couple of groups", 2, 0),
        ("more", None, 1),
        ("more groups", None, 1),
        ("fewer", None, -1),
        ("fewer segments please", None, -1),
        ("less groups", None, -1),
    ],
)
def test_a_number_of_segments(text: str, k: int | None, k_step: int) -> None:
    asked = parse(text, headers=MALL, segments=SEGMENTS)
    assert (asked.kind, asked.k, asked.k_step) == ("segment", k, k_step)


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("what about age and spend?", ("Age", SPEND)),
        ("what about age and spnd", ("Age", SPEND)),
        ("age & incme", ("Age", INCOME)),
        ("use annual income and spending score", (INCOME, SPEND)),
        ("split by age", ("Age",)),
        ("what about gender and age", ("Genre", "Age")),
        ("earnings vs spending", (INCOME, SPEND)),
    ],
)
def test_columns_are_matched_to_the_headers_and_said(text: str, columns: tuple[str, ...]) -> None:
    asked = parse(text, headers=MALL, segments=SEGMENTS)
    assert asked.kind == "segment" and asked.columns == columns
    assert [header for _, header in asked.matched] == list(columns)


def test_a_number_and_columns_together() -> None:
    asked = parse("try 4 groups by age and income", headers=MALL)
    assert (asked.k, asked.columns) == (4, ("Age", INCOME))


def test_a_word_that_fits_two_headers_equally_is_asked_back() -> None:
    asked = parse("what about income", headers=("Monthly Income", "Yearly Income", "Age"))
    assert asked.kind == "ask_back" and asked.word == "income"
    assert asked.choices == ("Monthly Income", "Yearly Income")


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("as orders", "rfm"),
        ("RFM please", "rfm"),
        ("treat it as an order log", "rfm"),
        ("as customers", "customers"),
        ("one row per customer", "customers"),
    ],
)
def test_the_reading(text: str, mode: str) -> None:
    asked = parse(text, headers=MALL)
    assert (asked.kind, asked.mode) == ("segment", mode)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("tell me more about the careful spenders", 2),
        ("tell me more about the carefull spenders", 2),
        ("the careful spenders", 2),
        ("who are the budget minded ones?", 3),
        ("describe high income high spend", 1),
        ("segment 3", 2),
        ("group #1", 0),
        ("the second segment", 1),
        ("the last group", 4),
        ("who are the vips?", 1),
        ("the big spenders", 1),  # "high" twice in its name: the most "high spend" of the two
        ("tell me about the rich careful ones", 2),
    ],
)
def test_one_segment_by_name_description_or_number(text: str, position: int) -> None:
    assert parse(text, headers=MALL, segments=SEGMENTS) == Asked("about", segment=position)


@pytest.mark.parametrize(
    ("text", "position"),
    [("who are the at-risk ones?", 1), ("at risk", 1), ("the champions", 0), ("hibernatng", 2)],
)
def test_rfm_segments_by_name(text: str, position: int) -> None:
    assert parse(text, headers=("Customer", "Date", "Amount"), segments=RFM).segment == position


def test_word_order_tells_two_segments_apart_and_a_tie_is_asked_back() -> None:
    segments = (KnownSegment("High age, low spend"), KnownSegment("Low age, high spend"))
    assert parse("tell me about the low age high spend ones", segments=segments).segment == 1
    # "low spend" is written as such in the first name only; "low" fits both.
    assert parse("tell me about the low spend ones", segments=segments).segment == 0
    tie = parse("tell me about the low ones", segments=segments)
    assert tie.kind == "ask_back" and tie.choosing_segment
    assert tie.choices == ("High age, low spend", "Low age, high spend")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("history", "history"),
        ("show me the histroy", "history"),
        ("previous runs", "history"),
        ("compare", "compare"),
        ("what changed?", "compare"),
        ("help", "help"),
        ("hlep", "help"),
        ("what can you do?", "help"),
        ("", "help"),
    ],
)
def test_the_commands(text: str, kind: str) -> None:
    assert parse(text, headers=MALL, segments=SEGMENTS).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "banana smoothie recipe",
        "hello",
        "thanks!",
        "the weather is nice",
        "segment 9",  # there are 5
        "tell me about the unicorns",
    ],
)
def test_anything_else_is_unclear(text: str) -> None:
    assert parse(text, headers=MALL, segments=SEGMENTS).kind == "unclear"


def test_the_examples_use_the_files_headers_and_segments_and_parse_back() -> None:
    usable = ["Annual Income (k$)", "Spending Score (1-100)", "Genre", "Age"]
    found = examples(usable, SEGMENTS)
    assert found == [
        "try 6 groups",
        "what about annual income and spending score?",
        "tell me more about medium income, medium spend",
    ]
    kinds = [parse(e, headers=MALL, segments=SEGMENTS).kind for e in found]
    assert kinds == ["segment", "segment", "about"]


def test_slack_markup_is_read_as_a_person_reads_it() -> None:
    assert clean_text("<@U0BOT> age &amp; spend <https://x.example|link>") == "age & spend link"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("the high earners who don't spend much", 2),
        ("tell me about the high earners who spend a lot", 1),
        ("the rich people who spend little", 2),
        ("the wealthy ones who hardly spend", 2),
        ("the poor ones who spend a lot", 4),
    ],
)
def test_everyday_level_words_find_the_segment(text: str, position: int) -> None:
    assert parse(text, headers=MALL, segments=SEGMENTS) == Asked("about", segment=position)


# A wide campaign export's names (segmentation.explain.wording reads its headers as these words).
WIDE = (
    KnownSegment("Low catalog purchases, low income", "What sets them apart: below average"),
    KnownSegment("Low web visits a month, high catalog purchases", "What sets them apart: far"),
    KnownSegment("High deal purchases, high web purchases", "What sets them apart: far above"),
)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("the bargain hunters who shop online", 2),
        ("people who buy from the catalogue but rarely visit the website", 1),
        ("the low earners who rarely buy from the catalog", 0),
        ("the discount lovers", 2),
        ("the ones who buy a lot online", 2),
    ],
)
def test_everyday_column_words_find_a_wide_tables_segment(text: str, position: int) -> None:
    assert parse(text, segments=WIDE) == Asked("about", segment=position)
