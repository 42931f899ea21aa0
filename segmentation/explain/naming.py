"""What sets a segment apart when more than two columns shape it: its name and its numbers.

A name from the one to three columns on which the segment's centre stands furthest from the
average customer, each concept once ("High purchases, high credit limit", never "high
purchases, high purchase transactions"); a description that quotes at most three of them.
Two clustered columns keep the classic names ("High income, low spend"): see
:func:`segmentation.explain.describe.name_segments`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from segmentation.explain.number_words import format_value
from segmentation.explain.wording import same_concept
from segmentation.result import Level

__all__ = [
    "NAME_PARTS",
    "QUOTED_COLUMNS",
    "AVERAGE_NAME",
    "MAX_PROFILE_COLUMNS",
    "distinctive_columns",
    "name_parts",
    "apart_phrase",
]

# Columns in a name before a third is needed to tell two segments apart.
NAME_PARTS = 2
# Columns a description quotes with their numbers.
QUOTED_COLUMNS = 3
# Columns the profile picture shows (more make cells too narrow to read a number in).
MAX_PROFILE_COLUMNS = 10
# The name of a segment close to the average on every column.
AVERAGE_NAME = "Close to average"
# From this many standard deviations away a segment is "far" above or below the average.
_FAR = 1.0


def distinctive_columns(
    levels: Mapping[str, Level], distinct: Mapping[str, float], limit: int
) -> list[str]:
    """Up to ``limit`` columns that set a segment apart, strongest first, one per concept.

    A column counts when its level (a third of the base) and its distance from the average
    (``distinct``, in standard deviations) say the same thing: a long tail can put a segment
    in the top third while its mean sits below the average, and a name must not say "high"
    for that.
    """
    agreeing = [
        c
        for c, lv in levels.items()
        if (lv == "high" and distinct[c] > 0) or (lv == "low" and distinct[c] < 0)
    ]
    agreeing.sort(key=lambda c: -abs(distinct[c]))
    chosen: list[str] = []
    for col in agreeing:
        if any(same_concept(col, other) for other in chosen):
            continue
        chosen.append(col)
        if len(chosen) == limit:
            break
    return chosen


def name_parts(
    levels: Sequence[Mapping[str, Level]],
    distinct: Sequence[Mapping[str, float]],
    noun: Callable[[str], str],
) -> list[list[str]]:
    """Name parts per segment (``"high wine spend"``), two columns each, a third where two
    segments would otherwise share a name. ``noun`` reads a header as a short noun."""
    parts = [
        [f"{lv[c]} {noun(c)}" for c in distinctive_columns(lv, d, NAME_PARTS)]
        for lv, d in zip(levels, distinct, strict=True)
    ]
    # "High frozen, high delicassen" and "High delicassen, high frozen" are one name.
    keys = [frozenset(p) for p in parts]
    for i, key in enumerate(keys):
        if keys.count(key) > 1:
            cols = distinctive_columns(levels[i], distinct[i], NAME_PARTS + 1)
            parts[i] = [f"{levels[i][c]} {noun(c)}" for c in cols]
    # Still the same words: the same order too, so the caller tells them apart.
    first: dict[frozenset[str], list[str]] = {}
    for i, p in enumerate(parts):
        parts[i] = first.setdefault(frozenset(p), p)
    return parts


def apart_phrase(
    levels: Mapping[str, Level],
    centroid: Mapping[str, float],
    distinct: Mapping[str, float],
    kinds: Mapping[str, str],
    currencies: Mapping[str, str],
    words: Callable[[str], str],
) -> str:
    """'far above average in wine spend (1,220) and meat spend (590); below average in web
    visits a month (2.8)': at most :data:`QUOTED_COLUMNS` columns, each with its number."""
    cols = distinctive_columns(levels, distinct, QUOTED_COLUMNS)
    if not cols:
        return "close to the average customer on every measure"
    groups: dict[str, list[str]] = {}
    for col in cols:
        z = distinct[col]
        where = ("far above" if z >= _FAR else "above") if z > 0 else "below"
        if z <= -_FAR:
            where = "far below"
        value = format_value(centroid[col], kinds.get(col, "number"), currencies.get(col))
        groups.setdefault(where, []).append(f"{words(col)} ({value})")
    return "; ".join(f"{where} average in {_and(items)}" for where, items in groups.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
