"""segbot's core: a customer table in, named and described segments out. Never imports Slack."""

from segmentation.demo import demo_csv, demo_table, generate_customers
from segmentation.errors import (
    FileTooLarge,
    InvalidOption,
    NoUsableColumns,
    SegmentationError,
    TooFewRows,
    TookTooLong,
    TooManyColumns,
    TooManyRows,
    UnknownColumn,
    UnreadableFile,
)
from segmentation.export import export_csv
from segmentation.loading import load_table
from segmentation.pipeline import run
from segmentation.render import render_scatter
from segmentation.report import format_report
from segmentation.result import KSelection, Limits, Options, Segment, SegmentationResult

__all__ = [
    "demo_csv",
    "demo_table",
    "export_csv",
    "format_report",
    "generate_customers",
    "load_table",
    "render_scatter",
    "run",
    "FileTooLarge",
    "InvalidOption",
    "KSelection",
    "Limits",
    "NoUsableColumns",
    "Options",
    "Segment",
    "SegmentationError",
    "SegmentationResult",
    "TooFewRows",
    "TookTooLong",
    "TooManyColumns",
    "TooManyRows",
    "UnknownColumn",
    "UnreadableFile",
]
