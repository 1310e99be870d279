"""Reading a file of historical sales (auction results or retail sales from any platform)
into sale facts, with no database in sight: services.py stores what this module reads.

A file is a table: CSV in any delimiter (found by csv.Sniffer), in UTF-8 with or without
a BOM, UTF-16 (Excel's "Unicode text") or Windows-1252; or the first sheet of an XLSX
workbook. Its first non-empty row is the header.

A mapping says, for each I-fixit field, which of the file's columns holds it:

    {"make": "Manufacturer", "model": "Model", "price": "Hammer price", "sale_date": "Sale date",
     "mileage": "Odometer", "mileage_unit": "km", "source": "BCA", "kind": "auction"}

Mileage unit, currency and source are either one value for every row (a string, as above)
or a column ({"column": "Auction house"}). Prices are kept in settings.CURRENCY; a file in
another currency needs a rate ("rate": "0.86", units of settings.CURRENCY per unit of the
file's fixed currency, or {"EUR": "0.86", "USD": "0.79"} for a currency column). "kind" is
"auction" or "retail". "date_format" (strptime, e.g. "%m/%d/%Y") reads dates that are
neither ISO nor day first. "ref" names a column holding the row's own id at its source.

Every bad cell is reported as the user sees it in a spreadsheet: the row number (the
header is row 1 when it is the first line), the file's column name and a reason in plain
English. A fact is identified by its source and a reference: the "ref" column when there
is one, otherwise a fingerprint of the row's normalised content, so the same sale read
again (from the same file or another) is recognised whatever line it is on. Identical rows
in one file are separate sales: the second and later carry their count after the
fingerprint ("sha256:…:2"), so a file read again still adds nothing.
"""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import closing
from functools import partial
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ifixit.analytics import vocabulary
from ifixit.analytics.models import OWN_SOURCE, age_band, mileage_band

# Fields read from a column of the file.
COLUMN_FIELDS = (
    "make", "model", "trim", "year", "mileage", "price", "sale_date", "condition", "fuel", "transmission", "drive",
    "body_type", "colour", "region", "ref",
)
# Fields given once for the whole file, or read from a column.
EITHER_FIELDS = ("mileage_unit", "currency", "source")
# Settings of the whole file.
FILE_FIELDS = ("kind", "rate", "date_format")
FIELDS = COLUMN_FIELDS + EITHER_FIELDS + FILE_FIELDS
REQUIRED_COLUMNS = ("make", "model", "price")
KINDS = ("auction", "retail")

LABELS = {
    "make": "Make", "model": "Model", "trim": "Trim", "year": "Year", "mileage": "Mileage", "price": "Price",
    "sale_date": "Sale date", "condition": "Condition", "fuel": "Fuel", "transmission": "Transmission",
    "drive": "Drive", "body_type": "Body type", "colour": "Colour", "region": "Region",
    "ref": "Reference (the sale's id at its source)", "mileage_unit": "Mileage unit", "currency": "Currency",
    "source": "Source", "kind": "Kind", "rate": "Exchange rate", "date_format": "Date format",
}

MIN_YEAR = 1950
MIN_SALE_DATE = date(MIN_YEAR, 1, 1)
MAX_PRICE = Decimal("10000000")
MAX_MILES = 1_000_000
PENNY = Decimal("0.01")
# Longest value each text field of SaleFact holds.
LENGTHS = {"make": 50, "model": 50, "trim": 80, "colour": 30, "region": 50, "source": 100, "ref": 120}
UNITS = {"mi": "mi", "mile": "mi", "miles": "mi", "km": "km", "kms": "km", "kilometres": "km", "kilometers": "km"}
SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD"}
# What the fingerprint is made of: the sale as normalised (kind and source are left out:
# the source is the other half of the key, and the kind a label of the file).
FINGERPRINT_FIELDS = (
    "make", "model", "trim", "year", "mileage", "price", "sale_date", "condition", "fuel", "transmission", "drive",
    "body_type", "colour", "region",
)
ATTRIBUTE_TABLES = {
    "condition": vocabulary.CONDITIONS, "fuel": vocabulary.FUELS, "transmission": vocabulary.TRANSMISSIONS,
    "drive": vocabulary.DRIVES, "body_type": vocabulary.BODIES,
}
EXCEL_EPOCH = date(1899, 12, 30)
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


