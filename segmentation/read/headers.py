"""Column names as the user wrote them, made usable: stripped, on one line, unique."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

_HEADER_BREAKS = re.compile(r"[ \t]*[\r\n\v\f]+[ \t]*")


def clean_headers(raw: Sequence[object]) -> list[str]:
    """Stripped, non-empty, unique headers; otherwise exactly as the user wrote them.

    Uniqueness ignores case, because columns are later asked for case-insensitively. Names
    the user wrote win over the ones we make up (``column_N``, ``x_2``).
    """
    # A line break inside a header (Alt+Enter in Excel, or a stray quote) becomes a space: a
    # header is quoted in one-line sentences and typed back in columns=.
    written = [
        _HEADER_BREAKS.sub(" ", _header_text(value)).strip().strip("\ufeff").strip()
        for value in raw
    ]
    taken = {name.casefold() for name in written if name}
    seen: set[str] = set()
    names = []
    for position, name in enumerate(written, start=1):
        if not name:
            name = _unused(f"column_{position}", taken)
        elif name.casefold() in seen:
            name = _unused(name, taken)
        taken.add(name.casefold())
        seen.add(name.casefold())
        names.append(name)
    return names


def _unused(name: str, taken: set[str]) -> str:
    if name.casefold() not in taken:
        return name
    suffix = 2
    while f"{name}_{suffix}".casefold() in taken:
        suffix += 1
    return f"{name}_{suffix}"


def _header_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year typed as a header in Excel: 2024, not 2024.0
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] if _is_midnight(value) else value.isoformat(sep=" ")
    return str(value)


def _is_midnight(value: date) -> bool:
    return not isinstance(value, datetime) or value.time() == datetime.min.time()
