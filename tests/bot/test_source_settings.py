"""SEGBOT_SOURCES: read at start-up, refused with one sentence (and exit 2) when malformed,
never echoing a URL or a password; the grammar and the look-up by name and channel."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.logs import TokenRedactor, redact
from bot.sources import UnknownSource, find_source
from bot.words.grammar import BadCommand
from bot.words.sources import parse_source_command, parse_source_mention
from tests.bot.harness import REPO_ROOT

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}
PASSWORD = "pa55-W0rd"
DB = f"postgresql://analyst:{PASSWORD}@db.internal:5432/shop"


def settings_with(sources: object) -> Settings:
    raw = sources if isinstance(sources, str) else json.dumps(sources)
    return Settings.from_env({**GOOD, "SEGBOT_SOURCES": raw}, dotenv_path=None)


def test_sources_are_read_by_name_with_their_table_query_and_channels() -> None:
    settings = settings_with(
        {
            "Orders": {"url": DB, "table": "orders"},
            "vip": {"url": DB, "query": "SELECT * FROM orders WHERE vip"},
            "shop": {"url": "file:///data/orders.parquet", "channels": ["C123ABC"]},
            "local": {"url": "/data/customers.csv"},
        }
    )
    assert sorted(settings.sources) == ["local", "orders", "shop", "vip"]
    orders, vip, shop = (settings.sources[n] for n in ("orders", "vip", "shop"))
    assert (orders.url, orders.table, orders.query) == (DB, "orders", None)
    assert vip.query == "SELECT * FROM orders WHERE vip" and vip.table is None
    assert shop.channels == ("C123ABC",) and not shop.allowed_in("C0DATA")
    # Settings and sources are logged at start-up; neither shows an address or password.
    for shown in (repr(settings), repr(orders), str(settings.sources)):
        assert PASSWORD not in shown and "db.internal" not in shown
    assert "orders" in repr(settings)


def test_no_sources_is_an_empty_list() -> None:
    assert Settings.from_env(GOOD, dotenv_path=None).sources == {}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (f'{{"orders": {{"url": "{DB}", }}', "could not be read as JSON"),
        (json.dumps([DB]), "must be a JSON object"),
        (json.dumps({"orders": DB}), "“orders”"),
        (json.dumps({"orders": {"table": "orders"}}), "needs a url"),
        (json.dumps({"orders": {"url": "orders.csv"}}), "kind first"),
        (json.dumps({"orders": {"url": DB, "table": "o", "query": "SELECT 1"}}), "both"),
        (json.dumps({"orders": {"url": DB, "tabel": "orders"}}), "(tabel)"),
        (json.dumps({"orders": {"url": DB, "table": 7}}), "table"),
        (json.dumps({"orders": {"url": DB, "channels": "C123"}}), "channel ids"),
        (json.dumps({"orders": {"url": DB, "channels": ["#marketing"]}}), "channel ids"),
        (json.dumps({"two words": {"url": DB}}), "one word"),
        (json.dumps({"Orders": {"url": DB}, "orders": {"url": DB}}), "twice"),
    ],
)
def test_a_malformed_source_is_named_in_one_sentence_without_its_password(
    raw: str, named: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        settings_with(raw)
    sentence = str(refused.value)
    assert named in sentence
    assert PASSWORD not in sentence and "db.internal" not in sentence
    assert sentence.endswith(".") and "\n" not in sentence


def test_malformed_sources_stop_the_bot_with_exit_2_and_one_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SEGBOT_"))}
    env.update(GOOD)
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["SEGBOT_DATA_DIR"] = str(tmp_path / "data")
    env["SEGBOT_SOURCES"] = f'{{"orders": {{"url": "{DB}" "table": "orders"}}}}'
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("segbot could not start: SEGBOT_SOURCES must be JSON")
    assert PASSWORD not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_find_source_ignores_case_and_lists_only_what_this_channel_may_use() -> None:
    settings = settings_with(
        {
            "orders": {"url": DB, "table": "orders"},
            "vip": {"url": DB, "query": "SELECT 1", "channels": ["C0VIP"]},
            "shop": {"url": "file:///data/shop.csv"},
        }
    )
    assert find_source(settings, "ORDERS", "C0DATA").name == "orders"
    assert find_source(settings, "vip", "C0VIP").query == "SELECT 1"
    with pytest.raises(UnknownSource) as refused:
        find_source(settings, "vip", "C0DATA")
    assert str(refused.value) == (
        "I don't know a source called “vip” here; the sources you can use in this channel "
        "are “orders” and “shop”."
    )
    with pytest.raises(UnknownSource, match="no sources are set up for this channel"):
        find_source(settings_with({"vip": {"url": DB, "channels": ["C0VIP"]}}), "x", "C0DATA")


def test_the_grammar_of_sources() -> None:
    request = parse_source_command('source Orders k=5 columns="Age, Income" as-of=2024-09-30')
    assert request is not None and request.name == "orders"
    assert request.options.k == 5 and request.options.columns == ("Age", "Income")
    assert request.options.as_of == "2024-09-30"
    listing = parse_source_command("sources")
    assert listing is not None and listing.name is None
    assert parse_source_command("demo k=3") is None and parse_source_command("") is None
    for wrong in ("source", "source orders demo", "source orders k=x", "sources please"):
        with pytest.raises(BadCommand):
            parse_source_command(wrong)

    names = ("orders", "vip")
    mention = parse_source_mention("segment Orders k=3", names)
    assert mention is not None and mention.name == "orders" and mention.options.k == 3
    assert parse_source_mention("segment the source vip", names).name == "vip"  # type: ignore[union-attr]
    # Not a source's name: left to the words parser ("segment this file", "segment it").
    assert parse_source_mention("segment this file in 4 groups", names) is None
    assert parse_source_mention("try 4 groups", names) is None
    assert parse_source_mention("what sources?", names).name is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        (f"could not connect to {DB}: refused", PASSWORD),
        ("redis://:s3cretpw@cache:6379/0 unreachable", "s3cretpw"),
        ("mysql+pymysql://root:r00t@db/shop", "r00t"),
        ("psycopg: host=db user=analyst password=hunter2 dbname=shop", "hunter2"),
        ("ODBC: Server=db;Uid=sa;PWD='very secret';", "very secret"),
        ("Authorization: Bearer xoxb-1-2-abc", "xoxb-1-2-abc"),
    ],
)
def test_passwords_are_redacted_from_any_log_line(line: str, hidden: str) -> None:
    assert hidden not in redact(line)
    record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "failed: %s", (line,), None)
    assert TokenRedactor().filter(record)
    assert hidden not in record.getMessage() and record.getMessage().startswith("failed: ")


def test_redaction_keeps_ordinary_addresses() -> None:
    line = "GET https://slack.com/api/chat.postMessage for user@example.com at 10:30"
    assert redact(line) == line


def test_a_readers_sentence_never_carries_the_address_path_or_password() -> None:
    from bot.jobs.source import without_secrets
    from bot.sources import Source

    database = Source("vip", DB, query="SELECT 1")
    said = without_secrets(f"I couldn't connect to {DB} (password {PASSWORD} refused).", database)
    assert said == "I couldn't connect to “vip” (password [hidden] refused)."
    file = Source("shop", "file:///srv/exports/orders%202024.parquet")
    said = without_secrets("/srv/exports/orders 2024.parquet is not a Parquet file.", file)
    assert said == "“shop” is not a Parquet file."
    assert without_secrets("orders 2024.parquet is empty.", file) == "“shop” is empty."
