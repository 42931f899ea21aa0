"""What the bytes are before they are parsed: their size and kind (workbook, text, something
else we name), their encoding, the delimiter, and title lines standing above the header.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import Counter

from segmentation.errors import UnreadableFile
from segmentation.read.limits import too_large
from segmentation.read.numbers import NUMBER_SAMPLE_SHARE, NUMERIC_FIELD
from segmentation.result import Limits

# Delimiters we sniff for, in the order that wins a tie.
_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# Enough text to see the header and ~50 records of any sane file. The header line must fit
# in it: a longer first line is refused before pandas is asked to parse it (a 5 MB line of
# "a,a,a,..." would otherwise mean millions of columns and minutes of work).
SAMPLE_CHARS = 256 * 1024
MAX_LINE_CHARS = SAMPLE_CHARS
SNIFF_RECORDS = 50
EXPORT_HINT = "Export it from your spreadsheet as CSV or .xlsx and share that."
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "This is an old-style Excel .xls file (or a password-protected workbook), which I "
        "can't read. Open it in Excel and save it as .xlsx or CSV without a password, then "
        "share that.",
    ),
    (b"%PDF", "This is a PDF, not a data file. " + EXPORT_HINT),
    (b"\x89PNG\r\n\x1a\n", "This is an image, not a data file. " + EXPORT_HINT),
    (b"\xff\xd8\xff", "This is an image, not a data file. " + EXPORT_HINT),
    (b"GIF87a", "This is an image, not a data file. " + EXPORT_HINT),
    (b"GIF89a", "This is an image, not a data file. " + EXPORT_HINT),
    (b"II*\x00", "This is an image, not a data file. " + EXPORT_HINT),
    (b"MM\x00*", "This is an image, not a data file. " + EXPORT_HINT),
    (
        b"\x1f\x8b",
        "This is a compressed (gzip) file. Unpack it and share the CSV or .xlsx inside.",
    ),
    (
        b"7z\xbc\xaf\x27\x1c",
        "This is a compressed (7-Zip) file. Unpack it and share the CSV or .xlsx inside.",
    ),
    (b"Rar!", "This is a compressed (RAR) file. Unpack it and share the CSV or .xlsx inside."),
    (
        b"PK\x05\x06",
        "This is an empty zip archive, not a data file. " + EXPORT_HINT,
    ),
)
_BINARY_SENTENCE = (
    "The file contains binary data, not text. Export it from your spreadsheet as CSV "
    "(UTF-8) or .xlsx and share that."
)
# C0 and C1 control characters other than tab, newline, carriage return, vertical tab and
# form feed: text exports practically never contain them, binary files are full of them.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MARKUP_START = re.compile(r"<[!?a-zA-Z]")
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|title|meta|script|div|form)\b", re.I)
_JSON_START = re.compile(r'(?:\{\s*"|\[\s*[\[{"\]])')
# Rows of nothing but blanks and delimiters above the header (common in Excel exports).
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t,;|]*(?:\r\n|\n|\r))+")
# Excel's own delimiter hint, written as the first line: sep=;
SEPARATOR_HINT = re.compile(r'"?sep=([,;\t|])"?[ \t]*(?:\r\n|\n|\r)', re.I)
# Title and note lines above the header are looked for among this many non-blank lines.
PREAMBLE_LINES = 20
# A physical line and its ending (CR, LF or CRLF, as pandas and editors count them).
_LINE = re.compile(r"([^\r\n]*)(?:\r\n|\n|\r|$)")


def read_source(
    source: bytes | str | os.PathLike[str], filename: str | None, limits: Limits
) -> tuple[bytes, str | None]:
    """The file's bytes and name, refusing oversized input before reading it."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > limits.max_bytes:
            raise too_large(len(data), limits)
        return data, filename
    path = os.fspath(source)
    name = filename if filename is not None else os.path.basename(path)
    try:
        size = os.stat(path).st_size
        if size > limits.max_bytes:
            raise too_large(size, limits)
        with open(path, "rb") as handle:
            # One byte more than allowed: catches a file that grew after the stat.
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise UnreadableFile(
            f"I can't find the file {name!r}. Check the name and the folder, then try again."
        ) from exc
    except IsADirectoryError as exc:
        raise UnreadableFile(f"{name!r} is a folder, not a file. Give me the data file.") from exc
    except PermissionError as exc:
        raise UnreadableFile(
            f"I'm not allowed to read {name!r}. Check the file's permissions, then try again."
        ) from exc
    except OSError as exc:
        raise UnreadableFile(f"I couldn't read {name!r} from disk ({exc.strerror}).") from exc
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits)
    return data, name


