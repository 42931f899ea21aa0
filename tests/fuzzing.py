"""Real-looking files and the ways they get broken, for the fuzz test and bench/fuzz_campaign.py.

Seeds are small, plausible exports (customers as CSV, TSV, semicolons with decimal commas and
currency, a workbook, an order log, a wide survey); mutations are what happens to files on their
way to segbot: flipped bytes, truncation, absurd numbers, too many columns, other delimiters,
stray quotes, other encodings, repeated or lost lines.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable

import numpy as np

from segmentation.demo import generate_customers
from segmentation.errors import SegmentationError
from segmentation.pipeline import run
from segmentation.result import Limits, Options, SegmentationResult

__all__ = ["SEEDS", "MUTATIONS", "mutate", "options_from", "check_run"]

# Small enough that one input runs in well under a second; the column limit stays the
# product's, so "many columns" mutations meet the real refusal.
FUZZ_LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_rows=2_000)


def _customers_csv(sep: str = ",", decimal: str = ".", money: str = "") -> bytes:
    table = generate_customers(60, seed=3)
    text = table.to_csv(index=False, sep=sep, decimal=decimal, float_format="%.2f")
    if money:
        lines = text.splitlines()
        head, rows = lines[0], lines[1:]
        text = "\n".join([head, *(f'{row}{sep}"{money}1{decimal}5"' for row in rows)]) + "\n"
        text = text.replace(head, head + f"{sep}Spend", 1)
    return text.encode()


def _orders_csv() -> bytes:
    rng = np.random.default_rng(5)
    lines = ["order_id,customer_id,order_date,amount"]
    for i in range(150):
        day = int(rng.integers(1, 28))
        month = int(rng.integers(1, 13))
        amount = float(rng.gamma(2.0, 30.0))
        lines.append(
            f"{1000 + i},C{int(rng.integers(0, 40))},2024-{month:02d}-{day:02d},{amount:.2f}"
        )
    return ("\n".join(lines) + "\n").encode()


def _survey_csv() -> bytes:
    answers = np.random.default_rng(7).integers(1, 6, (30, 40))
    header = ",".join(f"Q{j} score" for j in range(40))
    return (header + "\n" + "\n".join(",".join(map(str, r)) for r in answers) + "\n").encode()


def _customers_xlsx() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    table = generate_customers(40, seed=4)
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _seeds() -> dict[str, tuple[bytes, str]]:
    return {
        "customers.csv": (_customers_csv(), "customers.csv"),
        "customers.tsv": (_customers_csv(sep="\t"), "customers.tsv"),
        "semicolons.csv": (_customers_csv(sep=";", decimal=",", money="€"), "semicolons.csv"),
        "orders.csv": (_orders_csv(), "orders.csv"),
        "survey.csv": (_survey_csv(), "survey.csv"),
        "customers.xlsx": (_customers_xlsx(), "customers.xlsx"),
    }


SEEDS = _seeds()

_HUGE = [b"1e308", b"-1e308", b"inf", b"-inf", b"1e309", b"9" * 400, b"nan", b"1e-320", b"-0"]


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _huge_numbers(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    digits = [i for i, b in enumerate(out) if 48 <= b <= 57]
    for _ in range(rng.randint(1, 30)):
        if not digits:
            break
        at = rng.choice(digits)
        end = at
        while end < len(out) and 48 <= out[end] <= 57:
            end += 1
        out[at:end] = rng.choice(_HUGE)
        digits = [i for i, b in enumerate(out) if 48 <= b <= 57]
    return bytes(out)


def _many_columns(data: bytes, rng: random.Random) -> bytes:
    line_end = data.find(b"\n")
    line_end = len(data) if line_end < 0 else line_end
    count = rng.choice([5, 200, 999, 1_001, 3_000, 60_000])
    extra = b"".join(b",c%d" % i for i in range(count))
    return data[:line_end] + extra + data[line_end:]


def _other_delimiter(data: bytes, rng: random.Random) -> bytes:
    new = rng.choice([b";", b"\t", b"|", b" ", b",,", b'","', b"\x00", b"\xe2\x80\x9a"])
    old = rng.choice([b",", b"\t", b";"])
    return data.replace(old, new)


def _stray_quotes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        out.insert(rng.randrange(len(out) + 1), ord('"'))
    return bytes(out)


def _encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    codec = rng.choice(["utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "utf-8-sig"])
    return text.encode(codec, errors="replace")


def _repeat_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    if not lines:
        return data
    at = rng.randrange(len(lines))
    lines[at:at] = [lines[at]] * rng.choice([1, 10, 500])
    return b"\n".join(lines)


def _drop_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    keep = [line for line in lines if rng.random() > 0.4]
    return b"\n".join(keep)


def _line_endings(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"\n", rng.choice([b"\r", b"\r\n", b"\n\n", b"\r\r\n", b"\x0b"]))


def _same_value(data: bytes, rng: random.Random) -> bytes:
    """Every digit the same: constant columns, one distinct row."""
    digit = rng.choice(b"0123456789")
    return bytes(digit if 48 <= b <= 57 else b for b in data)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "flip_bytes": _flip_bytes,
    "truncate": _truncate,
    "huge_numbers": _huge_numbers,
    "many_columns": _many_columns,
    "other_delimiter": _other_delimiter,
    "stray_quotes": _stray_quotes,
    "encoding": _encoding,
    "repeat_lines": _repeat_lines,
    "drop_lines": _drop_lines,
    "line_endings": _line_endings,
    "same_value": _same_value,
}


def mutate(seed: str, steps: list[tuple[str, int]]) -> tuple[bytes, str]:
    """Apply mutations ``(name, random seed)`` in order to a seed file; returns bytes and name."""
    data, filename = SEEDS[seed]
    for name, number in steps:
        data = MUTATIONS[name](data, random.Random(number))
    return data, filename


def options_from(number: int) -> Options:
    """A spread of options: chosen or given k, each mode."""
    rng = random.Random(number)
    k = rng.choice([None, None, 2, 3, 7])
    mode = rng.choice(["auto", "auto", "customers", "rfm"])
    return Options(k=k, mode=mode, seed=rng.randrange(100), limits=FUZZ_LIMITS)


def check_run(
    data: bytes, filename: str, options: Options
) -> SegmentationResult | SegmentationError:
    """Run the core; a result must be whole and JSON-clean, a refusal one plain sentence.

    Anything else (another exception, NaN in the JSON, a broken result) fails an assertion.
    """
    try:
        result = run(data, options, filename=filename)
    except SegmentationError as error:
        sentence = str(error)
        assert sentence and "\n" not in sentence and "Traceback" not in sentence, sentence
        return error
    assert 0 < result.rows_used <= result.rows
    assert 2 <= result.k == len(result.segments)
    assert sum(s.size for s in result.segments) == result.rows_used
    # --json and the bot's stored summary: no NaN or Infinity, which is not JSON.
    json.dumps(result.to_dict(), allow_nan=False)
    return result
