"""Logging for the bot: one line per record, and no Slack token or password ever reaches a log."""

from __future__ import annotations

import logging
import os
import re

__all__ = ["TokenRedactor", "configure_logging", "redact"]

# Bot/user/app tokens (xoxb-, xoxp-, xoxa-, xoxe-..., xapp-) and bearer headers.
_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)
# Passwords in addresses (postgresql://user:pw@host, redis://:pw@host) and in connection
# strings or driver errors (password=pw, PWD='pw'); the sources' URLs carry them.
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s/]*@", re.IGNORECASE)
_PASSWORD_PAIR = re.compile(
    r"""(\b(?:password|passwd|pwd)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"]+)""", re.IGNORECASE
)


def redact(text: str) -> str:
    """Replace anything that looks like a Slack token or a password with a marker."""
    text = _BEARER.sub(r"\1[redacted]", _TOKEN.sub(r"\1-[redacted]", text))
    text = _URL_PASSWORD.sub(r"\1[redacted]@", text)
    return _PASSWORD_PAIR.sub(r"\1[redacted]", text)


class TokenRedactor(logging.Filter):
    """A handler filter that renders each record once and strips tokens from the result.

    Libraries log request headers and bodies at debug level; redacting the final message
    (arguments and traceback included) catches them wherever they hide.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure_logging(level: str | None = None) -> None:
    """Log to stderr at ``SEGBOT_LOG_LEVEL`` (default INFO), with tokens redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(TokenRedactor())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    name = (level or os.environ.get("SEGBOT_LOG_LEVEL") or "INFO").upper()
    root.setLevel(getattr(logging, name, logging.INFO))