class UnreadableFile(Exception):
    """The file as a whole cannot be read; the message says why, for the person who sent it."""


class MappingError(Exception):
    """The mapping does not fit the file: {field: reason}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in errors.items()))
        self.errors = errors


# --- The mapping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]  # field -> the file's column
    fixed: dict[str, str]  # mileage_unit, currency, source -> one value for every row
    kind: str
    rates: dict[str, Decimal] = field(default_factory=dict)  # currency -> settings.CURRENCY per unit
    date_format: str = ""

    def to_json(self) -> dict:
        """The canonical form stored on the batch (mapping_parse reads it back)."""
        data: dict = dict(self.columns)
        for name in EITHER_FIELDS:
            if name in self.columns:
                data[name] = {"column": self.columns[name]}
            elif name in self.fixed:
                data[name] = self.fixed[name]
        data["kind"] = self.kind
        if self.rates:
            data["rate"] = {code: str(rate) for code, rate in self.rates.items()}
        if self.date_format:
            data["date_format"] = self.date_format
        return data


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _columns_listed(header: list[str]) -> str:
    names = [f"“{name}”" for name in header if name]
    shown = ", ".join(names[:12])
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")


def mapping_parse(raw, header: list[str], *, currency: str) -> Mapping:
    """The mapping checked against the file's header, or MappingError with a reason per field."""
    if not isinstance(raw, dict):
        raise MappingError({"mapping": "A mapping is a set of field: column pairs (a JSON object)."})
    errors: dict[str, str] = {}
    for key in raw:
        if key not in FIELDS:
            errors[str(key)] = f"“{key}” is not a field I-fixit imports (it imports {', '.join(FIELDS)})."
    columns: dict[str, str] = {}
    fixed: dict[str, str] = {}
    for name in COLUMN_FIELDS + EITHER_FIELDS:
        value = raw.get(name)
        if value is None or value == "" or value == {}:
            continue
        if isinstance(value, dict):
            if set(value) == {"column"} and isinstance(value["column"], str):
                column = value["column"].strip()
            elif name in EITHER_FIELDS and set(value) == {"value"} and isinstance(value["value"], str):
                fixed[name] = value["value"].strip()
                continue
            else:
                either = " or one value for every row as a string" if name in EITHER_FIELDS else ""
                errors[name] = f'Give a column as {{"column": "its name"}}{either}.'
                continue
        elif isinstance(value, str):
            if name in EITHER_FIELDS:
                fixed[name] = value.strip()
                continue
            column = value.strip()
        else:
            errors[name] = "Give the name of one of the file's columns."
            continue
        found = header.count(column)
        if not column or not found:
            errors[name] = f"The file has no column “{column}”; its columns are {_columns_listed(header)}."
        elif found > 1:
            errors[name] = f"The file has {found} columns named “{column}”: rename one so it is clear which to read."
        else:
            columns[name] = column

    for name in REQUIRED_COLUMNS:
        if name not in columns and name not in errors:
            errors[name] = f"Choose the column that holds the {LABELS[name].lower()}: every sale needs one."
    if "source" not in columns and "source" not in errors:
        source = fixed.get("source", "")
        if not source:
            errors["source"] = "Name the source (BCA, Manheim, AutoTrader, ...) or choose the column that holds it."
        elif len(source) > LENGTHS["source"]:
            errors["source"] = f"A source name has at most {LENGTHS['source']} characters."
        elif source.strip().lower() == OWN_SOURCE.lower():
            errors["source"] = f"“{OWN_SOURCE}” is the group's own sales, which come in by themselves; name the file's source."

    if "mileage_unit" in fixed:
        unit = UNITS.get(fixed["mileage_unit"].lower())
        if unit is None:
            errors["mileage_unit"] = f"“{fixed['mileage_unit']}” is not a unit: use mi (miles) or km (kilometres)."
        else:
            fixed["mileage_unit"] = unit
    elif "mileage_unit" not in columns:
        fixed["mileage_unit"] = "mi"

    if "currency" in fixed:
        code = SYMBOLS.get(fixed["currency"], fixed["currency"].upper())
        if not re.fullmatch(r"[A-Z]{3}", code):
            errors["currency"] = f"“{fixed['currency']}” is not a currency code such as {currency} or EUR."
        fixed["currency"] = code
    elif "currency" not in columns:
        fixed["currency"] = currency

    rates: dict[str, Decimal] = {}
    raw_rate = raw.get("rate")
    if raw_rate not in (None, "", {}):
        pairs = raw_rate.items() if isinstance(raw_rate, dict) else [(fixed.get("currency"), raw_rate)]
        for code, value in pairs:
            if code is None:
                errors["rate"] = 'With a currency column, give a rate per currency: {"EUR": "0.86", "USD": "0.79"}.'
                break
            code = str(code).strip().upper()
            rate = _decimal(value) if isinstance(value, (str, int, float, Decimal)) else None
            if code == currency:
                errors["rate"] = f"Prices in {currency} need no rate: remove it."
            elif not re.fullmatch(r"[A-Z]{3}", code):
                errors["rate"] = f"“{code}” is not a currency code."
            elif rate is None or rate <= 0:
                errors["rate"] = f"The rate for {code} must be a number above 0 ({currency} for one {code})."
            else:
                rates[code] = rate
    cur = fixed.get("currency")
    if cur and cur != currency and cur not in rates and "currency" not in errors and "rate" not in errors:
        errors["currency"] = (
            f"Prices in {cur} are not imported: I-fixit keeps prices in {currency}. "
            f"Give the rate ({currency} for one {cur}) to convert them."
        )

    kind = raw.get("kind")
    if kind not in KINDS:
        errors["kind"] = "Say whether the file holds auction results (auction) or retail sales (retail)."

    date_format = raw.get("date_format") or ""
    if date_format:
        if not isinstance(date_format, str) or not _date_format_ok(date_format):
            errors["date_format"] = "A date format names the day, month and year, such as %m/%d/%Y."

    if errors:
        raise MappingError(errors)
    return Mapping(columns=columns, fixed=fixed, kind=kind, rates=rates, date_format=date_format)


