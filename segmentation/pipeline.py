"""One straight path: load -> choose columns -> fit -> describe -> SegmentationResult."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from segmentation.errors import InvalidOption, NoUsableColumns, TooManyColumns, TooManyRows
from segmentation.explain.describe import (
    describe_segment,
    describe_wide_segment,
    level_of,
    name_segments,
    profile_segment,
    profile_sentence,
    segment_action,
    segment_color,
    spend_column,
)
from segmentation.explain.naming import MAX_PROFILE_COLUMNS
from segmentation.explain.voice import column_words, confidence_line, customers_priority
from segmentation.explain.wording import header_words, number_kind
from segmentation.model.clustering import (
    CLEAR_SILHOUETTE,
    WEAK_SILHOUETTE,
    Fit,
    is_weak,
    refit_labels,
)
from segmentation.model.design import add_derived
from segmentation.model.features import ColumnPlan, plan_columns
from segmentation.model.rfm.segments import segment_orders
from segmentation.model.roles import with_category_labels
from segmentation.model.sizes import SizedFit, fit_sized
from segmentation.model.stability import segment_stability, stability_warning
from segmentation.read.numbers import MAX_MAGNITUDE
from segmentation.read.orders import OrderColumns, find_order_columns
from segmentation.read.reading import (
    FALLBACK_ERRORS,
    neither_reading,
    order_log_columns,
    read_as_customers_note,
)
from segmentation.read.table import load_table
from segmentation.result import MAX_HORIZON_DAYS, Options, Segment, SegmentationResult

__all__ = ["run", "segment_customers", "segment_location"]
_MODES = ("auto", "customers", "rfm")


def run(
    source: bytes | str | os.PathLike[str] | pd.DataFrame,
    options: Options | None = None,
    *,
    filename: str | None = None,
) -> SegmentationResult:
    """Segment a customer file (or an order log) and describe the segments.

    Parameters
    ----------
    source : bytes, path or DataFrame
        The file's bytes, its path, or an already loaded table.
    options : Options, optional
        k, columns, seed, mode and limits; defaults choose everything.
    filename : str, optional
        The file's name as the user knows it (used for the format and in texts).

    Raises
    ------
    SegmentationError
        Any problem with the input or the options, with a sentence for a person.

    Examples
    --------
    >>> from segmentation.demo import demo_csv
    >>> run(demo_csv()).k
    5
    """
    options = options or Options()
    _validate(options)
    if isinstance(source, pd.DataFrame):
        if source.shape[1] > options.limits.max_columns:
            raise TooManyColumns(
                f"The table has {source.shape[1]:,} columns, more than the limit of "
                f"{options.limits.max_columns:,}. Keep only the columns you need, then try again."
            )
        table = source
        name = filename or "table"
    else:
        if filename is None and not isinstance(source, bytes):
            filename = Path(source).name
        table = load_table(source, filename=filename, limits=options.limits)
        name = filename or "upload"
    if options.mode != "customers":
        if options.mode == "rfm":
            return segment_orders(table, find_order_columns(table), options, name)
        detected = order_log_columns(table)
        if detected is not None:
            return _orders_or_customers(table, detected, options, name)
    return segment_customers(table, options, name)


def segment_location(
    location: str,
    options: Options | None = None,
    *,
    table: str | None = None,
    query: str | None = None,
    name: str | None = None,
    timeout_s: float = 60.0,
) -> SegmentationResult:
    """Segment a file or a database table named by ``location``.

    Parameters
    ----------
    location : str
        A file path, a ``file://`` URL, or a database URL (``postgresql://user@host/db``).
    options : Options, optional
        As for :func:`run`; ``limits.max_source_bytes`` and ``limits.max_order_rows`` bound
        what is summarised where it lies.
    table, query : str, optional
        For a database: the table, or one SELECT, to read (exactly one of them).
    name : str, optional
        The source's name in texts (default: the file's name, or the URL without password).
    timeout_s : float
        The database's statement timeout, in seconds.

    Returns
    -------
    SegmentationResult
        As :func:`run` gives. A file today's reader takes whole is read by it (contacts come
        back in the labelled table); a larger file is summarised by DuckDB and a table by its
        database (one row per customer comes back, without contact columns).
    """
    from segmentation.read.route import file_path, is_database_url, reads_whole

    options = options or Options()
    _validate(options)
    if is_database_url(location):
        from segmentation.read.database import open_database

        with open_database(location, table=table, query=query, timeout_s=timeout_s) as source:
            rows = source.count()
            shown = name or source.shown_url
            return _segment_source(source, options, shown, rows, about=False, size=None)
    if table is not None or query is not None:
        raise InvalidOption("--table and --query are for database URLs, not for files.")
    path = file_path(location)
    shown = name or Path(path).name
    if reads_whole(path, options.limits):
        return run(path, options, filename=shown)
    from segmentation.read.engine import duckdb_session
    from segmentation.read.files import open_file
    from segmentation.read.route import estimate_rows

    with duckdb_session() as con:
        source = open_file(con, path, shown)
        rows = source.rows
        if rows is None:
            rows = estimate_rows(path, os.stat(path).st_size)
        size = os.stat(path).st_size
        return _segment_source(source, options, shown, rows, about=source.rows is None, size=size)


def _segment_source(
    source: Any, options: Options, name: str, rows: int, *, about: bool, size: int | None
) -> SegmentationResult:
    """Segment a large file or a table: its customers summarised where it lies."""
    from segmentation.model.rfm.segments import segment_customer_table
    from segmentation.read.limits import too_large, too_many_columns
    from segmentation.read.route import check_order_rows
    from segmentation.read.summary import source_order_columns, summarise_orders
    from segmentation.read.table import tidy_table

    if len(source.kinds) > options.limits.max_columns:
        raise too_many_columns(len(source.kinds), options.limits, about=False)
    found = None if options.mode == "customers" else source_order_columns(source, options.mode)
    if found is None:
        # One row per customer is read whole: today's limits hold.
        if size is not None and size > options.limits.max_bytes:
            raise too_large(size, options.limits)
        if rows > options.limits.max_rows:
            raise TooManyRows(
                f"The table has {'about ' if about else ''}{rows:,} rows and is not an order log "
                f"I can summarise where it lies; one row per customer is limited to "
                f"{options.limits.max_rows:,} rows. Keep the rows you need, then try again."
            )
        whole = tidy_table(
            source.whole(options.limits.max_rows), decimal_comma=source.decimal_comma
        )
        return segment_customers(whole, options, name)
    check_order_rows(rows, options.limits, about=about)
    roles = [
        c
        for c in (
            found.customer,
            found.date,
            found.amount,
            found.quantity,
            found.order_id,
            found.status,
            found.cancelled_at,
            found.refunded,
        )
        if c is not None
    ]
    if hasattr(source, "keep_columns"):
        source.keep_columns(roles)
    as_of = pd.Timestamp(options.as_of) if options.as_of else None
    summary = summarise_orders(source, found, as_of)
    return segment_customer_table(summary, found, options, name)


def _orders_or_customers(
    table: pd.DataFrame, found: OrderColumns, options: Options, name: str
) -> SegmentationResult:
    """The order-log reading; when it fails and one row per customer works, that one."""
    try:
        return segment_orders(table, found, options, name)
    except FALLBACK_ERRORS as as_orders:
        if options.as_of is not None:
            raise  # an as-of day is about orders: reading the log as customers would ignore it
        try:
            result = segment_customers(table, options, name)
        except FALLBACK_ERRORS as as_customers:
            raise neither_reading(table, found, as_orders, as_customers) from as_customers
        note = read_as_customers_note(found, as_orders)
        return replace(result, warnings=(note, *result.warnings))


def segment_customers(
    table: pd.DataFrame, options: Options, source_name: str
) -> SegmentationResult:
    """Segment a table with one row per customer."""
    plan = plan_columns(table, options.columns)
    frame = add_derived(table, plan.derived)
    plan = _drop_unusable(frame, plan, options)
    features = list(plan.features)
    # plan_columns only clusters numeric columns, so a cast is enough (no per-column parsing).
    values = frame[features].astype(float)
    usable = _usable_rows(values.to_numpy())
    rows, rows_used = len(table), int(usable.sum())
    X = _cluster_space(values.to_numpy()[usable], features, plan)
    shares = {d.name for d in plan.derived if d.how == "share"}
    sized = fit_sized(
        X,
        k=options.k,
        seed=options.seed,
        words=[header_words(c) for c in features],
        bounded=[c in shares for c in features],
    )
    fit = sized.fit

    used = with_category_labels(frame.loc[usable], plan.categories)
    # The loader remembers the currency each money column was written in ("$1,204").
    currencies = {c: v for c, v in table.attrs.get("currency", {}).items() if c in features}
    segments = _describe(fit, values.loc[usable], used, plan, currencies)
    segments = _with_stability(segments, X, sized, options.seed)
    labels = pd.Series(pd.NA, index=table.index, dtype="Int64")
    labels[usable] = fit.labels
    names = np.array([s.name for s in segments], dtype=object)

    # Every column of the user's file comes back, contacts included: the labelled file goes
    # only where the data came from. Texts, JSON and pictures never show personal data.
    export = _add_segment_columns(table, labels, names)
    plot_axes, plot_note, points = _plot_data(values.loc[usable], fit, features)
    warnings = _warnings(rows, rows_used, fit, plan, features)
    if sized.line:
        warnings.append(sized.line)
    untrusted = stability_warning([(s.name, s.stability) for s in segments])
    if untrusted:
        warnings.append(untrusted)
    priority, confidence = _priority_and_confidence(fit, segments, features, currencies)
    return SegmentationResult(
        source_name=source_name,
        mode="customers",
        rows=rows,
        rows_used=rows_used,
        rows_dropped=rows - rows_used,
        features=tuple(features),
        k=fit.k,
        k_selection=fit.k_selection,
        silhouette=fit.silhouette,
        segments=tuple(segments),
        warnings=tuple(warnings),
        headline=_headline(rows_used, fit, features),
        table=export,
        points=points,
        plot_axes=plot_axes,
        plot_note=plot_note,
        plot_log_axes=(plot_axes[0] in plan.log_scale, plot_axes[1] in plan.log_scale),
        plot_kind="profile" if len(features) > 2 else "scatter",
        excluded_columns=dict(plan.excluded),
        details=_details(plan, sized),
        priority=priority,
        confidence=confidence,
    )


def _priority_and_confidence(
    fit: Fit, segments: list[Segment], features: list[str], currencies: dict[str, str]
) -> tuple[str, str]:
    """Which segment to act on first, and the closing "How sure" line."""
    spend = spend_column(features)
    priority = customers_priority(
        segments,
        spend,
        [
            segment_action(s.levels, dict(zip(features, fit.centers[s.id].tolist(), strict=True)))
            for s in segments
        ],
        currencies.get(spend) if spend else None,
    )
    how = (
        f"{fit.k} segments because you asked for {fit.k}"
        if fit.k_selection.method == "given"
        else f"{fit.k} was the number that separated them best"
    )
    confidence = confidence_line(
        weak=is_weak(fit),
        clear=fit.silhouette >= CLEAR_SILHOUETTE,
        k=fit.k,
        how=how,
        stabilities=[s.stability for s in segments],
    )
    return priority, confidence


def _details(plan: ColumnPlan, sized: SizedFit) -> dict[str, object]:
    """Which columns shaped the segments and why; the exceptional customers set aside."""
    details: dict[str, object] = {"features_reason": plan.reason}
    if plan.log_scale:
        details["log_scale"] = list(plan.log_scale)
    if plan.derived:
        details["derived_columns"] = {
            d.name: {"how": d.how, "from": list(d.sources)} for d in plan.derived
        }
    if sized.line:
        details["exceptional_customers"] = int(sized.exceptional.sum())
        details["exceptional_line"] = sized.line
    return details


def _with_stability(
    segments: list[Segment], X: np.ndarray, sized: SizedFit, seed: int
) -> list[Segment]:
    """How often bootstrap refits (same procedure, same k) find each segment again, on the
    customers the segments were found among."""
    fit, core = sized.fit, ~sized.exceptional
    refit = partial(refit_labels, k=fit.k, seed=seed)
    stability = segment_stability(X[core], fit.labels[core], refit, seed=seed)
    return [replace(s, stability=v) for s, v in zip(segments, stability, strict=True)]


def _cluster_space(X: np.ndarray, features: list[str], plan: ColumnPlan) -> np.ndarray:
    """Long-tailed amounts on a log scale, so a few big spenders do not stretch the space."""
    logged = [c in plan.log_scale for c in features]
    if not any(logged):
        return X
    X = X.copy()
    X[:, logged] = np.log1p(np.clip(X[:, logged], 0, None))
    return X


def _usable_rows(values: np.ndarray) -> np.ndarray:
    """Rows whose values are all present and small enough to compute with (NaN, inf and
    1e308 alike are left out: their squares overflow when standardising)."""
    with np.errstate(invalid="ignore"):
        return (np.abs(values) <= MAX_MAGNITUDE).all(axis=1)


def _drop_unusable(frame: pd.DataFrame, plan: ColumnPlan, options: Options) -> ColumnPlan:
    """Refuse (asked for) or set aside (chosen by itself) columns that are mostly unusable:
    blank, not numbers, infinite or too large to compute with."""
    rows = len(frame)
    keep: list[str] = []
    excluded = dict(plan.excluded)
    with np.errstate(invalid="ignore"):
        values = frame[list(plan.features)].astype(float).to_numpy()
        usable_per_column = (np.abs(values) <= MAX_MAGNITUDE).sum(axis=0)
    for col, good in zip(plan.features, usable_per_column.tolist(), strict=True):
        if 2 * good >= rows:
            keep.append(col)
            continue
        if options.columns is not None:
            raise NoUsableColumns(
                f"'{col}' has a usable number in only {good:,} of {rows:,} rows (the others are "
                "blank, not numbers, or too large to compute with). Fix those values or choose "
                "another column."
            )
        excluded[col] = "mostly blank, invalid or too large to compute with"
    if not keep:
        return plan  # nothing better to offer: the rows with values are segmented
    dropped = [c for c in plan.features if c not in keep]
    if not dropped:
        return plan
    profile = tuple(c for c in frame.columns if c in set(plan.profile) | set(dropped))
    return replace(plan, features=tuple(keep), profile=profile, excluded=excluded)


def _validate(options: Options) -> None:
    if options.mode not in _MODES:
        raise InvalidOption(
            f"mode={options.mode} is not a mode I know: use mode=customers (one row per "
            "customer) or mode=rfm (an order log)."
        )
    if options.k is not None and (isinstance(options.k, bool) or not isinstance(options.k, int)):
        raise InvalidOption(f"k={options.k} is not a whole number: use for example k=4.")
    if options.columns is not None and not [c for c in options.columns if c.strip()]:
        raise InvalidOption("The column list is empty: name at least one column, or leave it out.")
    if options.as_of is not None:
        try:
            date.fromisoformat(str(options.as_of))
        except ValueError:
            raise InvalidOption(
                f"as-of={options.as_of} is not a date I can read: write it as YYYY-MM-DD, "
                "for example as-of=2024-09-30."
            ) from None
    horizon = options.horizon_days
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, int | float)
        or not 0 <= horizon <= MAX_HORIZON_DAYS
    ):
        raise InvalidOption(
            f"horizon={horizon} is not a number of days I can predict: use 1 to "
            f"{MAX_HORIZON_DAYS:,} (365 is a year), or 0 for no predictions."
        )


def _describe(
    fit: Fit,
    values: pd.DataFrame,
    used: pd.DataFrame,
    plan: ColumnPlan,
    currencies: dict[str, str],
) -> list[Segment]:
    features = list(values.columns)
    n = len(values)
    # Plain arrays, not .at per cell: a survey with a thousand columns would otherwise spend
    # seconds in pandas indexing for k x columns look-ups.
    centres = values.groupby(fit.labels).mean().reindex(range(fit.k)).to_numpy(dtype=float)
    ranked = np.sort(values.to_numpy(dtype=float), axis=0)
    levels = [
        {c: level_of(float(centres[i, j]), ranked[:, j]) for j, c in enumerate(features)}
        for i in range(fit.k)
    ]
    distinct = [{c: float(fit.centers[i, j]) for j, c in enumerate(features)} for i in range(fit.k)]
    names = name_segments(levels, distinct)
    kinds = _number_kinds(features, ranked, currencies)
    segments: list[Segment] = []
    sizes = np.bincount(fit.labels, minlength=fit.k)
    for i in range(fit.k):
        members = used.loc[fit.labels == i]
        profile = profile_segment(members, plan.profile)
        for col in plan.categories:
            if col in profile:
                flag = set(profile[col].get("top", {})) <= {"yes", "no"}
                profile[col]["kind"] = "flag" if flag else "code"
        centroid = {c: float(centres[i, j]) for j, c in enumerate(features)}
        color, marker = segment_color(i)
        segments.append(
            Segment(
                id=i,
                name=names[i],
                size=int(sizes[i]),
                share=float(sizes[i] / n),
                levels=levels[i],
                centroid=centroid,
                profile=profile,
                description=(
                    describe_wide_segment(levels[i], centroid, distinct[i], kinds, currencies)
                    if len(features) > 2
                    else describe_segment(
                        levels[i], centroid, profile_sentence(profile), currencies
                    )
                ),
                color=color,
                marker=marker,
            )
        )
    return segments


def _number_kinds(
    features: list[str], ranked: np.ndarray, currencies: dict[str, str]
) -> dict[str, str]:
    """How each column's numbers read: money, a year, a share (0 to 1, or a 0/1 flag) or a
    plain number. ``ranked`` holds each column's values sorted (NaN last)."""
    return {
        col: number_kind(col, ranked[:, j], currencies.get(col)) for j, col in enumerate(features)
    }


