"""The labelled CSV in Slack: the user's contacts come back in the file's own thread, never in a
message or a log line; with SEGBOT_REDACT_EXPORTS=true they come back as pseudonyms."""

from __future__ import annotations

import csv
import html
import io
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from bot.config import ConfigError, Settings
from bot.logs import configure_logging
from segmentation import generate_customers
from segmentation.output.export import pseudonymise
from segmentation.output.keystore import KEY_FILE
from tests.bot.harness import REPO_ROOT, HttpBot
from tests.bot.slack_server import FakeSlack, message_text

N = 240


def contacts_csv() -> tuple[bytes, pd.DataFrame]:
    """A customer file with e-mails, first and last names and phones (and a formula trap)."""
    table = generate_customers(N)
    table["Email"] = [f"shopper{i}@example.org" for i in range(N)]
    table["First Name"] = [f"Zoë{i}" for i in range(N)]
    table["Last Name"] = [f"Quartermain{i}" for i in range(N)]
    table.loc[0, "Last Name"] = '=HYPERLINK("http://evil.example","x")'
    table["Phone"] = [f"+44 20 7946 {i:04d}" for i in range(N)]
    return table.to_csv(index=False).encode(), table


def _uploaded(slack: FakeSlack) -> dict[str, bytes]:
    by_id = {f["id"]: f["name"] for f in slack.files.values()}
    return {by_id[file_id]: data for file_id, data in slack.uploads.items()}


def _uploaded_rows(slack: FakeSlack) -> list[dict[str, str]]:
    slack.wait_calls("files.completeUploadExternal")
    data = next(d for name, d in _uploaded(slack).items() if name.endswith(".csv"))
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _drop(bot: HttpBot, file: dict[str, object]) -> None:
    assert bot.event(bot.slack.file_shared_event(file)).status == 200


def _thread_of(file: dict[str, object]) -> str:
    shares = file["shares"]["public"]  # type: ignore[index]
    return str(next(iter(shares.values()))[0]["ts"])


def _shown(slack: FakeSlack) -> str:
    """Everything people read in Slack: every message and every private reply."""
    texts = [html.unescape(message_text(c.params)) for c in slack.calls("chat.postMessage")]
    texts += [c.body.decode(errors="replace") for c in slack.calls("response_url")]
    return "\n".join(texts)


def _assert_no_contacts(text: str, table: pd.DataFrame) -> None:
    assert "@example.org" not in text
    assert "Quartermain" not in text and "Zoë" not in text
    assert "20 7946" not in text and "HYPERLINK" not in text