def _date_format_ok(fmt: str) -> bool:
    if not ("%d" in fmt and ("%m" in fmt or "%b" in fmt or "%B" in fmt) and ("%Y" in fmt or "%y" in fmt)):
        return False
    try:
        sample = date(2024, 3, 25)
        return datetime.strptime(sample.strftime(fmt), fmt).date() == sample
    except ValueError:
        return False


# --- Mapping suggestions ---------------------------------------------------------------------

# The names sources give their columns, best first; compared in lower case, punctuation as spaces.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "make": ("make", "manufacturer", "marque", "brand", "vehicle make", "car make"),
    "model": ("model", "vehicle model", "model name", "car model"),
    "trim": ("trim", "variant", "derivative", "spec", "version", "trim level"),
    "year": ("year", "reg year", "registration year", "model year", "year of manufacture", "yom", "manufactured",
             "first registered", "first registration", "date first registered"),
    "mileage": ("mileage", "odometer", "odometer reading", "miles", "recorded mileage", "odo", "kilometres", "km", "kms"),
    "price": ("hammer price", "sold price", "sale price", "selling price", "final price", "winning bid", "hammer", "price",
              "sold for", "amount"),
    "currency": ("currency", "ccy", "currency code"),
    "sale_date": ("sale date", "date sold", "sold date", "sold on", "auction date", "date of sale", "sale day", "date"),
    "condition": ("condition", "grade", "condition grade", "cap grade", "nama grade"),
    "fuel": ("fuel", "fuel type"),
    "transmission": ("transmission", "gearbox", "gear box", "gears"),
    "drive": ("drive", "drivetrain", "drive type", "driven wheels", "drive train"),
    "body_type": ("body type", "body", "body style", "bodystyle", "bodytype"),
    "colour": ("colour", "color", "paint", "exterior colour"),
    "region": ("region", "location", "area", "county", "sale location", "branch"),
    "source": ("source", "platform", "auction house", "auctioneer", "marketplace", "channel", "auction"),
    "ref": ("lot", "lot number", "lot no", "lot id", "reference", "ref", "listing id", "sale id", "id"),
}
KM_NAMES = ("km", "kms", "kilometres", "kilometers")
# Words too common to find inside a longer name: "Guide price" is not the sale price, nor
# "Date first registered" the sale date.
NOT_INSIDE = {
    "date", "id", "ref", "lot", "year", "price", "hammer", "amount", "auction", "body", "drive", "area", "spec", "range",
}
UNIT_WORDS = ("gbp", "eur", "usd", "mi", "km", "miles")


