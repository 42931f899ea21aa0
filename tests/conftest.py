"""Fixtures shared by the core's tests: real data beside the project, workbooks built on the fly."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

Sheet = Sequence[Sequence[object]]


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (the real data sets); the test is skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not available (a fresh clone has no shared data)")
    return SHARED_DATA


@pytest.fixture
def make_xlsx() -> Callable[..., bytes]:
    """Build a real .xlsx in memory: ``make_xlsx(rows, more_rows, ...)``, one sheet per argument."""

    def build(*sheets: Sheet) -> bytes:
        workbook = openpyxl.Workbook()
        for index, rows in enumerate(sheets):
            sheet = workbook.active if index == 0 else workbook.create_sheet()
            assert sheet is not None
            sheet.title = f"Sheet{index + 1}"
            for row in rows:
                sheet.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return build
