"""The time limit: work past it is killed for real, answers and sentences travel back."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from segmentation.deadline import call_with_time_limit
from segmentation.demo import demo_csv
from segmentation.errors import NoUsableColumns, SegmentationError, TookTooLong
from segmentation.pipeline import run


def sleep_after_writing_pid(path: str, seconds: float) -> str:
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)
    return "woke up"


def refuse(sentence: str) -> None:
    raise NoUsableColumns(sentence)


def divide(a: float, b: float) -> float:
    return a / b


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_work_past_the_limit_is_killed_and_the_next_call_works(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(TookTooLong) as caught:
        call_with_time_limit(sleep_after_writing_pid, str(pid_file), 600, seconds=1)
    waited = time.monotonic() - started
    # Not waited for: the sleeper would have run ten minutes.
    assert waited < 60
    assert "1 second" in str(caught.value) and "columns=" in str(caught.value)
    pid = int(pid_file.read_text())
    assert pid != os.getpid()
    assert _gone(pid)  # killed and reaped, not merely abandoned

    assert call_with_time_limit(sleep_after_writing_pid, str(pid_file), 0, seconds=60) == (
        "woke up"
    )


def test_a_result_travels_back_whole() -> None:
    expected = run(demo_csv(), filename="demo.csv")
    result = call_with_time_limit(run, demo_csv(), filename="demo.csv", seconds=120)
    assert result.k == expected.k
    assert [s.name for s in result.segments] == [s.name for s in expected.segments]
    assert result.table.equals(expected.table)


def test_a_sentence_travels_back_with_its_kind() -> None:
    with pytest.raises(NoUsableColumns) as caught:
        call_with_time_limit(refuse, "Choose columns of numbers.", seconds=60)
    assert isinstance(caught.value, SegmentationError)
    assert str(caught.value) == "Choose columns of numbers."


def test_a_bug_keeps_its_type_and_the_childs_traceback() -> None:
    with pytest.raises(ZeroDivisionError) as caught:
        call_with_time_limit(divide, 1, 0, seconds=60)
    cause = caught.value.__cause__
    assert cause is not None and "divide" in str(cause)


def test_calls_from_threads_run_side_by_side() -> None:
    answers: list[float] = []

    def worker(a: float) -> None:
        answers.append(call_with_time_limit(divide, a, 2, seconds=60))

    threads = [threading.Thread(target=worker, args=(float(i),)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(answers) == [0.0, 0.5, 1.0]


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        call_with_time_limit(divide, 1, 1, seconds=0)
