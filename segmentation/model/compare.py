"""What changed between two runs: which segments continue, and how customers moved between them.

A run is reduced to a :class:`RunSnapshot` (JSON-safe: sizes, centres in one scale, and each
customer's segment under a key the caller chooses, e.g. an HMAC of the customer's ID), so a fresh
result can be compared with one stored months ago. Segments are matched on their centres, each in
standard deviations of its own run (:func:`scipy.optimize.linear_sum_assignment`), and a match is
confirmed by the customers both segments share when the files have a customer key.
Pure: no storage here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from segmentation.errors import InvalidOption

if TYPE_CHECKING:
    from segmentation.result import SegmentationResult

__all__ = [
    "RunSnapshot",
    "SegmentSnapshot",
    "Movement",
    "SegmentChange",
    "Flow",
    "snapshot",
    "compare",
    "comparable",
    "carry_colours",
    "key_text",
    "NEW",
    "GONE",
]

NEW = "new"
GONE = "gone"
# Centres further apart than this (root-mean-square, in standard deviations of each run)
# are different segments, however the assignment pairs them.
_MAX_DISTANCE = 1.0
# ... unless most of their shared customers are the same people: a segment whose customers
# stayed together is the same segment even when its centre drifted (recency grows every month).
_SAME_PEOPLE = 0.5
# With a customer key, a near centre still needs this share of the pair's customers in common.
_MIN_OVERLAP = 0.15
# A skewed measure (spend, orders) is compared on a log scale, as the clustering sees it.
_SKEWED = 1.0


@dataclass(frozen=True)
class SegmentSnapshot:
    """One segment of a run: ``centre`` per feature, in the run's comparison units."""

    id: int
    name: str
    size: int
    color: str
    marker: str
    centre: tuple[float, ...]


@dataclass(frozen=True)
class RunSnapshot:
    """What comparing needs of one run (JSON-safe through :meth:`to_dict`).

    ``logs`` says per feature whether it is compared as ``log1p`` (skewed measures);
    ``scale`` holds per feature the (mean, standard deviation) of the run's customers in those
    units. ``members`` maps each customer's key (as the caller chose to write it) to its segment
    id; None when the file has no customer key. ``when`` is an ISO date (or "").
    """

    source: str
    mode: str
    rows: int
    k: int
    features: tuple[str, ...]
    logs: tuple[bool, ...]
    scale: tuple[tuple[float, float], ...]
    segments: tuple[SegmentSnapshot, ...]
    members: dict[str, int] | None = None
    when: str = ""

    def to_dict(self, *, members: bool = False) -> dict[str, Any]:
        """JSON-safe form; ``members`` only when asked (they can be many)."""
        out: dict[str, Any] = {
            "source": self.source,
            "mode": self.mode,
            "rows": self.rows,
            "k": self.k,
            "features": list(self.features),
            "logs": list(self.logs),
            "scale": [list(s) for s in self.scale],
            "segments": [
                {
                    "id": s.id,
                    "name": s.name,
                    "size": s.size,
                    "color": s.color,
                    "marker": s.marker,
                    "centre": list(s.centre),
                }
                for s in self.segments
            ],
            "when": self.when,
        }
        if members and self.members is not None:
            out["members"] = dict(self.members)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], members: dict[str, int] | None = None) -> RunSnapshot:
        """Inverse of :meth:`to_dict`; ``members`` given separately when kept elsewhere."""
        return cls(
            source=str(data["source"]),
            mode=str(data["mode"]),
            rows=int(data["rows"]),
            k=int(data["k"]),
            features=tuple(data["features"]),
            logs=tuple(bool(v) for v in data["logs"]),
            scale=tuple((float(a), float(b)) for a, b in data["scale"]),
            segments=tuple(
                SegmentSnapshot(
                    id=int(s["id"]),
                    name=str(s["name"]),
                    size=int(s["size"]),
                    color=str(s["color"]),
                    marker=str(s["marker"]),
                    centre=tuple(float(v) for v in s["centre"]),
                )
                for s in data["segments"]
            ),
            members=members if members is not None else data.get("members"),
            when=str(data.get("when", "")),
        )


@dataclass(frozen=True)
class SegmentChange:
    """A segment then and now: ``previous`` None is a new segment, ``current`` None a gone one."""

    current: str | None
    previous: str | None
    size_before: int
    size_after: int
    color: str


@dataclass(frozen=True)
class Flow:
    """``customers`` went from segment ``source`` to ``target`` (names, or "new"/"gone")."""

    source: str
    target: str
    customers: int


