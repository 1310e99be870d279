"""A file of historical sales (auction results or retail sales from any platform) as a
table, with no database in sight: rows.py reads its rows into sale facts, imports.py stores
them.

A file is a table: CSV in any delimiter (found by csv.Sniffer), in UTF-8 with or without
a BOM, UTF-16 (Excel's "Unicode text") or Windows-1252; or the first sheet of an XLSX
workbook. Its first non-empty row is the header.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


class UnreadableFile(Exception):
    """The file as a whole cannot be read; the message says why, for the person who sent it."""


def cell_text(value) -> str:
    """A cell's value as the text a spreadsheet shows."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ").removesuffix(" 00:00:00")
    return str(value).strip()


def _blank(values) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


class Table:
    """The rows of a file under its header, numbered as a spreadsheet numbers them."""

    header: list[str]
    header_row: int

    def _records(self) -> Iterator[tuple[int, list]]:
        raise NotImplementedError

    def _find_header(self) -> None:
        with closing(self._records()) as records:
            for number, values in records:
                if not _blank(values):
                    self.header = [cell_text(v) for v in values]
                    while self.header and not self.header[-1]:
                        self.header.pop()
                    self.header_row = number
                    return
        raise UnreadableFile("The file is empty: there is no header row.")

    def rows(self) -> Iterator[tuple[int, list]]:
        """(row number, values) of each non-empty row under the header."""
        with closing(self._records()) as records:
            for number, values in records:
                if number > self.header_row and not _blank(values):
                    yield number, values

    def count(self) -> int:
        return sum(1 for _ in self.rows())

    def sample(self, n: int = 3) -> list[list[str]]:
        found = []
        with closing(self.rows()) as rows:
            for _, values in rows:
                found.append([cell_text(v) for v in values[: len(self.header)]])
                if len(found) == n:
                    break
        return found

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CsvTable(Table):
    def __init__(self, fileobj):
        self._file = fileobj
        self.encoding = _encoding_of(fileobj)
        self.dialect = _dialect_of(self._sample_text())
        self._find_header()

    def _sample_text(self) -> str:
        self._file.seek(0)
        raw = self._file.read(SAMPLE_BYTES)
        text = raw.decode(self.encoding, errors="ignore")
        if len(raw) == SAMPLE_BYTES and "\n" in text:
            text = text[: text.rindex("\n")]
        return text

    def _records(self) -> Iterator[tuple[int, list]]:
        self._file.seek(0)
        text = io.TextIOWrapper(self._file, encoding=self.encoding, newline="")
        reader = csv.reader(text, self.dialect)
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            raise UnreadableFile(f"The file cannot be read as CSV near line {reader.line_num}: {exc}.") from exc
        finally:
            text.detach()  # the caller closes its own file


def _encoding_of(fileobj) -> str:
    fileobj.seek(0)
    head = fileobj.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8-sig", "cp1252"):
        fileobj.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := fileobj.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UnreadableFile("The file is not text in UTF-8 or Windows-1252: save it as “CSV UTF-8” or as an XLSX workbook.")


def _dialect_of(sample: str):
    """Excel's CSV dialect with the delimiter Sniffer finds. Only the delimiter is taken:
    Sniffer guesses "no doubled quotes" from a sample without quotes, which would misread
    a quoted cell further down."""
    first = next((line for line in sample.splitlines() if line.strip()), "")
    delimiter = None
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    if delimiter not in first and any(d in first for d in DELIMITERS):
        # A sample Sniffer read wrong (or a one-row file): the delimiter the header uses most.
        delimiter = max(DELIMITERS, key=first.count)

    class Found(csv.excel):
        pass

    Found.delimiter = delimiter or ","
    return Found


class XlsxTable(Table):
    def __init__(self, fileobj):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self._book = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise UnreadableFile(
                "The file is not an XLSX workbook that can be read: open it in Excel and save it again as .xlsx or CSV."
            ) from exc
        if not self._book.worksheets:
            raise UnreadableFile("The workbook has no worksheet.")
        self._sheet = self._book.worksheets[0]
        # The dimensions some programs write are wrong; reading every row is always right.
        self._sheet.reset_dimensions()
        self._find_header()

    def _records(self) -> Iterator[tuple[int, list]]:
        for number, values in enumerate(self._sheet.iter_rows(values_only=True), start=1):
            yield number, values

    def close(self) -> None:
        self._book.close()


def stored_extension(fileobj) -> str:
    """The extension a file is stored under, from its first bytes (never its name): a
    workbook is a zip archive; anything else open_table accepted is read as text."""
    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    return "xlsx" if head == b"PK\x03\x04" else "csv"


def open_table(fileobj, name: str = "") -> Table:
    """The file (a binary, seekable file object) as a Table; UnreadableFile if it is none."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return XlsxTable(fileobj)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("This is an old Excel (.xls) workbook: save it as .xlsx or CSV and send that.")
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile("The file is named .xlsx but is not a workbook: open it in Excel and save it again.")
    if not head:
        raise UnreadableFile("The file is empty.")
    return CsvTable(fileobj)