def _extension(name: str | None) -> str:
    return os.path.splitext(name)[1].lower() if name else ""


def is_xlsx(data: bytes, name: str | None) -> bool:
    """True for a workbook; raises for formats we recognise but cannot read."""
    if not data or data.isspace():
        raise UnreadableFile("The file is empty. Export the table again and share the new file.")
    if data.startswith(b"PK\x03\x04"):
        return True
    for signature, sentence in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise UnreadableFile(sentence)
    if _extension(name) in (".xlsx", ".xlsm"):
        reject_non_tables(data[:65536].decode("latin-1"))  # a web page says so first
        raise UnreadableFile(
            f"The file is named {_extension(name)} but is not an Excel workbook inside. "
            "Open it in Excel, save it again as .xlsx or CSV, and share that."
        )
    return False


def decode(data: bytes) -> str:
    """Text from bytes: BOM-marked Unicode, else UTF-8, else Windows-1252, else Latin-1."""
    bom_codec = None
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        bom_codec = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom_codec = "utf-16"
    if bom_codec is not None:
        try:
            return data.decode(bom_codec)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                "The file says it is Unicode (UTF-16) text, but its bytes are damaged. "
                "Export it again as CSV (UTF-8) and share that."
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows writes "CSV" in the machine's code page: Windows-1252 in the West.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # Latin-1 maps every byte; whether the result is text is judged afterwards.
        return data.decode("latin-1")


def reject_non_tables(text: str) -> None:
    """Raise for text that is clearly not a table: binary, a web page, XML, JSON."""
    if "\x00" in text:
        raise UnreadableFile(_BINARY_SENTENCE)
    sample = text[:65536]
    if len(_CONTROL_CHARS.findall(sample)) * 100 > len(sample):
        raise UnreadableFile(_BINARY_SENTENCE)
    head = sample.lstrip()[:4096]
    if _MARKUP_START.match(head) and _HTML_TAG.search(head):
        raise UnreadableFile(
            "This looks like a web page, not a data file (perhaps a sign-in page instead "
            "of the download). Download the file itself as CSV or .xlsx and share that."
        )
    if head.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise UnreadableFile(
                "This is an Excel 2003 XML spreadsheet, which I can't read. Open it in Excel "
                "and save it as .xlsx or CSV, then share that."
            )
        raise UnreadableFile("This is an XML document, not a table. " + EXPORT_HINT)
    if head.startswith("{\\rtf"):
        raise UnreadableFile("This is a word-processor (RTF) document, not a table. " + EXPORT_HINT)
    if _JSON_START.match(head):
        raise UnreadableFile("This looks like JSON, not a table. " + EXPORT_HINT)


def header_too_narrow(records: list[list[str]]) -> bool:
    """Whether the first record may be a title rather than the header: one field (no
    delimiter at all), or fewer fields than the records below it usually have."""
    if len(records) < 2:
        return False
    usual = Counter(len(record) for record in records[1:]).most_common(1)[0][0]
    return len(records[0]) < max(2, usual)


def find_header_after_preamble(
    sample: str, truncated: bool, delimiter: str | None
) -> tuple[int, str, list[list[str]]] | None:
    """Where the real header starts when title or note lines stand above it.

    The header is the first of the first non-blank lines that has at least two fields, looks
    like a header (text, not numbers) above at least one column of numbers, and from which the
    records below it consistently have its field count; every line above it must be narrow
    (fewer fields, and at most one filled or half as many as the header). Returns the
    header's character offset in ``sample``, the delimiter and the records from the header on;
    None when no line fits, so a file that merely has ragged rows is reported as before.
    """
    lines = _first_lines(sample, PREAMBLE_LINES)
    delimiters = _DELIMITERS if delimiter is None else (delimiter,)
    for index in range(1, len(lines)):
        offset, line = lines[index]
        best: tuple[float, int] | None = None
        choice: tuple[int, str, list[list[str]]] | None = None
        for rank, candidate in enumerate(delimiters):
            header = _split_line(line, candidate)
            width = len(header)
            if width < 2 or not looks_like_header(header):
                continue
            above = [_split_line(text, candidate) for _, text in lines[:index]]
            if not all(is_preamble(fields, width) for fields in above):
                continue
            records = sample_records(sample[offset:], candidate, truncated)
            below = records[1:]
            if len(below) < 2 or records[0] != header:
                continue  # too little to judge, or a quoted line break in the "header"
            if not consistent([len(record) for record in below], width):
                continue
            if not has_number_column(header, below):
                continue
            score = (sum(len(record) == width for record in below) / len(below), -rank)
            if best is None or score > best:
                best, choice = score, (offset, candidate, records)
        if choice is not None:
            return choice
    return None


