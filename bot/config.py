"""Settings from the environment and ``.env``; a bad setting stops start-up with one sentence."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.sources import Source
from segmentation.errors import SegmentationError
from segmentation.output.keystore import default_data_dir, pseudonym_key

__all__ = ["ConfigError", "Settings", "DEFAULT_API_URL", "default_data_dir"]

DEFAULT_API_URL = "https://slack.com/api/"
_MB = 1024 * 1024


class ConfigError(SegmentationError):
    """A missing or malformed setting; ``str(error)`` says which and how to fix it."""

    kind = "config"


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to start. Build it with :meth:`from_env`."""

    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    port: int = 3000
    max_file_bytes: int = 50 * _MB
    max_rows: int = 1_000_000
    max_columns: int = 1_000
    workers: int = 2
    queue_max: int = 50
    # segbot's own files: the embedded queue (SQLite; unused with queue_url) and the pseudonym key.
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    # redis://... puts the jobs and the answered-record in Redis, shared by several machines.
    queue_url: str | None = None
    # A job whose worker stops renewing its claim for this long is given to another worker.
    job_lease_s: float = 30.0
    # Wall-clock limit for one segmentation; past it the work is killed and the person told.
    job_timeout_s: float = 120.0
    # Labelled CSVs with contacts replaced by pseudonyms made with this key (None: as written).
    redact_key: bytes | None = None
    # Run history: PostgreSQL when set (DATABASE_URL), else SQLite in data_dir.
    database_url: str | None = None
    # SEGBOT_SECRET: the HMAC key of customer pseudonyms (required with database_url).
    secret: str | None = field(default=None, repr=False)
    # Per-customer history rows older than this many days are deleted.
    history_days: int = 180
    # How often the workers look for due schedules (seconds).
    schedule_tick_s: float = 60.0
    # SEGBOT_SOURCES: data people segment by name (/segment source NAME); name -> Source.
    sources: Mapping[str, Source] = field(default_factory=dict)

    @property
    def redact_exports(self) -> bool:
        """True with SEGBOT_REDACT_EXPORTS=true: uploaded files carry pseudonyms, not contacts."""
        return self.redact_key is not None

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: connect out over a WebSocket, no public URL."""
        return self.app_token is not None

    def __repr__(self) -> str:
        # Settings end up in logs and test reports; the secrets must not.
        return (
            f"Settings(socket_mode={self.socket_mode}, api_url={self.api_url!r}, "
            f"port={self.port}, max_file_bytes={self.max_file_bytes}, max_rows={self.max_rows}, "
            f"max_columns={self.max_columns}, workers={self.workers}, "
            f"queue_max={self.queue_max}, data_dir={str(self.data_dir)!r}, "
            f"queue={_redact_url(self.queue_url)!r}, job_lease_s={self.job_lease_s}, "
            f"job_timeout_s={self.job_timeout_s}, "
            f"redact_exports={self.redact_exports}, "
            f"database={_redact_url(self.database_url)!r}, history_days={self.history_days}, "
            f"schedule_tick_s={self.schedule_tick_s}, "
            f"sources={sorted(self.sources)!r})"
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv_path: str | os.PathLike[str] | None = ".env",
    ) -> Settings:
        """Read the settings; values in ``environ`` (default ``os.environ``) win over ``.env``.

        Raises :class:`ConfigError` with one sentence when a setting is missing or malformed.
        """
        values: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        # An empty value in a copied .env.example means "not set", not "set to nothing".
        env = {k: v.strip() for k, v in values.items() if v is not None and v.strip() != ""}

        bot_token = env.get("SLACK_BOT_TOKEN")
        if bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (it starts with xoxb-) "
                "from your Slack app's OAuth & Permissions page into .env."
            )
        if not bot_token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN must be the Bot User OAuth Token that starts with xoxb- "
                "(from your Slack app's OAuth & Permissions page); the value set does not."
            )
        signing_secret = env.get("SLACK_SIGNING_SECRET")
        if signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
                "Basic Information page into .env."
            )
        app_token = env.get("SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must be an app-level token that starts with xapp- (Basic "
                "Information > App-Level Tokens, scope connections:write), or be left empty "
                "to run in HTTP mode."
            )
        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=_api_url(env.get("SLACK_API_URL", DEFAULT_API_URL)),
            port=_integer(env, "PORT", 3000, low=0, high=65535),
            max_file_bytes=round(_number(env, "SEGBOT_MAX_FILE_MB", 50.0) * _MB),
            max_rows=_integer(env, "SEGBOT_MAX_ROWS", 1_000_000, low=1),
            max_columns=_integer(env, "SEGBOT_MAX_COLUMNS", 1_000, low=1),
            workers=_integer(env, "SEGBOT_WORKERS", 2, low=1, high=64),
            queue_max=_integer(env, "SEGBOT_QUEUE_MAX", 50, low=0, high=100_000),
            data_dir=Path(env["SEGBOT_DATA_DIR"]).expanduser()
            if "SEGBOT_DATA_DIR" in env
            else default_data_dir(),
            queue_url=_queue_url(env.get("SEGBOT_QUEUE_URL")),
            job_lease_s=_seconds(env, "SEGBOT_JOB_LEASE_S", 30.0),
            job_timeout_s=_seconds(env, "SEGBOT_JOB_TIMEOUT_S", 120.0),
            redact_key=_redact_key(env),
            database_url=_database_url(env),
            secret=env.get("SEGBOT_SECRET"),
            history_days=_integer(env, "SEGBOT_HISTORY_DAYS", 180, low=1, high=36_500),
            schedule_tick_s=_seconds(env, "SEGBOT_SCHEDULE_TICK_S", 60.0),
            sources=_sources(env.get("SEGBOT_SOURCES")),
        )


_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
_SOURCE_KEYS = {"url", "table", "query", "channels"}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_SOURCES_EXAMPLE = 'such as {"orders": {"url": "postgresql://user@host/shop", "table": "orders"}}'


def _sources(raw: str | None) -> dict[str, Source]:
    """SEGBOT_SOURCES as name -> Source; sentences name the source and key, never a value
    (a URL may carry a password)."""
    if raw is None:
        return {}
    try:
        loaded = json.loads(raw)
    except ValueError:
        raise ConfigError(
            f"SEGBOT_SOURCES must be JSON {_SOURCES_EXAMPLE}; it could not be read as JSON."
        ) from None
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"SEGBOT_SOURCES must be a JSON object of named sources, {_SOURCES_EXAMPLE}."
        )
    sources: dict[str, Source] = {}
    for raw_name, entry in loaded.items():
        name = str(raw_name).strip().lower()
        if not _SOURCE_NAME.match(name):
            raise ConfigError(
                "SEGBOT_SOURCES names must be one word of letters, digits, dots, dashes or "
                "underscores (at most 40), like orders or vip-2024."
            )
        if name in sources:
            raise ConfigError(f"SEGBOT_SOURCES names the source “{name}” twice.")
        sources[name] = _source(name, entry)
    return sources


def _source(name: str, entry: object) -> Source:
    where = f"The source “{name}” in SEGBOT_SOURCES"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be an object with a url, {_SOURCES_EXAMPLE}.")
    unknown = sorted(set(entry) - _SOURCE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where} has a key I don't know ({str(unknown[0])[:40]}); use url, table, query "
            "and channels."
        )
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(
            f"{where} needs a url, like postgresql://user@host/shop or file:///data/orders.csv."
        )
    try:
        scheme = urlparse(url.strip()).scheme
    except ValueError:
        scheme = ""
    # A file's full path is a source too (a relative one would depend on where the bot started).
    if not re.match(r"^[a-z][a-z0-9+.-]+$", scheme) and not url.strip().startswith(("/", "~")):
        raise ConfigError(
            f"{where} needs a url with its kind first, like postgresql://user@host/shop or "
            "file:///data/orders.csv, or a file's full path."
        )
    table, query = entry.get("table"), entry.get("query")
    for key, value in (("table", table), ("query", query)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where} has an empty or non-text {key}.")
    if table is not None and query is not None:
        raise ConfigError(f"{where} has both a table and a query; keep one.")
    channels = entry.get("channels", [])
    if not isinstance(channels, list) or not all(
        isinstance(c, str) and _CHANNEL_ID.match(c) for c in channels
    ):
        raise ConfigError(
            f'{where} must list its channels as Slack channel ids, like ["C0123ABCD"].'
        )
    return Source(
        name=name,
        url=url.strip(),
        table=table.strip() if table else None,
        query=query.strip() if query else None,
        channels=tuple(channels),
    )


def _database_url(env: Mapping[str, str]) -> str | None:
    url = env.get("DATABASE_URL")
    if url is None:
        return None
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://", "sqlite:")):
        raise ConfigError(
            "DATABASE_URL must be a PostgreSQL address such as "
            "postgresql://user:password@host:5432/segbot; leave it empty to keep the history "
            "in SEGBOT_DATA_DIR."
        )
    if not env.get("SEGBOT_SECRET"):
        raise ConfigError(
            "DATABASE_URL is set, so SEGBOT_SECRET must be set too: the same long random value "
            "on every machine (for example the output of `openssl rand -hex 32`)."
        )
    return url


def _redact_key(env: Mapping[str, str]) -> bytes | None:
    if env.get("SEGBOT_REDACT_EXPORTS", "false").lower() not in ("true", "1", "yes", "on"):
        return None
    try:
        return pseudonym_key(env.get("SEGBOT_SECRET"), env.get("SEGBOT_DATA_DIR") or None)
    except SegmentationError as problem:
        raise ConfigError(f"SEGBOT_REDACT_EXPORTS is on, but {problem}") from None


def _api_url(raw: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            "SLACK_API_URL must be a web address such as https://slack.com/api/; "
            "leave it empty to use Slack's."
        )
    # WebClient joins method names onto the base URL, so it must end with a slash.
    return raw if raw.endswith("/") else raw + "/"


def _queue_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("redis", "rediss", "unix") or not (parsed.netloc or parsed.path):
        raise ConfigError(
            "SEGBOT_QUEUE_URL must be a Redis address such as redis://localhost:6379/0; "
            "leave it empty to keep the queue in SEGBOT_DATA_DIR on this machine."
        )
    return raw


def _redact_url(url: str | None) -> str | None:
    # redis://:password@host keeps its password out of logs.
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***", 1)
    return url


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, like 30 (it is {raw!r}).") from None
    if not 1 <= value <= 3600:
        raise ConfigError(f"{name} must be between 1 and 3600 seconds (it is {raw}).")
    return value


def _integer(
    env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        # People write 1,000,000 or 1_000_000 for big limits; both mean a million.
        value = int(raw.replace(",", "").replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (it is {raw!r}).") from None
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ConfigError(f"{name} must be {bound} (it is {value}).")
    return value


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.replace(",", "").replace("_", ""))
    except ValueError:
        raise ConfigError(
            f"{name} must be a number of megabytes, like 50 (it is {raw!r})."
        ) from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a positive number of megabytes, like 50.")
    return value
