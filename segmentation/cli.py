"""The ``segment`` command: a customer file in, a report (and files) out.

Exit codes: 0 done; 2 a problem with the input or the options (one sentence on stderr);
1 a bug in segbot (one sentence on stderr; the traceback only with SEGBOT_DEBUG=1).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

# Only light modules at the top: pandas, scikit-learn and matplotlib load after the arguments
# are read, and matplotlib only when a picture is written.
from segmentation.deadline import DEFAULT_TIMEOUT_S, call_with_time_limit, set_start_method
from segmentation.errors import InvalidOption, SegmentationError
from segmentation.result import Limits, Options

if TYPE_CHECKING:
    from segmentation.model.compare import Movement
    from segmentation.result import SegmentationResult

__all__ = ["main"]

_USAGE = "Run 'segment --help' to see how to use it."


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="segment",
        description=(
            "Find customer segments in a CSV, TSV, Excel or Parquet file, or a database table, "
            "and describe them in plain words. 'segment demo' runs on a built-in sample."
        ),
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="customer file or order log (.csv, .tsv, .txt, .xlsx, .parquet), 'demo', or a "
        "database URL such as postgresql://user@host/db with --table or --query",
    )
    _add_source_arguments(p)
    p.add_argument("--k", type=int, help="number of segments (2-10); chosen by itself if left out")
    p.add_argument("--columns", help='columns to segment on, e.g. "Annual Income (k$),Age"')
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--mode",
        choices=["auto", "customers", "rfm"],
        default="auto",
        help="rfm for an order log, customers for one row per customer",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write segments.png, segments.csv, report.md and audiences/<segment>.csv into DIR",
    )
    p.add_argument(
        "--redact",
        action="store_true",
        help="replace contact details in the written files with stable pseudonyms",
    )
    p.add_argument(
        "--compare",
        metavar="OLD",
        help="an earlier file of the same kind: say what changed since (adds movement.png)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="order logs: use only orders on or before DATE (YYYY-MM-DD), as if it were today",
    )
    p.add_argument(
        "--horizon",
        type=float,
        default=Options().horizon_days,
        metavar="DAYS",
        help="order logs: predict purchases over the next DAYS days (default 365; 0: none)",
    )
    p.add_argument(
        "--max-mb",
        type=float,
        default=Limits().max_bytes / 1024 / 1024,
        help="largest file accepted, in MB",
    )
    p.add_argument(
        "--max-rows", type=int, default=Limits().max_rows, help="most rows read whole accepted"
    )
    p.add_argument(
        "--max-columns",
        type=int,
        default=Limits().max_columns,
        help=f"most columns accepted (default {Limits().max_columns:,})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"stop the work after this many seconds (default {DEFAULT_TIMEOUT_S:g})",
    )
    return p


def _add_source_arguments(p: argparse.ArgumentParser) -> None:
    """Database tables, and the limit of what is summarised where it lies."""
    p.add_argument("--table", help="with a database URL: the table to segment")
    p.add_argument("--query", help='with a database URL: one SELECT, e.g. "SELECT * FROM orders"')
    p.add_argument(
        "--max-order-rows",
        type=int,
        default=Limits().max_order_rows,
        help="most order rows summarised where they lie (large files, tables; default "
        f"{Limits().max_order_rows:,})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"segment: {exc}. {_USAGE}", file=sys.stderr)
        return 2
    try:
        return _run_with_limit(args)
    except SegmentationError as exc:
        print(f"segment: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so in one line, never dump a traceback on a user
        if os.environ.get("SEGBOT_DEBUG"):
            traceback.print_exc()
        print(
            f"segment: something went wrong inside segbot ({type(exc).__name__}); this is a bug, "
            "please report it with the file that caused it.",
            file=sys.stderr,
        )
        return 1


def _run_with_limit(args: argparse.Namespace) -> int:
    """The work in a child process that is killed past ``--timeout``; its output printed here."""
    if not args.timeout > 0:
        raise InvalidOption("--timeout must be a positive number of seconds.")
    # The command has one thread and has computed nothing yet, so a plain fork is safe and
    # spares a fork server (a second interpreter importing the whole scientific stack). Called
    # in-process from a program with threads, it keeps the fork server.
    set_start_method("fork" if threading.active_count() == 1 else "forkserver")
    text = call_with_time_limit(_run_captured, args, seconds=args.timeout)
    sys.stdout.write(text)
    return 0


def _run_captured(args: argparse.Namespace) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _run(args)
    return buffer.getvalue()


def _run(args: argparse.Namespace) -> int:
    from segmentation.demo import DEMO_FILENAME, demo_csv
    from segmentation.explain.report import format_report
    from segmentation.pipeline import run

    if min(args.max_mb, args.max_rows, args.max_columns, args.max_order_rows) <= 0:
        raise InvalidOption(
            "--max-mb, --max-rows, --max-columns and --max-order-rows must be positive numbers."
        )
    if args.redact and not args.out:
        raise InvalidOption("--redact changes the files written with --out: add --out DIR.")
    columns = None
    if args.columns is not None:
        columns = tuple(c.strip() for c in args.columns.split(",") if c.strip())
    options = Options(
        k=args.k,
        columns=columns,
        seed=args.seed,
        mode=args.mode,
        as_of=args.as_of,
        horizon_days=args.horizon,
        limits=Limits(
            max_bytes=int(args.max_mb * 1024 * 1024),
            max_rows=args.max_rows,
            max_columns=args.max_columns,
            max_order_rows=args.max_order_rows,
        ),
    )
    from segmentation.read.database import is_database_url

    if args.file == "demo" and not Path("demo").exists():
        result = run(demo_csv(), options, filename=DEMO_FILENAME)
    elif is_database_url(args.file) or args.table is not None or args.query is not None:
        from segmentation.pipeline import segment_location

        result = segment_location(
            args.file, options, table=args.table, query=args.query, timeout_s=args.timeout
        )
    else:
        from segmentation.read.route import file_path

        path = Path(file_path(args.file))
        if not path.is_file():
            raise InvalidOption(f"I couldn't find the file '{args.file}'. Check the path.")
        from segmentation.pipeline import segment_location

        result = segment_location(str(path), options)
    movement = None
    if args.compare is not None:
        result, movement = _compare(result, Path(args.compare), options)

    written = _write_outputs(result, Path(args.out), redact=args.redact) if args.out else []
    if movement is not None and args.out:
        from segmentation.output.render import render_movement

        picture = Path(args.out) / "movement.png"
        picture.write_bytes(render_movement(movement))
        written.insert(1, picture)
    if args.json:
        data = result.to_dict()
        if movement is not None:
            data["movement"] = movement.to_dict()
        print(json.dumps(data, ensure_ascii=False))
    else:
        if movement is not None:
            sys.stdout.write("\n".join(movement.lines()) + "\n\n")
        sys.stdout.write(format_report(result))
        if written:
            sys.stdout.write("\nWritten: " + ", ".join(str(p) for p in written) + "\n")
    return 0


def _compare(
    result: SegmentationResult, old: Path, options: Options
) -> tuple[SegmentationResult, Movement]:
    """Segment ``old`` the same way and say what changed since; continuing segments keep
    their colours."""
    from datetime import datetime

    from segmentation.model.compare import carry_colours, compare, snapshot
    from segmentation.pipeline import run

    if not old.is_file():
        raise InvalidOption(f"I couldn't find the file '{old}' to compare with. Check the path.")
    # The same measures as the new file, so both are segmented on the same things.
    columns = options.columns or tuple(result.features)
    previous = run(old, replace(options, columns=columns, mode=result.mode))
    # An order log is as of its last order; any other file as of when it was saved.
    when = str(previous.details.get("last_date") or "") or (
        datetime.fromtimestamp(old.stat().st_mtime, tz=UTC).date().isoformat()
    )
    movement = compare(snapshot(previous, when=when), snapshot(result))
    return carry_colours(result, movement), movement


def _write_outputs(result: SegmentationResult, out: Path, *, redact: bool = False) -> list[Path]:
    from segmentation.explain.report import format_report
    from segmentation.output.export import audience_files, export_csv
    from segmentation.output.render import render_scatter

    key = _redaction_key() if redact else None
    audiences = out / "audiences"
    try:
        audiences.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidOption(f"I couldn't create the folder '{out}' ({exc.strerror}).") from exc
    png, csv, md = out / "segments.png", out / "segments.csv", out / "report.md"
    png.write_bytes(render_scatter(result))
    csv.write_bytes(export_csv(result, redact_key=key))
    md.write_text(format_report(result, markdown=True, image=png.name), encoding="utf-8")
    files = audience_files(result, redact_key=key)
    # audiences/ holds this run's segments only: a file left from an earlier run would be
    # imported as if it were current.
    for stale in audiences.glob("*.csv"):
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        (audiences / name).write_bytes(data)
    return [png, csv, md, audiences]


def _redaction_key() -> bytes:
    from segmentation.output.keystore import pseudonym_key

    return pseudonym_key(os.environ.get("SEGBOT_SECRET"), os.environ.get("SEGBOT_DATA_DIR"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
