"""Fixtures for the bot's end-to-end tests: a fake Slack, and the real bot pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.bot.harness import MALL_CUSTOMERS, HttpBot, SocketBot
from tests.bot.postgres_server import PostgresServer
from tests.bot.redis_server import RedisServer
from tests.bot.slack_server import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fresh fake Slack for each test; the test fails when the bot sent anything Slack
    would refuse, or posted an ephemeral message nobody could see."""
    with FakeSlack() as server:
        yield server
    problems = server.problems()
    assert not problems, "Slack would not have shown this:\n" + "\n".join(problems)


@pytest.fixture
def make_http_bot(slack: FakeSlack) -> Iterator[Callable[..., HttpBot]]:
    """Start HTTP-mode bots with extra settings; all are stopped after the test."""
    bots: list[HttpBot] = []

    def make(**env: str) -> HttpBot:
        bot = HttpBot(slack, **env)
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.close()


@pytest.fixture
def http_bot(make_http_bot: Callable[..., HttpBot]) -> HttpBot:
    """The bot in HTTP mode with default settings (2 workers)."""
    return make_http_bot()


@pytest.fixture
def socket_bot(slack: FakeSlack) -> Iterator[SocketBot]:
    """The bot in Socket Mode."""
    bot = SocketBot(slack)
    yield bot
    bot.close()


@pytest.fixture(scope="session")
def mall_customers() -> bytes:
    """The real Mall Customers file (kept outside the repository; skip when absent)."""
    if not MALL_CUSTOMERS.is_file():
        pytest.skip(f"{MALL_CUSTOMERS} is not available")
    return MALL_CUSTOMERS.read_bytes()


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, stopped after the test."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL on a free loopback port for the whole session (one database)."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()
