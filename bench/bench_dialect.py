"""Our delimiter sniffing against CleverCSV's dialect detection, on the texts the tests read.

Issue 18 asked whether CleverCSV (a library made for messy CSV files) reads more of our inputs
right than :mod:`segmentation.read.sniff`. The inputs are every delimited text the loader reads
while the loader's tests run (the files in ../shared/data and the texts the tests build): the
script runs those tests in this process with ``segmentation.read.table.read_delimited`` wrapped
to record each text and the delimiter the loader settled on. Only texts from tests that passed
and that the loader read into a table are kept: the tests' assertions on that table (its shape,
its columns, its values) are what says the delimiter was the intended one. Each text is then
given to both detectors on their own (no hint from the other), and both are timed.

"Right" is: the detector's delimiter equals the one of the table the passing test accepted, or
it finds no delimiter in a text of one column (the same table); for CleverCSV its quote
character must be ``"`` or none, as every input here writes them. This favours ours a little:
the tests passed with our reading, so a text both could read differently counts for ours.
Texts hypothesis generates are counted apart: they are noise that must give a table or a clear
error, so any delimiter that reads them is "intended" only in name.

    python bench/bench_dialect.py            # needs: pip install clevercsv
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmentation.read import sniff, table  # noqa: E402

TESTS = ["tests/test_loading.py", "tests/test_limits.py", "tests/test_orders.py"]
# CleverCSV scores every candidate dialect on the text it is given; like its own read_csv
# (num_chars) it gets a bounded sample. Ours looks at the first 50 records of 256 KB.
CLEVER_CHARS = 20_000


class Recorder:
    """A pytest plugin: the delimited texts read during each test, kept when the test passed."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[str, str, bool]] = {}  # sha1 -> (text, delimiter, generated)
        self.pending: list[tuple[str, str]] = []
        self.generated = False  # the running test draws its inputs with hypothesis
        self.original = table.read_delimited

    def wrapped(self, text, limits):  # type: ignore[no-untyped-def]
        frame, delimiter = self.original(text, limits)
        self.pending.append((text[: sniff.SAMPLE_CHARS], delimiter))
        return frame, delimiter

    def pytest_sessionstart(self) -> None:
        table.read_delimited = self.wrapped  # type: ignore[assignment]

    def pytest_sessionfinish(self) -> None:
        table.read_delimited = self.original  # type: ignore[assignment]

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.generated = hasattr(getattr(item, "obj", None), "hypothesis")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            if report.passed:
                for text, delimiter in self.pending:
                    key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
                    self.kept.setdefault(key, (text, delimiter, self.generated))
            self.pending.clear()
        elif report.when == "setup":
            self.pending.clear()


def ours(text: str) -> str:
    """The delimiter our loader sniffs on its own (an Excel sep= hint counts as ours)."""
    text, _ = sniff.skip_leading_blank_lines(text)
    hint = sniff.SEPARATOR_HINT.match(text)
    if hint:
        return hint.group(1)
    sample = text[: sniff.SAMPLE_CHARS]
    delimiter = sniff.sniff_delimiter(sample, len(text) > sniff.SAMPLE_CHARS)
    records = sniff.sample_records(sample, delimiter, len(text) > sniff.SAMPLE_CHARS)
    if records and sniff.header_too_narrow(records):
        found = sniff.find_header_after_preamble(sample, len(text) > sniff.SAMPLE_CHARS, None)
        if found is not None:
            delimiter = found[1]
    return delimiter


def clever(text: str) -> tuple[str | None, str | None]:
    import clevercsv

    dialect = clevercsv.Detector().detect(text[:CLEVER_CHARS])
    if dialect is None:
        return None, None
    return dialect.delimiter, dialect.quotechar


def score(inputs: list[tuple[str, str]], label: str) -> None:
    """Count and time both detectors on ``inputs`` (text, intended delimiter)."""
    right_ours = right_clever = 0
    time_ours: list[float] = []
    time_clever: list[float] = []
    misses: list[str] = []
    for text, intended in inputs:
        started = time.perf_counter()
        mine = ours(text)
        time_ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        delimiter, quote = clever(text)
        time_clever.append(time.perf_counter() - started)
        right_ours += mine == intended
        # No delimiter at all reads a one-column text into the same table.
        one_column = all(len(r) == 1 for r in sniff.sample_records(text, intended, False))
        ok = (delimiter == intended or (delimiter == "" and one_column)) and quote in ('"', "")
        right_clever += ok
        if not ok or mine != intended:
            head = text[:60].replace("\n", "\\n").replace("\r", "\\r")
            misses.append(
                f"  intended {intended!r} ours {mine!r} clevercsv {delimiter!r}/{quote!r}: {head!r}"
            )
    n = max(len(inputs), 1)
    print(f"\n{label}: files tried {len(inputs)}")
    print(f"  right by ours:      {right_ours} ({right_ours / n:.0%})")
    print(f"  right by CleverCSV: {right_clever} ({right_clever / n:.0%})")
    print(
        f"  time per file, median: ours {statistics.median(time_ours) * 1e3:.2f} ms, CleverCSV "
        f"{statistics.median(time_clever) * 1e3:.2f} ms; mean ours "
        f"{statistics.mean(time_ours) * 1e3:.2f} ms, CleverCSV "
        f"{statistics.mean(time_clever) * 1e3:.2f} ms "
        f"(ratio {sum(time_clever) / max(sum(time_ours), 1e-9):.1f}x)"
    )
    if misses:
        print(f"  disagreements ({len(misses)}, first 25):")
        print("\n".join(misses[:25]))


def main() -> int:
    recorder = Recorder()
    code = pytest.main(["-q", "-p", "no:cacheprovider", *TESTS], plugins=[recorder])
    print(f"loader tests: exit code {code}; {len(recorder.kept)} distinct delimited texts kept")
    kept = list(recorder.kept.values())
    score([(t, d) for t, d, generated in kept if not generated], "texts the tests write out")
    score([(t, d) for t, d, generated in kept if generated], "texts hypothesis generates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