@dataclass(frozen=True)
class Movement:
    """How the current run differs from the previous one.

    ``segments`` pairs each current segment with the previous one it continues (or none),
    then lists the gone ones. ``flows`` counts customers per (previous -> current) segment,
    with "new" and "gone" for customers only in one run; empty when the files have no customer
    key (``keyed`` False). ``matched_customers`` is the number in both runs.
    """

    previous_source: str
    previous_rows: int
    previous_k: int
    previous_when: str
    segments: tuple[SegmentChange, ...]
    flows: tuple[Flow, ...]
    keyed: bool
    matched_customers: int | None
    new_customers: int | None = None
    gone_customers: int | None = None
    current_names: tuple[str, ...] = field(default_factory=tuple)
    previous_names: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The ``movement`` object of ``segment --json``."""
        return {
            "previous": {
                "source": self.previous_source,
                "rows": self.previous_rows,
                "k": self.previous_k,
            },
            "segments": [
                {
                    "current": s.current,
                    "previous": s.previous,
                    "size_before": s.size_before,
                    "size_after": s.size_after,
                }
                for s in self.segments
            ],
            "flows": [
                {"from": f.source, "to": f.target, "customers": f.customers} for f in self.flows
            ],
            "matched_customers": self.matched_customers,
        }

    def lines(self, *, limit: int = 3) -> list[str]:
        """Plain sentences, most telling first: sizes, the biggest moves, new and gone."""
        when = f" ({_short_date(self.previous_when)})" if self.previous_when else ""
        sizes: list[str] = []
        for s in self.segments:
            if s.current is not None and s.previous is not None:
                label = s.current if s.current == s.previous else f"{s.current} (was {s.previous})"
                sizes.append(
                    f"{label} {s.size_before:,} -> {s.size_after:,} "
                    f"({_percent(s.size_before, s.size_after)})"
                )
            elif s.current is not None:
                sizes.append(f"{s.current} is a new segment ({s.size_after:,})")
            else:
                sizes.append(f"{s.previous} is gone (was {s.size_before:,})")
        out = [f"Since {self.previous_source}{when}: " + "; ".join(sizes) + "."]
        if not self.keyed:
            out.append(
                "These files have no customer ID or e-mail column, so I can compare segment "
                "sizes only, not who moved."
            )
            return out
        moves = sorted(
            (f for f in self.flows if f.source not in (NEW,) and f.target not in (GONE,)),
            key=lambda f: -f.customers,
        )
        moved = [f for f in moves if not self._same(f.source, f.target)][:limit]
        for f in moved:
            out.append(f"{f.customers:,} of last time's {f.source} are now {f.target}.")
        out.append(
            f"{self.matched_customers or 0:,} customers are in both files; "
            f"{self.new_customers or 0:,} are new and {self.gone_customers or 0:,} are gone."
        )
        return out

    def _same(self, previous: str, current: str) -> bool:
        return any(s.previous == previous and s.current == current for s in self.segments)


def comparable(previous: RunSnapshot, current: RunSnapshot) -> bool:
    """True when both runs segmented the same kind of data on the same measures."""
    return previous.mode == current.mode and set(previous.features) == set(current.features)


def snapshot(
    result: SegmentationResult,
    *,
    key: Callable[[str], str] | None = None,
    when: str = "",
) -> RunSnapshot:
    """Reduce ``result`` to what a later comparison needs.

    Parameters
    ----------
    result : SegmentationResult
    key : callable, optional
        Turns a customer's key (its ID or e-mail, normalised to text) into what is kept, e.g.
        an HMAC; the raw text when not given (fine in memory, never for storage).
    when : str
        ISO date of the run, shown in "Since ... (3 Jun)".

    Examples
    --------
    >>> from segmentation.demo import demo_csv
    >>> from segmentation.pipeline import run
    >>> snap = snapshot(run(demo_csv(), filename="mall.csv"))
    >>> snap.k, len(snap.members)
    (5, 200)
    """
    from segmentation.output.export import customer_key_column

    table = result.table
    labels = table["segment"]
    used = labels.notna().to_numpy()
    seg = labels[used].to_numpy(dtype=np.int64)
    # Derived measures (a total, a share of spend) are not in the exported table: the
    # snapshot compares runs on the file's own columns.
    features = tuple(c for c in result.features if c in table.columns)
    logs: list[bool] = []
    columns: list[np.ndarray] = []
    for col in features:
        values = _numbers(table[col][used])
        skewed = bool(np.nanmin(values) >= 0 and _skew(values) > _SKEWED) if len(values) else False
        logs.append(skewed)
        columns.append(np.log1p(values) if skewed else values)
    X = np.column_stack(columns) if columns else np.empty((len(seg), 0))
    scale = tuple(
        (float(np.nanmean(X[:, j])), float(np.nanstd(X[:, j]) or 1.0)) for j in range(X.shape[1])
    )
    segments = []
    for s in result.segments:
        rows = X[seg == s.id]
        centre = tuple(float(v) for v in np.nanmean(rows, axis=0)) if len(rows) else ()
        segments.append(SegmentSnapshot(s.id, s.name, s.size, s.color, s.marker, centre))
    members: dict[str, int] | None = None
    key_col = customer_key_column(result)
    if key_col is not None:
        raw = table[key_col][used]
        texts = [key_text(v) for v in raw.tolist()]
        keep = key or (lambda text: text)
        members = {keep(t): int(s) for t, s in zip(texts, seg.tolist(), strict=True) if t}
    return RunSnapshot(
        source=result.source_name,
        mode=result.mode,
        rows=int(result.rows_used),
        k=int(result.k),
        features=features,
        logs=tuple(logs),
        scale=scale,
        segments=tuple(segments),
        members=members,
        when=when,
    )


def compare(previous: RunSnapshot, current: RunSnapshot) -> Movement:
    """Match ``current``'s segments to ``previous``'s and count the customers that moved.

    Raises
    ------
    InvalidOption
        The runs are not comparable (different kind of data or different measures).

    Examples
    --------
    >>> from segmentation.demo import demo_csv
    >>> from segmentation.pipeline import run
    >>> snap = snapshot(run(demo_csv(), filename="mall.csv"))
    >>> m = compare(snap, snap)
    >>> m.matched_customers, all(s.current == s.previous for s in m.segments)
    (200, True)
    """
    if not comparable(previous, current):
        raise InvalidOption(
            f"{previous.source} was segmented on {_listing(previous)} and {current.source} on "
            f"{_listing(current)}, so their segments can't be compared. Use the same kind of "
            "file and the same columns."
        )
    distance = _centre_distances(previous, current)
    keyed = previous.members is not None and current.members is not None
    counts, new_counts, gone_counts = _member_counts(previous, current)
    pairs = _match(previous, current, distance, counts if keyed else None)
    return Movement(
        previous_source=previous.source,
        previous_rows=previous.rows,
        previous_k=previous.k,
        previous_when=previous.when,
        segments=_changes(previous, current, pairs),
        flows=_flows(previous, current, counts, new_counts, gone_counts) if keyed else (),
        keyed=keyed,
        matched_customers=int(counts.sum()) if keyed else None,
        new_customers=int(new_counts.sum()) if keyed else None,
        gone_customers=int(gone_counts.sum()) if keyed else None,
        current_names=tuple(s.name for s in current.segments),
        previous_names=tuple(s.name for s in previous.segments),
    )


def _centre_distances(previous: RunSnapshot, current: RunSnapshot) -> np.ndarray:
    """RMS distance between every previous and current centre, measures standardised;
    shape ``(previous segments, current segments)``."""
    order = [current.features.index(f) for f in previous.features]
    prev_c = _standardise(previous, list(range(len(previous.features))))
    curr_c = _standardise(current, order)
    return np.sqrt(((prev_c[:, None, :] - curr_c[None, :, :]) ** 2).mean(axis=2))


def _member_counts(
    previous: RunSnapshot, current: RunSnapshot
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers in both runs per (previous, current) segment pair, customers new in each
    current segment, customers gone from each previous one; zeros when a run has no keys."""
    p_index = {s.id: i for i, s in enumerate(previous.segments)}
    c_index = {s.id: j for j, s in enumerate(current.segments)}
    counts = np.zeros((len(previous.segments), len(current.segments)), dtype=np.int64)
    new_counts = np.zeros(len(current.segments), dtype=np.int64)
    gone_counts = np.zeros(len(previous.segments), dtype=np.int64)
    if previous.members is None or current.members is None:
        return counts, new_counts, gone_counts
    for k, j_id in current.members.items():
        i_id = previous.members.get(k)
        if i_id is None:
            new_counts[c_index[j_id]] += 1
        else:
            counts[p_index[i_id], c_index[j_id]] += 1
    for k, i_id in previous.members.items():
        if k not in current.members:
            gone_counts[p_index[i_id]] += 1
    return counts, new_counts, gone_counts


