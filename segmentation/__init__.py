"""segbot's core: a customer table in, named and described segments out. Never imports Slack.

The public names load on first use (PEP 562), so ``segment --help`` and the bot's listener do
not pay for pandas, scikit-learn and matplotlib before they need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from segmentation.demo import demo_csv, demo_table, generate_customers
    from segmentation.explain.report import format_report
    from segmentation.output.export import export_csv
    from segmentation.output.render import render_scatter
    from segmentation.pipeline import run, segment_location
    from segmentation.read.table import load_table
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
    "segment_location",
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

# Public name -> the module that defines it (the errors above are light and load at once).
_LAZY = {
    "demo_csv": "segmentation.demo",
    "demo_table": "segmentation.demo",
    "generate_customers": "segmentation.demo",
    "export_csv": "segmentation.output.export",
    "load_table": "segmentation.read.table",
    "run": "segmentation.pipeline",
    "segment_location": "segmentation.pipeline",
    "render_scatter": "segmentation.output.render",
    "format_report": "segmentation.explain.report",
    "KSelection": "segmentation.result",
    "Limits": "segmentation.result",
    "Options": "segmentation.result",
    "Segment": "segmentation.result",
    "SegmentationResult": "segmentation.result",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'segmentation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
