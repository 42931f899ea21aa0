"""Fixtures shared by the core's tests: workbooks built on the fly (real data: tests/support.py)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import openpyxl
import pytest

Sheet = Sequence[Sequence[object]]


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