def _match(
    previous: RunSnapshot,
    current: RunSnapshot,
    distance: np.ndarray,
    counts: np.ndarray | None,
) -> dict[int, int]:
    """Current segment position -> previous segment position, for the segments that are the
    same kind of customer: near in the measures and, with keys, sharing their customers."""
    from scipy.optimize import linear_sum_assignment

    shared = counts is not None and bool(counts.sum())
    overlap = np.zeros(distance.shape)
    if counts is not None:
        # Share of the pair's customers that are in both (Jaccard over the customers in both).
        rows_in = counts.sum(axis=1, keepdims=True)
        cols_in = counts.sum(axis=0, keepdims=True)
        union = rows_in + cols_in - counts
        overlap = np.divide(counts, union, out=np.zeros(counts.shape), where=union > 0)
    cost = distance + (1.0 - overlap if shared else 0.0)
    rows, cols = linear_sum_assignment(cost)
    pairs: dict[int, int] = {}
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        near = distance[i, j] <= _MAX_DISTANCE
        if shared:
            together = overlap[i, j] >= _SAME_PEOPLE
            ok = together or (near and overlap[i, j] >= _MIN_OVERLAP)
        else:
            ok = near
        if ok:
            pairs[j] = i
    # A segment left unmatched on both sides under the same name is the same kind of customer
    # (names follow rules on behaviour); calling it both gone and new would only confuse.
    matched_before = set(pairs.values())
    for j, c in enumerate(current.segments):
        if j in pairs:
            continue
        for i, p in enumerate(previous.segments):
            if i not in matched_before and p.name == c.name:
                pairs[j] = i
                matched_before.add(i)
                break
    return pairs


