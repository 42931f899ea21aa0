"""The real bot, started in this process against the fake Slack (used by tests and bench)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_app, build_http_server, build_socket_mode_handler
from bot.config import Settings
from bot.runtime import Runtime
from bot.worker import ThreadWorkers
from tests.bot.slack_server import SIGNING_SECRET, FakeSlack, sign, wait_until
from tests.support import SHARED_DATA

REPO_ROOT = Path(__file__).resolve().parents[2]
MALL_CUSTOMERS = SHARED_DATA / "mall_customers.csv"


@dataclass(frozen=True)
class HttpAnswer:
    """What the bot answered on the HTTP request itself (the ack)."""

    status: int
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        """The text Slack shows for the ack: a JSON ``text`` field or a plain-text body."""
        try:
            loaded = json.loads(self.body)
        except ValueError:
            return self.body.decode()
        return str(loaded.get("text", "")) if isinstance(loaded, dict) else self.body.decode()


def bot_env(slack: FakeSlack, **overrides: str) -> dict[str, str]:
    """A clean environment for the bot, pointing at ``slack``."""
    env = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "SEGBOT_WORKERS": "2",
    }
    env.update(overrides)
    return env


class SignedSender:
    """Sends requests to a bot listening on ``127.0.0.1:port``, signed as Slack signs them."""

    slack: FakeSlack
    port: int

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        """One HTTP request to the bot, timed from send to the complete answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        start = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return HttpAnswer(response.status, data, time.perf_counter() - start)

    def post_signed(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        extra_headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        """POST /slack/events signed the way Slack signs it."""
        headers = {"Content-Type": content_type}
        headers.update(sign(body, int(time.time()) if timestamp is None else timestamp, secret))
        headers.update(extra_headers or {})
        return self.request("POST", "/slack/events", body, headers)

    def command(self, text: str, *, channel: str = "C0DATA", key: str = "") -> HttpAnswer:
        """Send ``/segment {text}`` as Slack does (form-encoded)."""
        fields = self.slack.command_body(text, channel=channel, key=key)
        body = urllib.parse.urlencode(fields).encode()
        return self.post_signed(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, retry_num: int | None = None) -> HttpAnswer:
        """Send an Events API callback (JSON), optionally marked as Slack's retry."""
        body = json.dumps(self.slack.event_body(event)).encode()
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post_signed(body, "application/json", extra_headers=extra)

    def interactive(self, payload: dict[str, Any], *, retry_num: int | None = None) -> HttpAnswer:
        """Send an interaction (button click, modal submission) as Slack does: form-encoded
        ``payload=<json>``."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post_signed(body, "application/x-www-form-urlencoded", extra_headers=extra)


class _QueuedBot:
    """The listener's runtime plus worker threads on a queue in a fresh temporary folder."""

    def _start_queue(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime = Runtime.create(settings)
        # Worker threads rather than processes: this process also runs the fake Slack's
        # threads, and forking a threaded process is asking for deadlocks. The subprocess
        # tests (tests/bot/test_queue.py) run the real `python -m bot` with processes.
        self.workers = ThreadWorkers(settings)
        self.workers.start()

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Wait (bounded) until no job is running or waiting, so "nothing more" is final."""
        wait_until(lambda: self.runtime.queue.counts() == (0, 0) or None, timeout, "an idle queue")

    def _stop_queue(self) -> None:
        try:
            self.wait_idle()
        finally:
            self.workers.stop()
            self.runtime.queue.close()


def _temporary_queue(env: dict[str, str]) -> str | None:
    """A fresh SEGBOT_DATA_DIR for a test bot (never the user's own data folder), also beside
    a Redis queue: the run history and the pseudonym key live there."""
    if "SEGBOT_DATA_DIR" in env:
        return None
    env["SEGBOT_DATA_DIR"] = tempfile.mkdtemp(prefix="segbot-test-")
    return env["SEGBOT_DATA_DIR"]


class HttpBot(_QueuedBot, SignedSender):
    """The real bot in HTTP mode (waitress on port 0) in a thread of this process."""

    def __init__(self, slack: FakeSlack, **env: str) -> None:
        self.slack = slack
        self._data_dir = _temporary_queue(env)
        self._start_queue(Settings.from_env(bot_env(slack, **env), dotenv_path=None))
        self.app = build_app(self.settings, runtime=self.runtime)
        self.server = build_http_server(self.app, host="127.0.0.1", port=0)
        self.port = self.server.port
        self._thread = threading.Thread(target=self.server.serve, daemon=True, name="bot-http")
        self._thread.start()

    def close(self) -> None:
        """Let queued jobs finish, then stop serving."""
        try:
            self._stop_queue()
        finally:
            self.server.stop()
            self._thread.join(10)
            if self._data_dir:
                shutil.rmtree(self._data_dir, ignore_errors=True)


class SocketBot(_QueuedBot):
    """The real bot in Socket Mode, connected to the fake server's WebSocket endpoint."""

    def __init__(self, slack: FakeSlack, **env: str) -> None:
        self.slack = slack
        self._data_dir = _temporary_queue(env)
        self._start_queue(
            Settings.from_env(
                bot_env(slack, SLACK_APP_TOKEN=slack.app_token, **env), dotenv_path=None
            )
        )
        self.app = build_app(self.settings, runtime=self.runtime)
        self.handler: SocketModeHandler = build_socket_mode_handler(self.app, self.settings)
        self.handler.connect()
        slack.wait_connected()

    def close(self) -> None:
        """Let queued jobs finish, then disconnect."""
        try:
            self._stop_queue()
        finally:
            self.handler.close()
            if self._data_dir:
                shutil.rmtree(self._data_dir, ignore_errors=True)


class BotProcess(SignedSender):
    """``python -m bot [args]`` as a real process group (listener, workers or both).

    Its log goes to ``log_path``; :meth:`kill` sends SIGKILL to the whole group, as a platform
    does when it kills a machine.
    """

    def __init__(
        self,
        slack: FakeSlack,
        args: Sequence[str],
        log_path: Path,
        *,
        python_args: Sequence[str] = ("-m", "bot"),
        **env: str,
    ) -> None:
        self.slack = slack
        self.args = list(args)
        self.log_path = log_path
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SEGBOT_"))}
        clean.update(bot_env(slack, PORT="0", **env))
        # Never the user's own data folder (~/.local/share/segbot): a history stamped by another
        # checkout's migrations there once turned every Redis test's run history off. Processes
        # of one test that share a store are given one SEGBOT_DATA_DIR by the test.
        clean.setdefault("SEGBOT_DATA_DIR", str(log_path.parent / "data"))
        clean["PYTHONPATH"] = str(REPO_ROOT)
        self.env = clean
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, *python_args, *self.args],
            env=clean,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self.port = 0
        if "worker" not in self.args:
            self.port = wait_until(self._port_from_log, 30, f"{log_path.name}: listening")

    def log(self) -> str:
        """Everything the process logged so far."""
        return self.log_path.read_text(errors="replace")

    def _port_from_log(self) -> int | None:
        if self.process.poll() is not None:
            raise AssertionError(f"the bot exited early:\n{self.log()}")
        for line in self.log().splitlines():
            if "listens for Slack on" in line:
                return int(line.split("http://")[1].split(":")[-1].split("/")[0])
        return None

    def kill(self) -> None:
        """SIGKILL to every process of the group (listener, supervisor, workers)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def terminate(self, timeout: float = 40.0) -> int:
        """SIGTERM to the main process, as a platform sends before a restart; its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def close(self) -> None:
        """Stop whatever is left of the group."""
        if self.process.poll() is None:
            self.kill()
        else:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()
