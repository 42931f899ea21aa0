"""The durable job queue: Huey and the ledger in SQLite or Redis, the sweeper, and thread links.
May import bot.config, segmentation.errors, huey and redis; never job code (handlers come at start).

Jobs are carried as plain data and run by the handler registered for their ``kind`` (see
:class:`JobQueue`). The listener imports this package: nothing here loads pandas,
scikit-learn or matplotlib.
"""

from bot.queue.ledger import (
    STORE_ERRORS,
    ClaimLost,
    Job,
    Ledger,
    QueueFull,
    QueueUnavailable,
    store_errors,
    unavailable_text,
)
from bot.queue.links import ThreadLinks
from bot.queue.runner import (
    AnswerGuard,
    Handler,
    Handlers,
    JobQueue,
    die_with_parent,
    until_stored,
)
from bot.queue.stores import RedisLedger, SqliteLedger
from bot.queue.sweeper import Sweeper

__all__ = [
    "STORE_ERRORS",
    "AnswerGuard",
    "ClaimLost",
    "Handler",
    "Handlers",
    "Job",
    "JobQueue",
    "Ledger",
    "QueueFull",
    "QueueUnavailable",
    "RedisLedger",
    "SqliteLedger",
    "Sweeper",
    "ThreadLinks",
    "die_with_parent",
    "store_errors",
    "unavailable_text",
    "until_stored",
]