def _changes(
    previous: RunSnapshot, current: RunSnapshot, pairs: dict[int, int]
) -> tuple[SegmentChange, ...]:
    """Every current segment with what it was before, then the previous segments gone."""
    changes: list[SegmentChange] = []
    for j, s in enumerate(current.segments):
        i = pairs.get(j)
        before = previous.segments[i] if i is not None else None
        changes.append(
            SegmentChange(
                current=s.name,
                previous=before.name if before else None,
                size_before=before.size if before else 0,
                size_after=s.size,
                color=before.color if before else s.color,
            )
        )
    matched = set(pairs.values())
    for i, s in enumerate(previous.segments):
        if i not in matched:
            changes.append(SegmentChange(None, s.name, s.size, 0, s.color))
    return tuple(changes)


def _flows(
    previous: RunSnapshot,
    current: RunSnapshot,
    counts: np.ndarray,
    new_counts: np.ndarray,
    gone_counts: np.ndarray,
) -> tuple[Flow, ...]:
    """Customers moving between segments, leaving, and arriving, in the runs' segment order."""
    flows: list[Flow] = []
    for i, p in enumerate(previous.segments):
        for j, c in enumerate(current.segments):
            if counts[i, j]:
                flows.append(Flow(p.name, c.name, int(counts[i, j])))
        if gone_counts[i]:
            flows.append(Flow(p.name, GONE, int(gone_counts[i])))
    for j, c in enumerate(current.segments):
        if new_counts[j]:
            flows.append(Flow(NEW, c.name, int(new_counts[j])))
    return tuple(flows)


def carry_colours(result: SegmentationResult, movement: Movement) -> SegmentationResult:
    """``result`` with each continuing segment in its previous colour (others in free ones).

    The scatter, the movement picture and the bot's markers then agree with last time's.
    """
    from segmentation.explain.describe import PALETTE

    by_name = {c.current: c for c in movement.segments if c.current is not None}
    taken = {by_name[s.name].color for s in result.segments if by_name[s.name].previous is not None}
    markers = dict(PALETTE)
    free = [pair for pair in PALETTE if pair[0] not in taken]
    segments = []
    for s in result.segments:
        change = by_name[s.name]
        if change.previous is not None:
            colour = change.color
            segments.append(replace(s, color=colour, marker=markers.get(colour, s.marker)))
        else:
            colour, marker = free.pop(0) if free else (s.color, s.marker)
            segments.append(replace(s, color=colour, marker=marker))
    return replace(result, segments=tuple(segments))


def _standardise(run: RunSnapshot, order: list[int]) -> np.ndarray:
    """Centres in standard deviations of the run's own customers, features in ``order``.

    Each run in its own scale, because what a segment is is relative: a month later every
    customer's recency has grown, and in absolute days every segment would look new.
    """
    centres = np.array([[s.centre[o] for o in order] for s in run.segments], dtype=np.float64)
    centres = centres.reshape(len(run.segments), len(order))
    mean = np.array([run.scale[o][0] for o in order])
    std = np.array([run.scale[o][1] for o in order])
    return (centres - mean) / np.where(std > 0, std, 1.0)


def _numbers(series: Any) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)


def _skew(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    if len(v) < 3 or float(v.std()) == 0.0:
        return 0.0
    return float((((v - v.mean()) / v.std()) ** 3).mean())


def key_text(value: Any) -> str:
    """A customer key as comparable text: 17 and 17.0 are the same customer, e-mails any case."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text.lower() if "@" in text else text


def _listing(run: RunSnapshot) -> str:
    what = "an order log (" if run.mode == "rfm" else ""
    return what + ", ".join(run.features) + (")" if what else "")


def _percent(before: int, after: int) -> str:
    if before == 0:
        return "new"
    change = (after - before) / before * 100
    return f"{change:+.0f}%" if round(change) else "same"


def _short_date(iso: str) -> str:
    from datetime import date

    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day} {day.strftime('%b')}"