def test_a_dropped_file_comes_back_with_its_contacts_and_no_message_shows_them(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    data, table = contacts_csv()
    file = slack.add_file("customers.csv", data, channel="C0MKT")
    _drop(http_bot, file)

    rows = _uploaded_rows(slack)
    assert [r["Email"] for r in rows] == table["Email"].tolist()
    assert [r["Phone"] for r in rows] == table["Phone"].tolist()
    assert rows[1]["First Name"] == "Zoë1" and rows[1]["Last Name"] == "Quartermain1"
    assert rows[0]["Last Name"].startswith("'=HYPERLINK")  # formula-safe
    assert {"segment", "segment_name"} <= set(rows[0])
    complete = slack.calls("files.completeUploadExternal")[0].params
    assert (complete["channel_id"], complete["thread_ts"]) == ("C0MKT", _thread_of(file))
    _assert_no_contacts(_shown(slack), table)


def test_segment_alone_answers_in_the_thread_of_the_file_it_used(
    http_bot: HttpBot, slack: FakeSlack
) -> None:
    data, table = contacts_csv()
    now = int(time.time())
    file = slack.add_file("customers.csv", data, channel="C0DATA", created=now - 30)
    slack.add_file("elsewhere.csv", data, channel="C0OTHER", created=now)

    http_bot.command("k=3")
    rows = _uploaded_rows(slack)
    assert rows[5]["Email"] == table.loc[5, "Email"]
    # The labelled rows (with their contacts) land in the file's own thread, in its channel;
    # the answer is also shown in the channel, where the command was typed.
    complete = slack.calls("files.completeUploadExternal")[0].params
    assert (complete["channel_id"], complete["thread_ts"]) == ("C0DATA", _thread_of(file))
    answer = next(c.params for c in slack.calls("chat.postMessage") if c.status == 200)
    assert (answer["channel"], answer["thread_ts"]) == ("C0DATA", _thread_of(file))
    assert str(answer["reply_broadcast"]).lower() in ("true", "1")
    assert [c.path.rsplit("/", 1)[-1] for c in slack.calls("download")] == ["customers.csv"]
    _assert_no_contacts(_shown(slack), table)


def test_redacted_exports_carry_stable_pseudonyms(
    make_http_bot: Callable[..., HttpBot], slack: FakeSlack, tmp_path: Path
) -> None:
    bot = make_http_bot(SEGBOT_REDACT_EXPORTS="true", SEGBOT_DATA_DIR=str(tmp_path))
    assert bot.settings.redact_exports
    data, table = contacts_csv()
    file = slack.add_file("customers.csv", data, channel="C0MKT")
    _drop(bot, file)

    upload = next(d for n, d in _wait_uploads(slack).items() if n.endswith(".csv"))
    assert b"@example.org" not in upload and b"Quartermain" not in upload
    assert b"20 7946" not in upload
    rows = list(csv.DictReader(io.StringIO(upload.decode("utf-8-sig"))))
    # The key was made once in the data folder; the same e-mail always gets the same pseudonym.
    key = bytes.fromhex((tmp_path / KEY_FILE).read_text().strip())
    expected = pseudonymise(table["Email"], "email", key).tolist()
    assert [r["Email"] for r in rows] == expected
    assert all(r["Phone"].startswith("phone-") for r in rows)
    # Everything else is as the user wrote it.
    assert [int(r["Age"]) for r in rows] == table["Age"].tolist()
    _assert_no_contacts(_shown(slack), table)


def test_a_secret_decides_the_pseudonyms(
    make_http_bot: Callable[..., HttpBot], slack: FakeSlack, tmp_path: Path
) -> None:
    bot = make_http_bot(
        SEGBOT_REDACT_EXPORTS="true", SEGBOT_SECRET="team secret", SEGBOT_DATA_DIR=str(tmp_path)
    )
    data, table = contacts_csv()
    _drop(bot, slack.add_file("customers.csv", data, channel="C0MKT"))
    rows = _uploaded_rows(slack)
    assert [r["Email"] for r in rows] == pseudonymise(
        table["Email"], "email", b"team secret"
    ).tolist()
    assert not (tmp_path / KEY_FILE).exists()  # a secret needs no key file


def test_debug_logs_never_show_contacts(
    http_bot: HttpBot, slack: FakeSlack, capfd: pytest.CaptureFixture[str]
) -> None:
    data, table = contacts_csv()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("DEBUG")
    try:
        _drop(http_bot, slack.add_file("customers.csv", data, channel="C0MKT"))
        _uploaded_rows(slack)
        http_bot.wait_idle()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    logged = capfd.readouterr().err
    assert "files.completeUploadExternal" in logged  # the calls were logged in detail...
    _assert_no_contacts(logged, table)  # ...without a single contact


def _wait_uploads(slack: FakeSlack) -> dict[str, bytes]:
    slack.wait_calls("files.completeUploadExternal")
    return _uploaded(slack)


def test_redaction_settings_fail_at_start_up_with_one_sentence(tmp_path: Path) -> None:
    good = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}
    assert Settings.from_env(good, dotenv_path=None).redact_key is None
    assert not (tmp_path / KEY_FILE).exists()  # no key is made unless redaction is on

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    env = {**good, "SEGBOT_REDACT_EXPORTS": "true", "SEGBOT_DATA_DIR": str(not_a_folder)}
    with pytest.raises(ConfigError, match="SEGBOT_DATA_DIR"):
        Settings.from_env(env, dotenv_path=None)

    env = {**good, "SEGBOT_REDACT_EXPORTS": "true", "SEGBOT_SECRET": "hush-hush"}
    settings = Settings.from_env(env, dotenv_path=None)
    assert settings.redact_exports and "hush-hush" not in repr(settings)


def test_env_example_documents_redaction() -> None:
    example = (REPO_ROOT / ".env.example").read_text()
    for name in ("SEGBOT_REDACT_EXPORTS=", "SEGBOT_SECRET=", "SEGBOT_DATA_DIR="):
        assert f"\n{name}" in example
    readme = (REPO_ROOT / "README.md").read_text()
    assert "`SEGBOT_REDACT_EXPORTS`" in readme and "`--redact`" in readme
