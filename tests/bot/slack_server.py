"""A Slack-compatible server for end-to-end tests: the Web API, files, response_url, Socket Mode.

It speaks the same HTTP shapes as slack.com on 127.0.0.1 (port 0), records every call for
assertions, and has fault switches: the next N calls to a method answer 429 (with Retry-After)
or 500, answers can be slowed down, and downloads can return Slack's HTML sign-in page.

It is as strict as Slack: every message and view is checked by ``slack_rules`` and refused with
Slack's own error; a ``response_url`` takes 5 posts in 30 minutes; a trigger_id opens one view
within 3 s; an ephemeral message into a thread with no reply yet is taken but never shown; the
shares of a file the bot uploads appear a moment after the upload; a file shared from Google
Drive (``mode: external``) links to another host. What Slack refused or never showed is in
:attr:`FakeSlack.refusals`, and the ``slack`` fixture fails the test that caused it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.bot.slack_rules import Refusal, check_message, check_view
from tests.bot.slack_users import DEFAULT_ZONES, SlackUsers

T = TypeVar("T")

BOT_TOKEN = "xoxb-1111-2222-testbottoken"
APP_TOKEN = "xapp-1-A0APP-3333-testapptoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"

# Slack's documented clocks (docs.slack.dev/interactivity/handling-user-interaction): a
# trigger_id opens a view within 3 s, a response_url takes 5 posts within 30 minutes.
TRIGGER_SECONDS = 3.0
RESPONSE_URL_POSTS = 5
RESPONSE_URL_SECONDS = 30 * 60
# How long the shares of an uploaded file take to appear (files.completeUploadExternal answers
# before the file is in the channel).
SHARE_DELAY = 0.5
GOOGLE_SIGN_IN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Google Drive: Sign-in</title></head>"
    b"<body>Sign in to continue to Google Drive</body></html>"
)

SIGN_IN_PAGE = (
    b"<!DOCTYPE html><html lang='en'><head><title>Slack</title></head>"
    b"<body>Sign in to your workspace</body></html>"
)


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """The two headers Slack puts on every request: v0 HMAC-SHA256 over ``v0:{ts}:{body}``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def wait_until(
    probe: Callable[[], T | None], timeout: float = 10.0, what: str = "the condition"
) -> T:
    """Poll ``probe`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass(frozen=True)
class Call:
    """One request that reached the server."""

    method: str  # Web API method, or "download", "upload", "response_url"
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    status: int
    at: float  # time.monotonic() when it arrived
    ok: bool = True  # False when Slack refused it (``ok: false``, or a refused response_url post)


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: int = 1


@dataclass
class FakeSlack(SlackUsers):
    """The server. Use as a context manager, or call ``start``/``stop``."""

    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    calls_log: list[Call] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    html_downloads: bool = False
    not_in_channels: set[str] = field(default_factory=set)
    user_zones: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ZONES))
    users_scope: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, _Fault] = {}
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._http: ThreadingHTTPServer | None = None
        self._ws_loop: asyncio.AbstractEventLoop | None = None
        self._ws_connections: list[ServerConnection] = []
        self._ws_stop: asyncio.Future[None] | None = None
        self._ws_ready = threading.Event()
        self.ws_port = 0
        self.acks: dict[str, dict[str, Any]] = {}
        self.ack_times: dict[str, float] = {}
        self.sent_times: dict[str, float] = {}
        self.views: list[dict[str, Any]] = []
        # What Slack refused (method, refusal) or took without showing anyone.
        self.refusals: list[tuple[str, Refusal]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self._triggers: dict[str, float] = {}
        self._used_triggers: set[str] = set()
        self._response_urls: dict[str, tuple[float, int]] = {}
        self._active_threads: set[tuple[str, str]] = set()
        self._pending_shares: dict[str, tuple[float, dict[str, Any]]] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FakeSlack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the HTTP server and the WebSocket server, each in its own thread."""
        handler = _handler_for(self)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        threading.Thread(
            target=self._http.serve_forever, args=(0.05,), daemon=True, name="fake-slack"
        ).start()
        threading.Thread(target=self._run_ws, daemon=True, name="fake-slack-ws").start()
        if not self._ws_ready.wait(10):
            raise RuntimeError("the fake Socket Mode server did not start")

    def stop(self) -> None:
        """Stop both servers."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        loop, stop = self._ws_loop, self._ws_stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give the bot as SLACK_API_URL."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ fault switches

    def fail_next(self, method: str, times: int, status: int = 429, retry_after: int = 1) -> None:
        """The next ``times`` calls to ``method`` answer ``status`` (429 carries Retry-After)."""
        with self._lock:
            self._faults[method] = _Fault(status=status, remaining=times, retry_after=retry_after)

    def delay(self, method: str, seconds: float) -> None:
        """Every call to ``method`` waits ``seconds`` before answering."""
        with self._lock:
            self._delays[method] = seconds

    # ------------------------------------------------------------------ assertions

    def calls(self, method: str | None = None) -> list[Call]:
        """Calls so far, optionally only those to ``method``."""
        with self._lock:
            return [c for c in self.calls_log if method is None or c.method == method]

    def wait_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait for at least ``count`` successful calls to ``method`` (HTTP 200, not refused)."""

        def probe() -> list[Call] | None:
            ok = [c for c in self.calls(method) if c.status == 200 and c.ok]
            return ok if len(ok) >= count else None

        return wait_until(probe, timeout, f"{count} successful call(s) to {method}")

    def chat_texts(self, channel: str | None = None) -> list[str]:
        """Every text the bot posted that someone saw (postMessage and postEphemeral, not
        refused, ephemerals not lost in an empty thread), blocks included."""
        with self._lock:
            unseen = {_where(e) for e in self.ephemerals if not e["seen"]}
        texts = []
        for call in self.calls():
            if call.status == 200 and call.ok and call.method in _CHAT_METHODS:
                if call.method == "chat.postEphemeral" and _where(call.params) in unseen:
                    continue
                if channel is None or call.params.get("channel") == channel:
                    texts.append(message_text(call.params))
        return texts

    def unseen_ephemerals(self) -> list[dict[str, Any]]:
        """Ephemeral messages Slack took but never showed (posted into an empty thread)."""
        with self._lock:
            return [e for e in self.ephemerals if not e["seen"]]

    def problems(self) -> list[str]:
        """One line per thing Slack refused or never showed; empty when all went through."""
        with self._lock:
            refused = [f"{method} refused: {refusal}" for method, refusal in self.refusals]
            unseen = [
                f"chat.postEphemeral into thread {e['thread_ts']} of {e['channel']}, which has no "
                f"reply yet: Slack takes it and never shows it ({e['text']!r})"
                for e in self.ephemerals
                if not e["seen"]
            ]
        return refused + unseen

    def _refuse(self, method: str, refusal: Refusal) -> dict[str, Any]:
        with self._lock:
            self.refusals.append((method, refusal))
        return refusal.answer()

    def responses(self) -> list[dict[str, Any]]:
        """The JSON bodies the bot posted to response_url addresses."""
        return [json.loads(c.body) for c in self.calls("response_url")]

    # ------------------------------------------------------------------ test data

    def response_url(self, key: str = "") -> str:
        """A response_url for one slash command (its 30 minutes start now)."""
        key = key or str(next(self._ids))
        with self._lock:
            self._response_urls.setdefault(key, (time.monotonic(), 0))
        return f"{self.base_url}/response/{key}"

    def trigger_id(self, suffix: str = "trig", *, age: float = 0.0) -> str:
        """A trigger_id issued ``age`` seconds ago: it opens one view within 3 s of its
        issue."""
        trigger = f"{next(self._ids)}.{TEAM_ID}.{suffix}"
        with self._lock:
            self._triggers[trigger] = time.monotonic() - age
        return trigger

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        channel: str,
        user: str = "U0ALICE",
        filetype: str | None = None,
        size: int | None = None,
        thread_ts: str | None = None,
        created: int | None = None,
        external: bool = False,
    ) -> dict[str, Any]:
        """A file shared by ``user`` in ``channel``; returns the file object files.info gives.

        ``external``: a file shared from Google Drive, as Slack lists it (``mode: external``,
        ``url_private`` on Google's host, here another host name on this machine, no
        ``url_private_download``); fetching it gets Google's sign-in page, never the bytes."""
        file_id = f"F{next(self._ids):07d}"
        ts = self._ts() if created is None else f"{created}.{next(self._clock):06d}"
        share: dict[str, Any] = {"ts": ts, "channel_name": channel.lower(), "reply_count": 0}
        if thread_ts:
            share["thread_ts"] = thread_ts
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        obj = {
            "id": file_id,
            "created": int(float(ts)),
            "timestamp": int(float(ts)),
            "name": name,
            "title": name,
            "mimetype": "text/csv" if ext == "csv" else "application/octet-stream",
            "filetype": filetype or {"txt": "text", "png": "png", "pdf": "pdf"}.get(ext, ext),
            "user": user,
            "size": size if size is not None else len(content),
            "mode": "hosted",
            "is_public": True,
            "url_private": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/{name}",
            "url_private_download": f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}/download/"
            + urllib.parse.quote(name),
            "channels": [channel],
            "shares": {"public": {channel: [share]}},
        }
        if external:
            obj.update(
                mode="external",
                is_external=True,
                external_type="gdrive",
                pretty_type="Google Sheets",
                url_private=f"{self.external_base_url}/spreadsheets/d/{file_id}/edit",
            )
            del obj["url_private_download"]
        with self._lock:
            self.files[file_id] = obj
            self.contents[file_id] = content
            if thread_ts:
                self._active_threads.add((channel, thread_ts))
        return obj

    def share_file(
        self, file: dict[str, Any], channel: str, *, user: str = "U0ALICE"
    ) -> dict[str, Any]:
        """``user`` shares ``file`` again, in ``channel``; returns its ``file_shared`` event."""
        share = {"ts": self._ts(), "channel_name": channel.lower(), "reply_count": 0}
        with self._lock:
            file["shares"].setdefault("public", {}).setdefault(channel, []).insert(0, share)
            if channel not in file["channels"]:
                file["channels"].append(channel)
        return self.file_shared_event(file, channel=channel, user=user)

    @property
    def external_base_url(self) -> str:
        """The other host external files link to: this server under another name."""
        assert self._http is not None
        return f"http://localhost:{self._http.server_address[1]}/external"

    def file_shared_event(
        self, file: dict[str, Any], *, channel: str | None = None, user: str | None = None
    ) -> dict[str, Any]:
        """The ``file_shared`` event for a file from :meth:`add_file` (in its first channel,
        or in ``channel``)."""
        channel = channel or next(iter(file["shares"]["public"]))
        return {
            "type": "file_shared",
            "channel_id": channel,
            "file_id": file["id"],
            "user_id": user or file["user"],
            "file": {"id": file["id"]},
            "event_ts": self._ts(),
        }

    def mention_event(
        self,
        text: str,
        *,
        channel: str,
        thread_ts: str | None = None,
        user: str = "U0ALICE",
    ) -> dict[str, Any]:
        """An ``app_mention``: ``text`` follows ``<@BOT>``, at the top or in ``thread_ts``."""
        ts = self._ts()
        event: dict[str, Any] = {
            "type": "app_mention",
            "client_msg_id": f"msg-{next(self._ids)}",
            "text": f"<@{BOT_USER_ID}> {text}",
            "user": user,
            "ts": ts,
            "team": TEAM_ID,
            "channel": channel,
            "event_ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            with self._lock:
                self._active_threads.add((channel, thread_ts))
        return event

    def direct_message_event(
        self, text: str, *, channel: str = "D0ALICE", user: str = "U0ALICE"
    ) -> dict[str, Any]:
        """A ``message.im``: ``user`` writes ``text`` to the bot directly."""
        ts = self._ts()
        return {
            "type": "message",
            "client_msg_id": f"msg-{next(self._ids)}",
            "text": text,
            "user": user,
            "ts": ts,
            "team": TEAM_ID,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "im",
        }

    def file_share_message_event(self, file: dict[str, Any]) -> dict[str, Any]:
        """The ``message``/``file_share`` event for the same upload (full file object inside)."""
        channel = next(iter(file["shares"]["public"]))
        share = file["shares"]["public"][channel][0]
        event = {
            "type": "message",
            "subtype": "file_share",
            "text": "",
            "files": [{k: v for k, v in file.items() if k != "shares"}],
            "upload": False,
            "user": file["user"],
            "display_as_bot": False,
            "ts": share["ts"],
            "channel": channel,
            "event_ts": share["ts"],
            "channel_type": "im" if channel.startswith("D") else "channel",
        }
        if share.get("thread_ts"):
            event["thread_ts"] = share["thread_ts"]
        return event

    def event_body(self, event: dict[str, Any]) -> dict[str, Any]:
        """The Events API envelope Slack POSTs (and sends as a Socket Mode payload)."""
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def command_body(
        self, text: str, *, channel: str = "C0DATA", user: str = "U0ALICE", key: str = ""
    ) -> dict[str, str]:
        """The fields of a ``/segment`` slash command."""
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "segbot-test",
            "channel_id": channel,
            "channel_name": "marketing",
            "user_id": user,
            "user_name": "alice",
            "command": "/segment",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.response_url(key),
            "trigger_id": self.trigger_id("abc"),
        }

    def block_actions_body(
        self,
        message: dict[str, Any],
        action_id: str,
        *,
        user: str = "U0BOB",
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        """The ``block_actions`` payload Slack sends when ``user`` clicks a button of
        ``message`` (a message the bot posted, as stored by this server)."""
        block, element = next(
            (b, e)
            for b in message["blocks"]
            if b.get("type") == "actions"
            for e in b["elements"]
            if e.get("action_id") == action_id
        )
        channel = message["channel"]
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if message.get("thread_ts"):
            container["thread_ts"] = message["thread_ts"]
        return {
            "type": "block_actions",
            "user": {"id": user, "username": "bob", "name": "bob", "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "container": container,
            "trigger_id": trigger_id or self.trigger_id(),
            "team": {"id": TEAM_ID, "domain": "segbot-test"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "marketing"},
            "message": {k: v for k, v in message.items() if k != "channel"},
            "state": {"values": {}},
            "response_url": self.response_url(),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block.get("block_id", "b"),
                    "text": element["text"],
                    "value": element.get("value", ""),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def view_submission_body(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = "U0BOB"
    ) -> dict[str, Any]:
        """The ``view_submission`` payload for a modal opened with views.open.

        ``values`` is ``state.values`` as Slack builds it: ``{block_id: {action_id: {...}}}``.
        """
        return {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "segbot-test"},
            "user": {"id": user, "username": "bob", "name": "bob", "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": self.trigger_id(),
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    # ------------------------------------------------------------------ Socket Mode

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait for a bot to hold an open Socket Mode connection."""
        wait_until(lambda: self._ws_connections, timeout, "a Socket Mode connection")

    def deliver(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None
    ) -> str:
        """Send one envelope (``slash_commands`` or ``events_api``); returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        assert self._ws_loop is not None and self._ws_connections, "no Socket Mode connection"
        connection = self._ws_connections[-1]
        self.sent_times[envelope_id] = time.monotonic()
        asyncio.run_coroutine_threadsafe(
            connection.send(json.dumps(envelope)), self._ws_loop
        ).result(5)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the bot's acknowledgement of ``envelope_id``; returns it."""
        return wait_until(
            lambda: self.acks.get(envelope_id), timeout, f"the ack of envelope {envelope_id}"
        )

    def _run_ws(self) -> None:
        loop = asyncio.new_event_loop()
        self._ws_loop = loop
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._ws_stop = loop.create_future()
            # Pings off: the test bot's client pings on its own schedule; keep the wire quiet.
            server: Server
            async with serve(self._ws_session, "127.0.0.1", 0, ping_interval=None) as server:
                self.ws_port = server.sockets[0].getsockname()[1] if server.sockets else 0
                self._ws_ready.set()
                await self._ws_stop
                for connection in list(self._ws_connections):
                    await connection.close()

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    async def _ws_session(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        await connection.send(json.dumps(hello))
        self._ws_connections.append(connection)
        try:
            async for message in connection:
                ack = json.loads(message)
                if "envelope_id" in ack:
                    with self._lock:
                        self.acks[ack["envelope_id"]] = ack
                        self.ack_times[ack["envelope_id"]] = time.monotonic()
        except ConnectionClosed:
            pass
        finally:
            self._ws_connections.remove(connection)

    # ------------------------------------------------------------------ Web API

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._clock):06d}"

    def handle_api(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Answer one Web API call the way Slack does (HTTP 200 with ``ok``)."""
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(params)
        return result

    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://segbot-test.slack.com/",
            "team": "segbot test",
            "user": "segbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.ws_port}/link/?ticket=fake-ticket"}

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channels:
            return {"ok": False, "error": "not_in_channel"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        refusal = check_message(params)
        if refusal is not None:
            return self._refuse("chat.postMessage", refusal)
        ts = self._ts()
        message = {
            "type": "message",
            "ts": ts,
            "channel": channel,
            "thread_ts": params.get("thread_ts"),
            "text": params.get("text"),
            "blocks": _as_list(params.get("blocks")),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
        }
        with self._lock:
            self.messages.append(message)
            if message["thread_ts"]:
                self._active_threads.add((channel, str(message["thread_ts"])))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        refusal = check_message(params)
        if refusal is not None:
            return self._refuse("chat.postEphemeral", refusal)
        ts = self._ts()
        channel, thread_ts = str(params["channel"]), params.get("thread_ts")
        with self._lock:
            # chat.postEphemeral: "Ephemeral messages in threads are only shown if there is
            # already an active thread." Slack still answers ok.
            seen = not thread_ts or (channel, str(thread_ts)) in self._active_threads
            self.ephemerals.append(
                {
                    "message_ts": ts,
                    "channel": channel,
                    "user": params["user"],
                    "thread_ts": thread_ts,
                    "text": params.get("text"),
                    "seen": seen,
                }
            )
        return {"ok": True, "message_ts": ts}

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not params.get("trigger_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        trigger = str(params["trigger_id"])
        with self._lock:
            issued = self._triggers.get(trigger)
            used = trigger in self._used_triggers
            self._used_triggers.add(trigger)
        if used:
            return self._refuse("views.open", Refusal("exchanged_trigger_id", (trigger,)))
        if issued is not None and time.monotonic() - issued > TRIGGER_SECONDS:
            waited = f"{trigger} used {time.monotonic() - issued:.1f} s after the click"
            return self._refuse("views.open", Refusal("expired_trigger_id", (waited,)))
        refusal = check_view(view)
        if refusal is not None:
            return self._refuse("views.open", refusal)
        opened = {
            **view,
            "id": f"V{next(self._ids):07d}",
            "team_id": TEAM_ID,
            "hash": f"{int(time.time())}.abc",
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "state": {"values": {}},
            "trigger_id": params["trigger_id"],
        }
        with self._lock:
            self.views.append(opened)
        return {"ok": True, "view": opened}

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not (params.get("view_id") or params.get("external_id")) or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        refusal = check_view(view)
        if refusal is not None:
            return self._refuse("views.update", refusal)
        with self._lock:
            known = [v for v in self.views if v["id"] == params.get("view_id")]
        if params.get("view_id") and not known:
            return {"ok": False, "error": "not_found"}
        updated = {**(known[0] if known else {}), **view}
        with self._lock:
            self.views.append(updated)
        return {"ok": True, "view": updated}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        refusal = check_message(params)
        if refusal is not None:
            return self._refuse("chat.update", refusal)
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def post_response(self, path: str, body: bytes) -> tuple[int, bytes]:
        """A POST to a response_url: 5 posts within 30 minutes, each checked like a message."""
        key = path.rsplit("/", 1)[-1]
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError:
            payload = None
        with self._lock:
            issued, posts = self._response_urls.get(key, (time.monotonic(), 0))
            self._response_urls[key] = (issued, posts + 1)
        if time.monotonic() - issued > RESPONSE_URL_SECONDS:
            self._refuse("response_url", Refusal("expired_url", (f"{key}: past 30 minutes",)))
            return 404, b"expired_url"
        if posts >= RESPONSE_URL_POSTS:
            why = f"{key}: post {posts + 1}, Slack takes {RESPONSE_URL_POSTS} in 30 minutes"
            self._refuse("response_url", Refusal("used_url", (why,)))
            return 404, b"used_url"
        if not isinstance(payload, dict):
            self._refuse("response_url", Refusal("invalid_payload", (key,)))
            return 400, b"invalid_payload"
        refusal = check_message(payload)
        if refusal is not None:
            self._refuse("response_url", refusal)
            return 400, refusal.error.encode()
        return 200, b"ok"

    def _settle_shares(self) -> None:
        """Give uploaded files the shares that are due (call with the lock held)."""
        now = time.monotonic()
        for file_id, (due, shares) in list(self._pending_shares.items()):
            if now >= due:
                del self._pending_shares[file_id]
                self.files[file_id]["shares"] = shares
                self.files[file_id]["channels"] = list(shares.get("public", {}))
                for channel, posts in shares.get("public", {}).items():
                    for share in posts:
                        if share.get("thread_ts"):
                            self._active_threads.add((channel, str(share["thread_ts"])))

    def _api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), str(params.get("ts"))
        with self._lock:
            self._settle_shares()
            shared = [
                {"type": "message", "ts": ts, "user": f["user"], "files": [f]}
                for f in self.files.values()
                if any(
                    s.get("ts") == ts
                    for s in f.get("shares", {}).get("public", {}).get(str(channel), [])
                )
            ]
            replies = [m for m in self.messages if m["channel"] == channel and m["thread_ts"] == ts]
        return {"ok": True, "messages": shared + replies, "has_more": False}

    def _api_files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._settle_shares()
            file = self.files.get(str(params.get("file")))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": file, "comments": [], "response_metadata": {"next_cursor": ""}}

    def _api_files_list(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        count = int(params.get("count") or 100)
        with self._lock:
            self._settle_shares()
            files = [f for f in self.files.values() if not channel or channel in f["channels"]]
        files.sort(key=lambda f: f["created"], reverse=True)
        shown = files[:count]
        paging = {"count": count, "total": len(files), "page": 1, "pages": 1}
        return {"ok": True, "files": shown, "paging": paging}

    def _api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):07d}"
        with self._lock:
            self.files[file_id] = {
                "id": file_id,
                "name": params["filename"],
                "title": params["filename"],
                "user": BOT_USER_ID,
                "created": int(time.time()),
                "size": int(params["length"]),
                "channels": [],
                "shares": {},
                "pending": True,
            }
        upload_url = f"{self.base_url}/upload/v1/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = _as_list(params.get("files"))
        channel = params.get("channel_id")
        done = []
        with self._lock:
            for entry in entries:
                file = self.files.get(entry.get("id"))
                if file is None or entry["id"] not in self.uploads:
                    return {"ok": False, "error": "file_not_found"}
                file.pop("pending", None)
                file["title"] = entry.get("title") or file["name"]
                file["filetype"] = file["name"].rsplit(".", 1)[-1].lower()
                if channel:
                    # Slack answers before the file is in the channel: its shares (and the
                    # channel in files.list) appear a moment later.
                    share = {"ts": self._ts(), "thread_ts": params.get("thread_ts")}
                    due = time.monotonic() + SHARE_DELAY
                    self._pending_shares[file["id"]] = (due, {"public": {channel: [share]}})
                done.append({"id": file["id"], "title": file["title"], "name": file["name"]})
        return {"ok": True, "files": done}

    def download(self, path: str, token: str | None) -> tuple[int, str, bytes]:
        """``GET /files-pri/T-F.../download/name``: the bytes, or the sign-in page."""
        file_id = path.split("/")[2].split("-", 1)[-1]
        if token != self.bot_token or self.html_downloads:
            return 200, "text/html; charset=utf-8", SIGN_IN_PAGE
        with self._lock:
            content = self.contents.get(file_id)
        if content is None:
            return 404, "text/plain", b"file not found"
        return 200, "application/octet-stream", content


_CHAT_METHODS = ("chat.postMessage", "chat.postEphemeral")


def _where(params: dict[str, Any]) -> tuple[str, str, str]:
    """An ephemeral message's place and text, to tell a lost one among the calls."""
    return (str(params.get("channel")), str(params.get("thread_ts")), str(params.get("text")))


def message_text(params: dict[str, Any]) -> str:
    """A message's fallback text plus every text inside its blocks, as one string."""
    parts = [str(params.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_as_list(params.get("blocks")))
    return "\n".join(parts)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        # Form-encoded calls carry JSON arrays as strings, as Slack accepts them.
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError:
            return []
        return loaded if isinstance(loaded, list) else []
    return list(value) if isinstance(value, list) else []


def _handler_for(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            """Quiet: the test output is for assertions, not access logs."""

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            token = _bearer(headers)
            params: dict[str, Any] = dict(urllib.parse.parse_qsl(url.query))
            content_type = headers.get("Content-Type", "")
            if url.path.startswith("/api/"):
                method = url.path[len("/api/") :]
                if "json" in content_type and body:
                    params.update(json.loads(body))
                elif body:
                    params.update(urllib.parse.parse_qsl(body.decode()))
                token = token or params.pop("token", None)
            elif url.path.startswith("/files-pri/"):
                method = "download"
            elif url.path.startswith("/upload/"):
                method = "upload"
            elif url.path.startswith("/response/"):
                method = "response_url"
            elif url.path.startswith("/external/"):
                method = "external_download"
            else:
                method = "unknown"

            with slack._lock:
                wait = slack._delays.get(method, 0.0)
                fault = slack._faults.get(method)
                if fault is not None and fault.remaining > 0:
                    fault.remaining -= 1
                else:
                    fault = None
            if wait:
                time.sleep(wait)

            status, reply_type, reply = 200, "application/json; charset=utf-8", b""
            extra: dict[str, str] = {}
            if fault is not None:
                status = fault.status
                if status == 429:
                    extra["Retry-After"] = str(fault.retry_after)
                    reply = json.dumps({"ok": False, "error": "ratelimited"}).encode()
                else:
                    reply_type, reply = "text/plain", b"Internal Server Error"
            elif method == "download":
                status, reply_type, reply = slack.download(url.path, token)
            elif method == "upload":
                file_id = url.path.rsplit("/", 1)[-1]
                with slack._lock:
                    slack.uploads[file_id] = body
                reply_type, reply = "text/plain", f"OK - {len(body)}".encode()
            elif method == "response_url":
                status, reply = slack.post_response(url.path, body)
                reply_type = "text/plain"
            elif method == "external_download":
                # Google's host: never the file's bytes, whatever token comes with the request.
                reply_type, reply = "text/html; charset=utf-8", GOOGLE_SIGN_IN_PAGE
            elif method == "unknown":
                status, reply_type, reply = 404, "text/plain", b"not found"
            else:
                reply = json.dumps(slack.handle_api(method, params, token)).encode()

            ok = status == 200 and not reply.startswith(b'{"ok": false')
            call = Call(method, url.path, params, headers, body, status, time.monotonic(), ok)
            with slack._lock:
                slack.calls_log.append(call)
            self.send_response(status)
            self.send_header("Content-Type", reply_type)
            self.send_header("Content-Length", str(len(reply)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply)

    return Handler


def _bearer(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization" and value.startswith("Bearer "):
            return value[len("Bearer ") :]
    return None
