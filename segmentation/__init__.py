"""segbot's core: a customer table in, named and described segments out. Never imports Slack."""

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
from segmentation.result import KSelection, Limits, Options, Segment, SegmentationResult

__all__ = [
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