def _add_segment_columns(frame: pd.DataFrame, labels: pd.Series, names: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    for col in ("segment", "segment_name"):
        if col in out.columns:
            out = out.rename(columns={col: f"{col} (original)"})
    out["segment"] = labels
    name_values = np.full(len(out), "", dtype=object)
    present = labels.notna().to_numpy()
    name_values[present] = names[labels[present].to_numpy(dtype=np.int64)]
    out["segment_name"] = name_values
    return out


def _plot_data(
    values: pd.DataFrame, fit: Fit, features: list[str]
) -> tuple[tuple[str, str], str, pd.DataFrame]:
    if len(features) == 1:
        col = features[0]
        jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(values))
        points = pd.DataFrame({col: values[col].to_numpy(), "Segment": fit.labels + jitter})
        points["segment"] = fit.labels
        return (col, "Segment"), f"Customers by {col}, one row of dots per segment.", points
    if len(features) == 2:
        axes = (features[0], features[1])
        note = f"{axes[0]} against {axes[1]}, the two columns the segments were built on."
    else:
        # Between-segment spread of the centres (in standard deviations), weighted by size: the
        # columns along which the segments differ most make the most telling picture.
        sizes = np.bincount(fit.labels, minlength=fit.k)
        spread = (sizes[:, None] * fit.centers**2).sum(axis=0) / sizes.sum()
        best = sorted(np.argsort(-spread)[:2])
        axes = (features[best[0]], features[best[1]])
        shown = min(len(features), MAX_PROFILE_COLUMNS)
        note = (
            f"The segments use {len(features)} columns; the picture shows each segment's "
            f"average on the {shown} that set them apart most, against the average customer."
        )
    points = values[list(axes)].reset_index(drop=True)
    points["segment"] = fit.labels
    return axes, note, points


