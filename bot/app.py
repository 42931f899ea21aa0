"""Build the Bolt app and run it: Socket Mode with an app token, else HTTP behind waitress."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import URLError

from slack_bolt import App, BoltContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from waitress import wasyncore
from waitress.server import MultiSocketServer, create_server

from bot.config import ConfigError, Settings
from bot.logs import configure_logging
from bot.runtime import Runtime
from bot.slack.files import build_retry_handlers
from bot.slack.listeners import register_listeners

# Mirrors bot.worker.SHUTDOWN_S, without importing Huey's consumer into the listener.
SHUTDOWN_S = 25.0

__all__ = [
    "build_app",
    "build_web_client",
    "build_wsgi_app",
    "build_http_server",
    "build_socket_mode_handler",
    "HttpServer",
    "main",
]

logger = logging.getLogger("bot")

# Listener threads only parse, ack and queue; a few more than Bolt's default 5 keep acks quick
# when many requests arrive at once.
LISTENER_THREADS = 16
HTTP_THREADS = 16
# How often the HTTP loop checks whether it was asked to stop.
_STOP_CHECK_S = 0.2

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def build_web_client(settings: Settings) -> WebClient:
    """The Web API client: our base URL, our token, and retries for 429, 5xx and resets."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        retry_handlers=build_retry_handlers(),
        logger=logging.getLogger("bot.slack_api"),
    )


class _DropClientOverTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that our
    client (which carries that same token, plus our base URL and retries) takes priority."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(
    settings: Settings, client: WebClient | None = None, *, runtime: Runtime | None = None
) -> App:
    """The Bolt app with every listener. Calls ``auth.test`` (fails fast on a bad token)."""
    runtime = runtime if runtime is not None else Runtime.create(settings)
    bolt_logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _DropClientOverTokenWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DropClientOverTokenWarning())
    app = App(
        client=client if client is not None else build_web_client(settings),
        signing_secret=settings.signing_secret,
        token_verification_enabled=True,
        request_verification_enabled=True,
        # Ack first: Slack gets its answer as soon as a listener acks (events at once), whatever
        # Slack's own speed for files.info afterwards; the ledger keeps retries to one answer.
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="segbot-listener"
        ),
        logger=bolt_logger,
        name="segbot",
    )

    def attach_runtime(context: BoltContext, next: Callable[[], Any]) -> Any:
        runtime.attach(context)
        return next()

    app.use(attach_runtime)
    register_listeners(app)
    return app


def build_wsgi_app(app: App) -> WSGIApp:
    """Slack requests at POST /slack/events, and GET /healthz for the platform."""
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok"]
        return slack(environ, start_response)

    return wsgi


class HttpServer:
    """waitress serving the app on its own thread pool; ``stop`` works from any thread.

    waitress's own ``run``/``close`` pair races when closed from another thread (the loop may
    be in ``select`` on a socket being closed), so the loop here is ours: it polls in short
    slices and does all closing itself when asked to stop.
    """

    def __init__(self, app: App, *, host: str, port: int) -> None:
        self._server = create_server(
            build_wsgi_app(app),
            host=host,
            port=port,
            threads=HTTP_THREADS,
            ident="segbot",
            channel_timeout=30,
        )
        self._stop = threading.Event()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(getattr(self._server, "effective_port", 0))

    def serve(self) -> None:
        """Serve until :meth:`stop` is called."""
        server = self._server
        socket_map = server.map if isinstance(server, MultiSocketServer) else server._map
        try:
            while socket_map and not self._stop.is_set():
                wasyncore.loop(
                    timeout=_STOP_CHECK_S,
                    map=socket_map,
                    use_poll=server.adj.asyncore_use_poll,
                    count=1,
                )
        finally:
            server.task_dispatcher.shutdown()
            wasyncore.close_all(socket_map, ignore_all=True)

    def stop(self) -> None:
        """Ask :meth:`serve` to return (within a fraction of a second)."""
        self._stop.set()


def build_http_server(app: App, *, host: str = "0.0.0.0", port: int = 3000) -> HttpServer:
    """The app behind waitress (multi-threaded); call ``.serve()`` to serve."""
    return HttpServer(app, host=host, port=port)


