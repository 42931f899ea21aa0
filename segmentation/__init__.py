"""segbot's core: a customer table in, named and described segments out. Never imports Slack.

Names are imported on first use (PEP 562), so ``import segmentation.errors`` stays light: the
bot's listener process reads the error kinds without loading pandas, scikit-learn or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from segmentation.demo import demo_csv, demo_table, generate_customers
    from segmentation.errors import (
        FileTooLarge,
        InvalidOption,
        NoUsableColumns,
        SegmentationError,
        TooFewRows,
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

# Public name -> the module that defines it.
_HOMES = {
    "demo_csv": "demo",
    "demo_table": "demo",
    "generate_customers": "demo",
    "export_csv": "export",
    "format_report": "report",
    "load_table": "loading",
    "render_scatter": "render",
    "run": "pipeline",
    "FileTooLarge": "errors",
    "InvalidOption": "errors",
    "NoUsableColumns": "errors",
    "SegmentationError": "errors",
    "TooFewRows": "errors",
    "TooManyRows": "errors",
    "UnknownColumn": "errors",
    "UnreadableFile": "errors",
    "KSelection": "result",
    "Limits": "result",
    "Options": "result",
    "Segment": "result",
    "SegmentationResult": "result",
}

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
    "TooManyRows",
    "UnknownColumn",
    "UnreadableFile",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'segmentation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"segmentation.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
