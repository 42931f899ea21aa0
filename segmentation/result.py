"""The frozen values that flow through the core: options in, a result out.

Front ends (the CLI, the Slack bot) only read these; they never compute statistics themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # only annotations use it, so reading options stays free of pandas
    import pandas as pd

__all__ = [
    "MAX_HORIZON_DAYS",
    "Limits",
    "Options",
    "KSelection",
    "Segment",
    "SegmentationResult",
]

Mode = Literal["auto", "customers", "rfm"]
# Purchase predictions reach at most ten years ahead: the models know nothing of longer.
MAX_HORIZON_DAYS = 3650
Level = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class Limits:
    """How much input we accept. Every limit is checked before any heavy work.

    ``max_columns`` is counted on the header (from the first lines, never the whole file).
    ``max_bytes`` and ``max_rows`` bound what is read whole into memory; ``max_source_bytes``
    and ``max_order_rows`` bound the order logs summarised where they lie (large files by
    DuckDB, tables by their database).
    """

    max_bytes: int = 200 * 1024 * 1024
    max_rows: int = 5_000_000
    max_columns: int = 1_000
    # Larger files (Parquet, big CSV) and database tables are summarised by DuckDB or the
    # database, not read whole: their own, larger limits.
    max_source_bytes: int = 2 * 1024 * 1024 * 1024
    max_order_rows: int = 100_000_000


@dataclass(frozen=True)
class Options:
    """What the user asked for.

    ``k`` None means "choose by itself"; ``columns`` None means "choose by itself" (exact
    headers, matched case-insensitively, otherwise); ``mode`` "auto" detects order logs.
    Order logs only: ``as_of`` (``"YYYY-MM-DD"``) uses the orders on or before that day, as if
    it were today; ``horizon_days`` is how far ahead purchases are predicted (0: no predictions).
    """

    k: int | None = None
    columns: tuple[str, ...] | None = None
    seed: int = 42
    mode: Mode = "auto"
    limits: Limits = field(default_factory=Limits)
    as_of: str | None = None
    horizon_days: float = 365.0


@dataclass(frozen=True)
class KSelection:
    """How the number of segments was chosen.

    ``method`` is ``"silhouette"`` (best silhouette over ``scores``) or ``"given"`` (the user
    set k). ``scores`` maps k to the silhouette on the selection sample; ``inertias`` maps k to
    the K-means inertia; ``elbow`` is the elbow of the inertia curve (None when there is no
    clear elbow). ``note`` is a plain sentence on how k was chosen, including any disagreement
    between silhouette and elbow. ``baseline_silhouette`` is the silhouette that the same k gets
    on structureless data with the same spread (a Gaussian with the sample's covariance): a
    result barely above it is a cut of a continuum, not natural groups.
    """

    method: Literal["silhouette", "given"]
    chosen: int
    scores: dict[int, float]
    inertias: dict[int, float]
    elbow: int | None
    sample_size: int
    note: str
    baseline_silhouette: float | None = None


@dataclass(frozen=True)
class Segment:
    """One segment, described for a person.

    ``centroid`` is in the original units of each clustered column; ``levels`` says low,
    medium or high for each clustered column relative to the customers it was segmented among
    (the whole base; in RFM with one-time buyers set apart, the repeat buyers);
    ``profile`` describes the columns not clustered on (demographics), JSON-safe;
    ``color`` is a hex colour, stable per ``id``, used by the plot; ``marker`` is the Slack
    emoji name (without colons) closest to that colour, so the bot's text matches the picture.
    ``stability`` (0 to 1) is how often bootstrap refits find the segment again (mean Jaccard,
    see :mod:`segmentation.model.stability`); None when it was not measured.
    Segments are numbered by size, largest first. Order logs with purchase predictions carry
    their customers' averages of ``p_active`` (chance of still buying), ``expected_orders`` and
    ``expected_spend`` over the horizon, and ``expected_spend_total`` (the segment's sum);
    None when not predicted (spend: no amounts, or mostly refunds).
    """

    id: int
    name: str
    size: int
    share: float
    levels: dict[str, Level]
    centroid: dict[str, float]
    profile: dict[str, Any]
    description: str
    color: str
    marker: str
    stability: float | None = None
    p_active: float | None = None
    expected_orders: float | None = None
    expected_spend: float | None = None
    expected_spend_total: float | None = None


@dataclass(frozen=True, eq=False)
class SegmentationResult:
    """Everything a front end needs to show one segmentation.

    ``rows`` is the number of input rows (customers, or orders in RFM mode), ``rows_used`` the
    number of rows that got a segment (customers in RFM mode). ``features`` are the clustered
    columns in the order used. ``headline`` is one plain sentence summarising the result.
    ``warnings`` are plain sentences (rows left out, weak structure, ...).

    ``table`` holds the rows to export: every input column, contact columns included (the
    labelled file goes back only where the data came from; no text shows them), plus
    ``segment`` and ``segment_name`` (in RFM mode one row per customer with recency,
    frequency, monetary, ...). ``points`` holds, for the rows used, the values that
    the scatter plot shows, with columns ``plot_axes`` and an integer ``segment`` column.
    ``plot_note`` says in words what the picture shows (which axes and why); ``plot_kind`` is
    ``"scatter"`` (customers on two columns) or ``"profile"`` (segments against the columns
    that set them apart, for segments built on more than two columns).
    ``details`` carries mode-specific JSON-safe facts (for RFM: orders, customers, date range).
    ``priority`` says which segment to act on first and why; ``confidence`` is the closing line
    on how sure the segments are, in plain words (both from :mod:`segmentation.explain.voice`).
    ``prediction`` describes the purchase model of an order log (model, as-of date, horizon,
    fitted parameters, minimums; JSON-safe), None when no prediction was made.
    """

    source_name: str
    mode: Literal["customers", "rfm"]
    rows: int
    rows_used: int
    rows_dropped: int
    features: tuple[str, ...]
    k: int
    k_selection: KSelection
    silhouette: float
    segments: tuple[Segment, ...]
    warnings: tuple[str, ...]
    headline: str
    table: pd.DataFrame
    points: pd.DataFrame
    plot_axes: tuple[str, str]
    plot_note: str
    plot_log_axes: tuple[bool, bool] = (False, False)
    plot_kind: Literal["scatter", "profile"] = "scatter"
    excluded_columns: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    priority: str = ""
    confidence: str = ""
    prediction: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``segment --json`` (no row data, no personal data)."""
        return {
            "source": self.source_name,
            "mode": self.mode,
            "rows": self.rows,
            "rows_used": self.rows_used,
            "rows_dropped": self.rows_dropped,
            "features": list(self.features),
            "k": self.k,
            "k_selection": {
                "method": self.k_selection.method,
                "chosen": self.k_selection.chosen,
                "scores": {str(k): round(v, 4) for k, v in self.k_selection.scores.items()},
                "inertias": {str(k): round(v, 4) for k, v in self.k_selection.inertias.items()},
                "elbow": self.k_selection.elbow,
                "sample_size": self.k_selection.sample_size,
                "note": self.k_selection.note,
                "baseline_silhouette": (
                    None
                    if self.k_selection.baseline_silhouette is None
                    else round(self.k_selection.baseline_silhouette, 4)
                ),
            },
            "silhouette": round(self.silhouette, 4),
            "headline": self.headline,
            "priority": self.priority,
            "confidence": self.confidence,
            "plot": {
                "kind": self.plot_kind,
                "axes": list(self.plot_axes),
                "note": self.plot_note,
            },
            "excluded_columns": dict(self.excluded_columns),
            "details": dict(self.details),
            "prediction": self.prediction,
            "segments": [
                {
                    "id": s.id,
                    "name": s.name,
                    "size": s.size,
                    "share": round(s.share, 4),
                    "levels": dict(s.levels),
                    "centroid": {c: round(v, 4) for c, v in s.centroid.items()},
                    "profile": s.profile,
                    "description": s.description,
                    "color": s.color,
                    "marker": s.marker,
                    "stability": None if s.stability is None else round(s.stability, 4),
                    "p_active": _rounded(s.p_active, 4),
                    "expected_orders": _rounded(s.expected_orders, 4),
                    "expected_spend": _rounded(s.expected_spend, 2),
                    "expected_spend_total": _rounded(s.expected_spend_total, 2),
                }
                for s in self.segments
            ],
            "warnings": list(self.warnings),
        }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