def build_socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    """Socket Mode over slack_sdk's built-in WebSocket client, using our Web API client."""
    if settings.app_token is None:
        raise ConfigError("SLACK_APP_TOKEN is needed for Socket Mode.")
    return SocketModeHandler(
        app,
        app_token=settings.app_token,
        web_client=app.client,
        logger=logging.getLogger("bot.socket_mode"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot [--no-worker | worker]``: 0 on a clean stop, 2 on a set-up problem.

    Alone it runs the listener and, as a child process, the workers (one machine). With
    ``--no-worker`` only the listener; ``worker`` runs only the workers (scale-out).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    role = {(): "both", ("--no-worker",): "listener", ("worker",): "worker"}.get(tuple(args))
    if role is None:
        usage = "usage: python -m bot [--no-worker | worker]"
        print(f"{usage} (not {' '.join(args)!r})", file=sys.stderr)
        return 2
    configure_logging()
    try:
        settings = Settings.from_env()
        if role == "worker":
            from bot.worker import serve_workers

            serve_workers(settings, with_parent=os.environ.get(_CHILD_FLAG) == "1")
            return 0
        runtime = Runtime.create(settings)
        app = _connect(settings, runtime)
        workers = _Workers() if role == "both" else None
        if role == "listener" and settings.queue_url is None:
            logger.warning(
                "No SEGBOT_QUEUE_URL: jobs wait in %s for `python -m bot worker` on this "
                "machine; set a Redis address to run workers elsewhere",
                settings.data_dir / "queue.db",
            )
        try:
            _serve(app, settings)
        finally:
            if workers is not None:
                workers.stop()
            runtime.queue.close()
    except ConfigError as problem:
        print(f"segbot could not start: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        logger.info("segbot stopped")
    return 0


# Set for the worker child of ``python -m bot``, so it dies with the listener.
_CHILD_FLAG = "SEGBOT_WORKER_CHILD"


def _serve(app: App, settings: Settings) -> None:
    """Listen for Slack (Socket Mode or HTTP) until SIGTERM."""
    stop = threading.Event()
    if settings.socket_mode:
        handler = build_socket_mode_handler(app, settings)
        try:
            handler.connect()
        except SlackApiError as error:
            raise ConfigError(
                "Slack refused SLACK_APP_TOKEN "
                f"({error.response.get('error')}): check the app-level token has the "
                "connections:write scope and that Socket Mode is on for the app."
            ) from None
        logger.info("segbot is connected to Slack in Socket Mode")
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            # The Socket Mode client runs in its own threads; this one waits for a signal.
            while not stop.wait(1.0):
                pass
        finally:
            handler.close()
    else:
        server = build_http_server(app, port=settings.port)
        signal.signal(signal.SIGTERM, lambda *_: server.stop())
        logger.info("segbot listens for Slack on http://0.0.0.0:%s/slack/events", server.port)
        server.serve()


class _Workers:
    """The workers of a one-machine bot: ``python -m bot worker`` as a child process, started
    again if it ever dies while the listener runs (jobs wait safely in the queue meanwhile)."""

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._process = self._start()
        self._watch = threading.Thread(target=self._keep_alive, daemon=True, name="segbot-work")
        self._watch.start()

    @staticmethod
    def _start() -> subprocess.Popen[bytes]:
        env = dict(os.environ, **{_CHILD_FLAG: "1"})
        return subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env)

    def _keep_alive(self) -> None:
        while not self._stopping.wait(2.0):
            code = self._process.poll()
            if code is not None and not self._stopping.is_set():
                logger.error("The worker processes stopped (exit %s); starting them again", code)
                self._process = self._start()

    def stop(self) -> None:
        """SIGTERM to the workers: they finish or hand back the jobs in hand; the jobs still
        waiting stay in the queue's store for the next start."""
        self._stopping.set()
        logger.info("segbot is stopping; the workers finish the jobs in hand")
        process = self._process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(SHUTDOWN_S + 4)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _connect(settings: Settings, runtime: Runtime) -> App:
    """Build the app, turning Slack's answer to auth.test into one sentence when it fails."""
    try:
        return build_app(settings, runtime=runtime)
    except BoltError as error:
        reason = str(error)
        raise ConfigError(
            "Slack did not accept SLACK_BOT_TOKEN "
            f"({_error_code(reason)}): copy the Bot User OAuth Token again from your app's "
            "OAuth & Permissions page, and reinstall the app if it was removed."
        ) from None
    except (URLError, SlackClientError, OSError):
        raise ConfigError(
            f"I couldn't reach Slack at {settings.api_url}: check the network connection "
            "and SLACK_API_URL."
        ) from None


def _error_code(reason: str) -> str:
    # Bolt's message looks like "... (response: {'ok': False, 'error': 'invalid_auth'})".
    for code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
        if code in reason:
            return code
    return "auth.test failed"