def _simple(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (name or "").lower()).split())


def mapping_suggest(header: list[str]) -> dict:
    """A first guess at the mapping from the column names: exact names win over names that
    contain one of ours, earlier synonyms over later ones, and each column is used once."""
    candidates = []  # (how good, field, column)
    simple = {column: _simple(column) for column in header if column and header.count(column) == 1}
    # "Price (GBP)" and "Odometer (km)" are Price and Odometer.
    unitless = {column: " ".join(w for w in name.split() if w not in UNIT_WORDS) for column, name in simple.items()}
    for name, synonyms in SYNONYMS.items():
        for rank, synonym in enumerate(synonyms):
            for column, plain in simple.items():
                if plain == synonym or unitless[column] == synonym:
                    candidates.append(((0, rank, len(plain)), name, column))
                elif synonym not in NOT_INSIDE and len(synonym) > 2 and re.search(rf"\b{re.escape(synonym)}\b", plain):
                    candidates.append(((1, rank, len(plain)), name, column))
    mapping: dict = {}
    used: set[str] = set()
    for _, name, column in sorted(candidates, key=lambda c: c[0]):
        if name in mapping or column in used:
            continue
        mapping[name] = column
        used.add(column)
    for name in ("currency", "source"):
        if name in mapping:
            mapping[name] = {"column": mapping[name]}
    if "mileage" in mapping and any(word in _simple(mapping["mileage"]).split() for word in KM_NAMES):
        mapping["mileage_unit"] = "km"
    return mapping


# --- The file as a table ---------------------------------------------------------------------


def _text(value) -> str:
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
                    self.header = [_text(v) for v in values]
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
                found.append([_text(v) for v in values[: len(self.header)]])
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


# --- One row -----------------------------------------------------------------------------------


class Bad(Exception):
    """A cell that cannot be read; the message is the reason."""


_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _number(value, what: str) -> Decimal:
    if isinstance(value, bool):
        raise Bad(f"“{value}” is not {what}.")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        if not number.is_finite():
            raise Bad(f"“{value}” is not {what}.")
        return number
    text = _SPACES.sub("", str(value))
    if not _NUMBER.fullmatch(text):
        raise Bad(f"“{_text(value)}” is not {what}.")
    return Decimal(text.replace(",", ""))


def _tidy(value) -> str:
    text = " ".join(_text(value).split())
    return text.title() if text.islower() or text.isupper() else text


def _limit(name: str, text: str) -> str:
    if len(text) > LENGTHS[name]:
        raise Bad(f"{LABELS[name].split(' (')[0]} is longer than {LENGTHS[name]} characters.")
    return text


def _attribute(value, table: dict[str, str]) -> str:
    return vocabulary.word(_text(value), table)


def _make(value) -> str:
    text = _text(value)
    if not text:
        raise Bad("Make is empty: every sale needs one.")
    return _limit("make", vocabulary.make(text))


def _model(value) -> str:
    text = _text(value)
    if not text:
        raise Bad("Model is empty: every sale needs one.")
    return _limit("model", vocabulary.model(text))


