"""Starting the bot: settings from the environment and .env, and one sentence when one is wrong."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.runtime import Runtime
from tests.bot.harness import REPO_ROOT, bot_env
from tests.bot.slack_server import FakeSlack, wait_until

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}


def _start(env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SEGBOT_"))}
    clean.update(env)
    clean["PYTHONPATH"] = str(REPO_ROOT)
    clean.setdefault("SEGBOT_DATA_DIR", str(cwd / "data"))  # never the user's own folder
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_defaults() -> None:
    settings = Settings.from_env(GOOD, dotenv_path=None)
    assert settings.api_url == "https://slack.com/api/"
    assert (settings.port, settings.workers, settings.queue_max) == (3000, 2, 50)
    assert settings.max_file_bytes == 50 * 1024 * 1024 and settings.max_rows == 1_000_000
    assert not settings.socket_mode
    assert "s3cret" not in repr(settings) and "xoxb" not in repr(settings)
    assert settings.queue_url is None and settings.data_dir.name == "segbot"


def test_a_redis_password_stays_out_of_the_settings_repr() -> None:
    settings = Settings.from_env(
        {**GOOD, "SEGBOT_QUEUE_URL": "redis://:hunter2@queue.internal:6379/0"}, dotenv_path=None
    )
    assert settings.queue_url == "redis://:hunter2@queue.internal:6379/0"
    assert "hunter2" not in repr(settings)


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=file\nSEGBOT_WORKERS=4\n"
        "SLACK_APP_TOKEN=\nSEGBOT_MAX_ROWS=2,000,000\n"
    )
    settings = Settings.from_env({"SEGBOT_WORKERS": "3"}, dotenv_path=dotenv)
    assert settings.bot_token == "xoxb-from-file"
    assert settings.workers == 3
    assert settings.max_rows == 2_000_000


def test_the_column_limit_reaches_every_job() -> None:
    settings = Settings.from_env({**GOOD, "SEGBOT_MAX_COLUMNS": "1,500"}, dotenv_path=None)
    assert settings.max_columns == 1_500
    assert Runtime.create(settings).options().limits.max_columns == 1_500
    assert Settings.from_env(GOOD, dotenv_path=None).max_columns == 1_000
    assert not settings.socket_mode  # an empty SLACK_APP_TOKEN= line means "not set"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "xoxb-"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "xapp-"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"SEGBOT_WORKERS": "0"}, "SEGBOT_WORKERS"),
        ({"SEGBOT_MAX_FILE_MB": "-5"}, "SEGBOT_MAX_FILE_MB"),
        ({"SEGBOT_QUEUE_URL": "localhost:6379"}, "SEGBOT_QUEUE_URL must be a Redis address"),
        ({"SEGBOT_JOB_LEASE_S": "0.1"}, "SEGBOT_JOB_LEASE_S"),
        ({"SEGBOT_MAX_COLUMNS": "0"}, "SEGBOT_MAX_COLUMNS"),
        ({"SEGBOT_JOB_TIMEOUT_S": "soon"}, "SEGBOT_JOB_TIMEOUT_S"),
        ({"SEGBOT_SCHEDULE_TICK_S": "0"}, "SEGBOT_SCHEDULE_TICK_S must be between 1 and 3600"),
        ({"SEGBOT_SCHEDULE_TICK_S": "every minute"}, "SEGBOT_SCHEDULE_TICK_S must be a number"),
    ],
)
def test_bad_settings_are_named(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**GOOD, **change}, dotenv_path=None)
    assert named in str(caught.value)
    assert "xoxp-user-token" not in str(caught.value)  # never echo a token


def test_a_missing_setting_stops_start_up_with_one_sentence(tmp_path: Path) -> None:
    result = _start({"SLACK_SIGNING_SECRET": "s3cret"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SLACK_BOT_TOKEN is not set" in lines[0]


def test_a_rejected_token_stops_start_up_with_one_sentence(tmp_path: Path) -> None:
    with FakeSlack(bot_token="xoxb-the-real-one") as slack:
        env = bot_env(slack, SLACK_BOT_TOKEN="xoxb-a-stale-one", PORT="0")
        result = _start(env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "did not accept SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "xoxb-a-stale-one" not in result.stderr


def test_python_m_bot_serves_healthz_in_http_mode(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        env = bot_env(slack, PORT="0", SEGBOT_DATA_DIR=str(tmp_path / "data"))
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SEGBOT_"))}
        clean["PYTHONPATH"] = str(REPO_ROOT)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,  # the settings come from .env in the working directory
            env=clean,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr is not None
            port = wait_until(lambda: _port_from_log(process), 20, "the bot's start-up line")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert (r.status, r.read()) == (200, b"ok")
            assert slack.calls("auth.test")[0].headers["Authorization"].startswith("Bearer xoxb-")
        finally:
            process.terminate()  # SIGTERM, as platforms send before a restart
            code = process.wait(10)
            rest = process.stderr.read() if process.stderr is not None else ""
            if process.stderr is not None:
                process.stderr.close()
        assert code == 0 and "Traceback" not in rest


def _port_from_log(process: subprocess.Popen[str]) -> int | None:
    assert process.stderr is not None
    line = process.stderr.readline()
    if "listens for Slack on" in line:
        return int(line.split("http://")[1].split(":")[-1].split("/")[0])
    if process.poll() is not None:
        raise AssertionError(f"the bot exited: {line}{process.stderr.read()}")
    return None


def test_manifest_asks_for_what_the_bot_uses() -> None:
    manifest = json.loads((REPO_ROOT / "manifest.json").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "files:read",
        "files:write",
        "channels:history",
        "groups:history",
        "im:history",
        "app_mentions:read",  # @segbot in channels and threads
        "users:read",  # the time zone of whoever makes a schedule (users.info)
    }
    # im:history brings direct messages (message.im); nothing reads conversations' info, so no
    # im:read. The README lists exactly these.
    readme = (REPO_ROOT / "README.md").read_text()
    listed = readme.split("the permissions (", 1)[1].split(")", 1)[0]
    assert set(re.findall(r"`([a-z_:]+)`", listed)) == scopes
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "file_shared",
        "message.channels",
        "message.groups",
        "message.im",
        "app_mention",
    }
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/segment"]
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_env_example_documents_every_setting() -> None:
    example = (REPO_ROOT / ".env.example").read_text()
    names = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line[:40]}
    names = {n for n in names if not n.startswith("#")}
    assert names >= {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "PORT",
        "SEGBOT_MAX_FILE_MB",
        "SEGBOT_MAX_ROWS",
        "SEGBOT_WORKERS",
        "SEGBOT_QUEUE_MAX",
        "SEGBOT_DATA_DIR",
        "SEGBOT_QUEUE_URL",
        "SEGBOT_JOB_LEASE_S",
    }
    # Copied as is, the example must load (empty values mean "not set").
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        Settings.from_env({}, dotenv_path=REPO_ROOT / ".env.example")


def test_procfile_runs_a_listener_and_workers() -> None:
    lines = (REPO_ROOT / "Procfile").read_text().strip().splitlines()
    assert lines == ["web: python -m bot --no-worker", "worker: python -m bot worker"]
