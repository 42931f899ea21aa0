"""The history store on both databases it supports: SQLite (default) and a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.store import HISTORY_FILE, History, StoreUnavailable, normalise_url
from tests.bot.harness import REPO_ROOT
from tests.bot.postgres_server import PostgresServer

SECRET = b"k" * 32
MODEL = {
    "source": "orders_nov.csv",
    "mode": "rfm",
    "rows": 3,
    "k": 2,
    "features": ["recency_days", "frequency", "monetary"],
    "logs": [False, True, True],
    "scale": [[10.0, 2.0], [1.0, 0.5], [3.0, 1.0]],
    "segments": [
        {"id": 0, "name": "Champions", "size": 2, "color": "#0072B2", "marker": "m",
         "centre": [1.0, 2.0, 3.0]},
        {"id": 1, "name": "Lost", "size": 1, "color": "#E69F00", "marker": "m",
         "centre": [9.0, 0.1, 0.2]},
    ],
    "when": "",
}  # fmt: skip
SEGMENTS = [
    {"name": "Champions", "size": 2, "share": 2 / 3, "centroid": {"monetary": 30.0},
     "stability": 0.9},
    {"name": "Lost", "size": 1, "share": 1 / 3, "centroid": {"monetary": 3.0}, "stability": None},
]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[History, object]]:
    """A migrated History on each database, and what lets a test read its raw bytes."""
    if request.param == "sqlite":
        history = History(f"sqlite:///{tmp_path / HISTORY_FILE}", SECRET)
        where: object = tmp_path
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        history = History(normalise_url(server.url), SECRET)
        where = server
    history.migrate()
    history.migrate()  # every start runs it; the second time changes nothing
    yield history, where
    history.close()


def _raw(where: object) -> bytes:
    if isinstance(where, PostgresServer):
        return where.dump()
    return b"".join(p.read_bytes() for p in Path(str(where)).glob(HISTORY_FILE + "*"))


def _channel() -> str:
    return "C" + uuid.uuid4().hex[:10].upper()


def _record(history: History, channel: str, **kw: object) -> int:
    members = {history.pseudonym(c): s for c, s in {"ann@x.io": 0, "CU-77": 0, "bob": 1}.items()}
    return history.record(
        channel, MODEL, members, sha256="ab" * 32, options={}, segments=SEGMENTS, **kw
    )  # type: ignore[arg-type]


def test_a_run_comes_back_as_it_was_stored(backend: tuple[History, object]) -> None:
    history, where = backend
    channel = _channel()
    _record(history, channel)
    stored = history.previous(channel, "rfm", ["monetary", "frequency", "recency_days"])
    assert stored is not None
    assert stored.model["segments"] == MODEL["segments"]
    assert stored.members == {history.pseudonym("CU-77"): 0, history.pseudonym("ann@x.io"): 0,
                              history.pseudonym("bob"): 1}  # fmt: skip
    # Other measures, another kind of data, another channel: nothing comparable.
    assert history.previous(channel, "rfm", ["recency_days", "frequency"]) is None
    assert history.previous(channel, "customers", MODEL["features"]) is None  # type: ignore[arg-type]
    assert history.previous(_channel(), "rfm", MODEL["features"]) is None  # type: ignore[arg-type]
    raw = _raw(where)
    assert b"Champions" in raw  # the dump is real...
    for key in (b"ann@x.io", b"CU-77", b"bob"):  # ...and holds no customer key as written
        assert key not in raw


def test_history_lists_the_channel_newest_first_and_forget_says_how_much(
    backend: tuple[History, object],
) -> None:
    history, _ = backend
    channel, other = _channel(), _channel()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for month in range(12):
        _record(history, channel, now=start + timedelta(days=31 * month))
    _record(history, other)
    runs = history.runs(channel)
    assert len(runs) == 10
    assert runs[0].created_at > runs[-1].created_at
    assert runs[0].sizes == (("Champions", 2), ("Lost", 1))
    assert len(history.last_two(channel)) == 2
    assert history.forget(channel) == (12, 36)
    assert history.runs(channel) == [] and history.forget(channel) == (0, 0)
    assert len(history.runs(other)) == 1


def test_old_customer_rows_expire_and_summaries_stay(backend: tuple[History, object]) -> None:
    history, _ = backend
    channel = _channel()
    now = datetime.now(UTC)
    _record(history, channel, now=now - timedelta(days=history.history_days + 1))
    _record(history, channel, now=now)
    assert history.count_members(channel) == 6
    history.expire(now)
    assert history.count_members(channel) == 3
    assert len(history.runs(channel)) == 2
    oldest = history.runs(channel)[-1]
    assert oldest.sizes  # the summary is still there


def test_an_unreachable_database_is_one_exception(tmp_path: Path) -> None:
    history = History("postgresql+psycopg://segbot@127.0.0.1:9/segbot", SECRET)
    with pytest.raises(StoreUnavailable):
        history.migrate()
    with pytest.raises(StoreUnavailable):
        history.runs("C1")


def test_heroku_urls_mean_psycopg_3() -> None:
    assert normalise_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert normalise_url("postgresql://h/d") == "postgresql+psycopg://h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_database_url_without_a_secret_stops_the_bot_with_one_sentence(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "DATABASE_URL": "postgres://h/d",
    }
    with pytest.raises(ConfigError, match="SEGBOT_SECRET must be set"):
        Settings.from_env(env, dotenv_path=None)
    settings = Settings.from_env(dict(env, SEGBOT_SECRET="x" * 32), dotenv_path=None)
    assert "postgres" in repr(settings) and "x" * 32 not in repr(settings)
    started = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert started.stderr.strip().count("\n") == 0
    assert "SEGBOT_SECRET" in started.stderr and "Traceback" not in started.stderr