def consistent(widths: list[int], width: int) -> bool:
    """Whether the records below a header line up with it: most of them exactly, and at most
    one in five (or a single one) differs, which pandas then reports by its line."""
    counts = Counter(widths)
    total = counts.total()
    matched = counts[width]
    return 2 * matched > total and total - matched <= max(1, total // 5)


def _first_lines(sample: str, limit: int) -> list[tuple[int, str]]:
    """Offsets and text of the first ``limit`` non-blank lines of ``sample``."""
    lines: list[tuple[int, str]] = []
    for match in _LINE.finditer(sample):
        if match.group(1).strip(" \t,;|"):
            lines.append((match.start(), match.group(1)))
            if len(lines) == limit:
                break
        if match.end() == len(sample):
            break
    return lines


def _split_line(line: str, delimiter: str) -> list[str]:
    """One line's fields, quotes respected; a line csv cannot split counts as one field."""
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=False), [""])
    except csv.Error:
        return [line]


def looks_like_header(fields: list[str]) -> bool:
    """Mostly filled, mostly words: names of columns rather than a row of values."""
    filled = [field for field in fields if field.strip()]
    numeric = sum(1 for field in filled if NUMERIC_FIELD.fullmatch(field))
    return len(filled) >= 2 and 2 * len(filled) > len(fields) and 2 * numeric < len(filled)


def is_preamble(fields: list[str], width: int) -> bool:
    """A title or note line above a header ``width`` fields wide: narrower and mostly empty."""
    filled = sum(1 for field in fields if field.strip())
    return len(fields) < width and filled <= max(1, width // 2)


def has_number_column(header: list[str], below: list[list[str]]) -> bool:
    """Whether a named column holds numbers: the contrast that tells a header from data."""
    for position, name in enumerate(header):
        if not name.strip() or NUMERIC_FIELD.fullmatch(name):
            continue
        values = [r[position] for r in below if len(r) > position and r[position].strip()]
        numbers = sum(1 for value in values if NUMERIC_FIELD.fullmatch(value))
        if values and numbers >= NUMBER_SAMPLE_SHARE * len(values):
            return True
    return False


def line_breaks(text: str) -> int:
    """How many lines ``text`` ends, counting CRLF once, as an editor numbers them."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def skip_leading_blank_lines(text: str) -> tuple[str, int]:
    """The text without blank lines above the header, and how many lines were dropped."""
    blank = _LEADING_BLANK_LINES.match(text)
    if not blank:
        return text, 0
    return text[blank.end() :], line_breaks(blank.group())


def sniff_delimiter(sample: str, truncated: bool) -> str:
    """The delimiter that splits the first records most consistently.

    For each candidate, count fields per record (quotes respected) and score the share of
    records that have the most common count; the header must contain the delimiter.
    """
    best: tuple[float, bool, int, int] | None = None
    choice = ","
    for rank, delimiter in enumerate(_DELIMITERS):
        records = sample_records(sample, delimiter, truncated)
        if len(records) == 0:
            continue
        counts = [len(record) - 1 for record in records]
        usual, times = Counter(counts).most_common(1)[0]
        if counts[0] == 0 or usual == 0:
            continue
        score = (times / len(counts), counts[0] == usual, usual, -rank)
        if best is None or score > best:
            best, choice = score, delimiter
    return choice


def sample_records(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    """The first non-blank records of the sample, split with quotes respected."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    try:
        for record in reader:
            if any(field.strip() for field in record):
                records.append(record)
            if len(records) > SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # a malformed tail in the sample; pandas will judge the whole file
    if truncated and len(records) > 1 and len(records) <= SNIFF_RECORDS:
        records.pop()  # the sample may have cut the last record short
    return records[:SNIFF_RECORDS]