def _warnings(
    rows: int, rows_used: int, fit: Fit, plan: ColumnPlan, features: list[str]
) -> list[str]:
    out: list[str] = []
    dropped = rows - rows_used
    if dropped:
        where = (
            ", ".join(features)
            if len(features) <= 3
            else f"one of the {len(features)} columns the segments use"
        )
        out.append(
            f"{dropped:,} of {rows:,} rows were left out because they had a missing or invalid "
            f"value in {where}."
        )
    if is_weak(fit):
        baseline = fit.k_selection.baseline_silhouette
        compare = (
            " (customers spread at random would split about as cleanly)"
            if baseline is not None and fit.silhouette >= WEAK_SILHOUETTE
            else ""
        )
        # The numbers are in --json and report.md; the message says what they mean.
        out.append(
            f"These customers do not fall into clear groups{compare}: the segments are cuts of "
            "a continuum, useful for targeting but not natural types."
        )
    if plan.personal:
        out.append(
            "Personal data (" + ", ".join(plan.personal) + ") was never used for segments "
            "and is never shown here; only the labelled files carry it."
        )
    return out


def _headline(rows_used: int, fit: Fit, features: list[str]) -> str:
    # Column names read as words here; tables, JSON and the legend keep the file's own names.
    words = [column_words(c) for c in features]
    if len(words) > 4:
        # A dozen columns make no headline: how many, and the ones that separate most first.
        sizes = np.bincount(fit.labels, minlength=fit.k)
        spread = (sizes[:, None] * fit.centers**2).sum(axis=0) / sizes.sum()
        top = [words[j] for j in np.argsort(-spread)[:3]]
        cols = f"{len(words)} columns ({top[0]}, {top[1]}, {top[2]} and {len(words) - 3} more)"
    else:
        cols = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    asked = " (the number you asked for)" if fit.k_selection.method == "given" else ""
    return f"{rows_used:,} customers in {fit.k} segments{asked}, by {cols}."
