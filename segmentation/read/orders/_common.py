"""Small helpers the order-log stages share: header words, spread-out samples, sentences."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["SAMPLE", "header_words", "has_word", "sample_values", "columns_sentence"]
__all__ += ["plural", "join_words"]

SAMPLE = 2_000
_MAX_LISTED_COLUMNS = 30


def header_words(header: object) -> tuple[list[str], str]:
    """Words of a header ("CustomerID" -> ["customer", "id"]) and their concatenation."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(header))
    words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    return words, "".join(words)


def has_word(words: list[str], compact: str, vocabulary: tuple[str, ...] | set[str]) -> bool:
    """Whether a header (from :func:`header_words`) holds one of ``vocabulary``."""
    # Short words must match a whole token ("id" must not match "paid"); longer ones may sit
    # inside a compound header ("invoicedate", "unitprice").
    return any(w in words or (len(w) >= 4 and w in compact) for w in vocabulary)


def sample_values(series: pd.Series, size: int = SAMPLE) -> pd.Series:
    """Up to ``size`` non-missing values, spread over the whole column, deterministic."""
    if len(series) > 2 * size:
        # Pick positions first: dropping missing values of a whole 5M-row column is slow.
        series = series.iloc[(np.arange(2 * size) * (len(series) / (2 * size))).astype(np.int64)]
    values = series.dropna()
    if len(values) <= size:
        return values
    step = len(values) / size
    return values.iloc[(np.arange(size) * step).astype(np.int64)]


def columns_sentence(df: pd.DataFrame) -> str:
    """ "The file has: a, b, c." for error messages (headers only, never values)."""
    names = [str(c) for c in df.columns]
    shown = ", ".join(names[:_MAX_LISTED_COLUMNS])
    if len(names) > _MAX_LISTED_COLUMNS:
        shown += f" and {len(names) - _MAX_LISTED_COLUMNS} more"
    return f"The file has: {shown}." if names else "The file has no columns."


def plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def join_words(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