MONTHS = {
    name: number for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")], start=1) for name in names
}
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?: .*)?")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ \-]([A-Za-z]{3,9})\.?,?[ \-](\d{4})(?: .*)?")
_MONTH_NAME_DAY = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})(?: .*)?")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
DATE_HELP = "write it as 2024-03-05, 05/03/2024, 05-03-2024 or 5 Mar 2024"


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # a two-digit year is this century unless that would be in the future
        year += 2000 if year <= date.today().year % 100 else 1900
    return year


def parse_date(value, date_format: str = "") -> date:
    """A sale date from a cell: a date from the workbook, an Excel day number, ISO, the
    given format, or day first (UK files: 05/03/2024 is the 5th of March)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 10_000 <= value <= 2_958_465:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise Bad(f"“{_text(value)}” is not a date: {DATE_HELP}.")
    text = " ".join(str(value).split())
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            if not _ISO.fullmatch(text):
                shown = date(2024, 3, 25).strftime(date_format)
                raise Bad(
                    f"“{text}” does not match the date format of this import ({date_format}, as in {shown})."
                ) from None
    try:
        if match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := _DAY_FIRST.fullmatch(text):
            day, month = int(match[1]), int(match[2])
            if month > 12 and day <= 12:
                raise Bad(
                    f"“{text}” has no month {month}: dates are read day first (dd/mm/yyyy). "
                    "If the file writes the month first, choose that date format."
                )
            return date(_full_year(match[3]), month, day)
        if match := _DAY_MONTH_NAME.fullmatch(text):
            month = MONTHS.get(match[2].lower())
            if month:
                return date(int(match[3]), month, int(match[1]))
        if match := _MONTH_NAME_DAY.fullmatch(text):
            month = MONTHS.get(match[1].lower())
            if month:
                return date(int(match[3]), month, int(match[2]))
        if _SERIAL.fullmatch(text):
            return parse_date(float(text))
    except ValueError:
        raise Bad(f"“{text}” is not a real date.") from None
    raise Bad(f"“{text}” is not a date: {DATE_HELP}.")


@dataclass
class Row:
    """A row read: the fact's fields, or the problems that stop it being one."""

    number: int
    fact: dict | None
    problems: list[dict]


class RowReader:
    """Reads the rows of one file with one mapping, in order, once: a pass over the file
    takes a reader of its own, since the sales without a reference are told apart by how
    often the same sale came before in the file. Cells that repeat (makes, models, dates,
    words) are read once and remembered: a file of 100,000 sales has a few hundred of each."""

    CACHE_LIMIT = 100_000

    def __init__(self, mapping: Mapping, header: list[str], *, currency: str, today: date):
        self.mapping = mapping
        self.currency = currency
        self.today = today
        self.max_year = today.year + 1
        self.index = {name: header.index(column) for name, column in mapping.columns.items()}
        self.position = {column: header.index(column) for column in mapping.columns.values()}
        self.columns = mapping.columns
        self.width = len(header)
        self._caches: dict[str, dict] = {}
        self._occurrences: dict[tuple[str, str], int] = {}  # (source, fingerprint): rows so far
        date_format = mapping.date_format
        self._readers = {
            "make": _make, "model": _model,
            "trim": lambda v: _limit("trim", " ".join(_text(v).split())),
            "year": self._year,
            "sale_date": lambda v: self._sale_date(parse_date(v, date_format)),
            "colour": lambda v: _limit("colour", _tidy(v)),
            "region": lambda v: _limit("region", _tidy(v)),
            "source": self._source,
            "mileage_unit": self._unit,
            "currency": self._currency,
            **{name: partial(_attribute, table=table) for name, table in ATTRIBUTE_TABLES.items()},
        }
        # Optional cells, read only when they hold something.
        self._optional = [name for name in ("trim", "year", "sale_date", "condition", "fuel", "transmission", "drive",
                                            "body_type", "colour", "region") if name in self.index]

    def _cached(self, name: str, value):
        cache = self._caches.setdefault(name, {})
        try:
            found = cache[value]
        except KeyError:
            try:
                found = (True, self._readers[name](value))
            except Bad as exc:
                found = (False, str(exc))
            if len(cache) < self.CACHE_LIMIT:
                cache[value] = found
        except TypeError:  # an unhashable cell
            found = (True, self._readers[name](value))
        if not found[0]:
            raise Bad(found[1])
        return found[1]

    def _identity(self, fact: dict) -> str:
        """The fingerprint, and for the second and later identical rows of the file their
        place among them: two cars of one model sold for one price on one day are two
        sales, and reading the file again finds each of them again."""
        sale = fingerprint(fact)
        key = (fact["source"], sale)
        seen = self._occurrences[key] = self._occurrences.get(key, 0) + 1
        return sale if seen == 1 else f"{sale}:{seen}"

    def _year(self, value) -> int:
        if isinstance(value, (datetime, date)):
            year = value.year
        else:
            text = _text(value)
            if re.fullmatch(r"\d{4}(?:\.0+)?", text):
                year = int(float(text))
            else:
                try:
                    year = parse_date(text).year  # a first-registration date
                except Bad:
                    raise Bad(f"“{text}” is not a year.") from None
        if year < MIN_YEAR:
            raise Bad(f"Year {year} is before {MIN_YEAR}.")
        if year > self.max_year:
            raise Bad(f"Year {year} is after {self.max_year}.")
        return year

    def _sale_date(self, day: date) -> date:
        if day < MIN_SALE_DATE:
            raise Bad(f"Sale date {day:%d/%m/%Y} is before {MIN_YEAR}.")
        if day > self.today:
            raise Bad(f"Sale date {day:%d/%m/%Y} is in the future.")
        return day

    def _source(self, value) -> str:
        text = " ".join(_text(value).split())
        if not text:
            raise Bad("Source is empty: say where the sale happened.")
        if text.lower() == OWN_SOURCE.lower():
            raise Bad(f"“{OWN_SOURCE}” is the group's own sales, which come in by themselves.")
        return _limit("source", text)

    def _unit(self, value) -> str:
        text = _text(value)
        unit = UNITS.get(text.lower())
        if unit is None:
            raise Bad(f"“{text}” is not a mileage unit: use mi (miles) or km (kilometres).")
        return unit

    def _currency(self, value) -> str:
        text = _text(value)
        code = SYMBOLS.get(text, text.upper())
        if not code:
            raise Bad(f"Currency is empty: give a currency code such as {self.currency}.")
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise Bad(f"“{text}” is not a currency code such as {self.currency}.")
        return code

    def _price(self, value, currency: str) -> Decimal:
        written = None
        if isinstance(value, str):
            text = value.strip()
            if text[:1] in SYMBOLS:
                written, text = SYMBOLS[text[0]], text[1:]
            elif text[-1:] in SYMBOLS:
                written, text = SYMBOLS[text[-1]], text[:-1]
            elif match := re.fullmatch(r"([A-Za-z]{3})\s*(.+)|(.+?)\s*([A-Za-z]{3})", text):
                written, text = (match[1] or match[4]).upper(), match[2] or match[3]
            if not text.strip():
                raise Bad("Price is empty: every sale needs one.")
            try:
                price = _number(text, "a price")
            except Bad:
                raise Bad(f"“{value.strip()}” is not a price.") from None
        elif value is None:
            raise Bad("Price is empty: every sale needs one.")
        else:
            price = _number(value, "a price")
        if written and written != currency:
            raise Bad(f"“{_text(value)}” is in {written} but this row's currency is {currency}.")
        if currency != self.currency:
            price = price * self.mapping.rates[currency]
        price = price.quantize(PENNY, rounding=ROUND_HALF_UP)
        if price <= 0:
            raise Bad("Price must be more than 0.")
        if price > MAX_PRICE:
            raise Bad(f"Price {price:,.2f} {self.currency} is over the limit of {MAX_PRICE:,.0f}.")
        return price

    def _mileage(self, value, unit: str) -> int:
        if isinstance(value, str):
            match = re.fullmatch(r"(.*?)\s*(miles|mile|mi|kms|km|kilometres|kilometers)\.?", value.strip(), re.IGNORECASE)
            if match:  # the cell says its unit: that wins over the file's
                value, unit = match[1], UNITS[match[2].lower()]
        number = _number(value, "a mileage")
        if number < 0:
            raise Bad("Mileage cannot be negative.")
        miles = vocabulary.miles(float(number), unit)
        if miles >= MAX_MILES:
            raise Bad(f"Mileage {miles:,} miles is not believable (the limit is {MAX_MILES - 1:,}).")
        return miles

    def _either(self, name: str, cell, bad):
        """A value given once for the file, or read from this row's column (None if bad)."""
        if name not in self.index:
            return self.mapping.fixed[name]
        try:
            return self._cached(name, cell(name))
        except Bad as exc:
            bad(name, str(exc))
            return None

    def read(self, number: int, values) -> Row:
        problems: list[dict] = []
        fact: dict = {"kind": self.mapping.kind}
        width = len(values)
        # A NUL character is no text a sale is written in (a damaged file, or one read in
        # the wrong encoding), and PostgreSQL refuses to store one: the cell is bad.
        damaged = {
            name for name, i in self.index.items() if i < width and isinstance(values[i], str) and "\x00" in values[i]
        }

        def cell(name):
            i = self.index[name]
            return values[i] if i < width and name not in damaged else None

        def bad(name: str, reason: str) -> None:
            if name not in damaged:  # reported once, for its NUL
                problems.append({"row": number, "column": self.columns[name], "reason": reason})

        for name in damaged:
            problems.append({"row": number, "column": self.columns[name],
                             "reason": "The cell holds a NUL character: the file may be damaged. Save it again as CSV UTF-8 or XLSX."})

        for name in ("make", "model"):
            try:
                fact[name] = self._cached(name, cell(name))
            except Bad as exc:
                bad(name, str(exc))

        fact["source"] = self._either("source", cell, bad)
        currency = self._either("currency", cell, bad)
        if currency is not None:
            if currency != self.currency and currency not in self.mapping.rates:
                bad("currency", f"Prices in {currency} are not imported: I-fixit keeps prices in {self.currency}, "
                                f"and the import has no rate for {currency}.")
            else:
                try:
                    fact["price"] = self._price(cell("price"), currency)
                except Bad as exc:
                    bad("price", str(exc))

        fact["mileage"] = None
        if "mileage" in self.index:
            value = cell("mileage")
            unit = self._either("mileage_unit", cell, bad) if _text(value) else None
            if unit is not None:
                try:
                    fact["mileage"] = self._mileage(value, unit)
                except Bad as exc:
                    bad("mileage", str(exc))

        for name in ("trim", "condition", "fuel", "transmission", "drive", "body_type", "colour", "region"):
            fact[name] = ""
        fact["year"] = fact["sale_date"] = None
        for name in self._optional:
            value = cell(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                fact[name] = self._cached(name, value)
            except Bad as exc:
                bad(name, str(exc))

        ref = None
        if "ref" in self.index:
            ref = " ".join(_text(cell("ref")).split())
            if not ref:
                bad("ref", "Reference is empty: each row of this file needs its id.")
            elif len(ref) > LENGTHS["ref"]:
                bad("ref", f"Reference is longer than {LENGTHS['ref']} characters.")

        if problems:
            problems.sort(key=lambda problem: self.position[problem["column"]])  # as the file's columns run
            return Row(number, None, problems)
        fact["source_ref"] = ref or self._identity(fact)
        age = fact["sale_date"].year - fact["year"] if fact["sale_date"] and fact["year"] else None
        fact["age_band"] = age_band(age)
        fact["mileage_band"] = mileage_band(fact["mileage"])
        return Row(number, fact, [])


def fingerprint(fact: dict) -> str:
    """The sale's identity when its source gave it no id: its normalised content, never
    where it sat in the file."""
    content = "\x1f".join("" if fact[name] is None else str(fact[name]) for name in FINGERPRINT_FIELDS)
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()
