"""One row of a file of historical sales read into a sale fact with a checked mapping, with
no database in sight: imports.py stores what this module reads.

Every bad cell is reported as the user sees it in a spreadsheet: the row number (the
header is row 1 when it is the first line), the file's column name and a reason in plain
English. A fact is identified by its source and a reference: the "ref" column when there
is one, otherwise a fingerprint of the row's normalised content, so the same sale read
again (from the same file or another) is recognised whatever line it is on. Identical rows
in one file are separate sales: the second and later carry their count after the
fingerprint ("sha256:…:2"), so a file read again still adds nothing.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from ifixit import vocabulary
from ifixit.analytics.models import OWN_SOURCE, age_band, mileage_band
from ifixit.analytics.warehouse.mappings import LABELS, LENGTHS, SYMBOLS, UNITS, Mapping
from ifixit.analytics.warehouse.tables import cell_text

# Model years from 1900, as the inventory takes them: classic cars are sold too.
MIN_YEAR = 1900
MIN_SALE_DATE = date(1950, 1, 1)
MAX_PRICE = Decimal("10000000")
MAX_MILES = 1_000_000
PENNY = Decimal("0.01")
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
        raise Bad(f"“{cell_text(value)}” is not {what}.")
    return Decimal(text.replace(",", ""))


def _tidy(value) -> str:
    text = " ".join(cell_text(value).split())
    return text.title() if text.islower() or text.isupper() else text


def _limit(name: str, text: str) -> str:
    if len(text) > LENGTHS[name]:
        raise Bad(f"{LABELS[name].split(' (')[0]} is longer than {LENGTHS[name]} characters.")
    return text


def _attribute(value, table: dict[str, str]) -> str:
    return vocabulary.word(cell_text(value), table)


def _make(value) -> str:
    text = cell_text(value)
    if not text:
        raise Bad("Make is empty: every sale needs one.")
    return _limit("make", vocabulary.make(text))


def _make_model(value) -> tuple[str, str, str]:
    text = cell_text(value)
    if not text:
        raise Bad("Make and model are empty: every sale needs them.")
    make, model, trim = vocabulary.split_make_model(text)
    if not model:
        raise Bad(f"“{text}” names no model after its make.")
    return _limit("make", make), _limit("model", model), _limit("trim", trim)


def _model(value) -> str:
    text = cell_text(value)
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
        raise Bad(f"“{cell_text(value)}” is not a date: {DATE_HELP}.")
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
            "make": _make, "model": _model, "make_model": _make_model,
            "trim": lambda v: _limit("trim", " ".join(cell_text(v).split())),
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
            text = cell_text(value)
            if re.fullmatch(r"\d{4}(?:\.0+)?", text):
                year = int(float(text))
            else:
                try:
                    year = parse_date(text).year  # a first-registration date
                except Bad:
                    raise Bad(f"“{text}” is not a year.") from None
        if year < MIN_YEAR:
            raise Bad(f"Year {year} is before {MIN_YEAR} (classic cars from {MIN_YEAR} are taken).")
        if year > self.max_year:
            raise Bad(f"Year {year} is after {self.max_year}.")
        return year

    def _sale_date(self, day: date) -> date:
        if day < MIN_SALE_DATE:
            raise Bad(f"Sale date {day:%d/%m/%Y} is before {MIN_SALE_DATE.year}.")
        if day > self.today:
            raise Bad(f"Sale date {day:%d/%m/%Y} is in the future.")
        return day

    def _source(self, value) -> str:
        text = " ".join(cell_text(value).split())
        if not text:
            raise Bad("Source is empty: say where the sale happened.")
        if text.lower() == OWN_SOURCE.lower():
            raise Bad(f"“{OWN_SOURCE}” is the group's own sales, which come in by themselves.")
        return _limit("source", text)

    def _unit(self, value) -> str:
        text = cell_text(value)
        unit = UNITS.get(text.lower())
        if unit is None:
            raise Bad(f"“{text}” is not a mileage unit: use mi (miles) or km (kilometres).")
        return unit

    def _currency(self, value) -> str:
        text = cell_text(value)
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
            raise Bad(f"“{cell_text(value)}” is in {written} but this row's currency is {currency}.")
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

        if self.mapping.make:
            fact["make"] = self._cached("make", self.mapping.make)
        for name in ("make", "model"):
            if name not in self.index:  # one make for the file, or make and model in one column
                continue
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
            unit = self._either("mileage_unit", cell, bad) if cell_text(value) else None
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
        if self.mapping.combined:
            try:
                fact["make"], fact["model"], fact["trim"] = self._cached("make_model", cell("make_model"))
            except Bad as exc:
                bad("make_model", str(exc))
        if fact["year"] and fact["sale_date"] and fact["year"] > fact["sale_date"].year + 1:
            bad("year", f"Year {fact['year']} is after the sale ({fact['sale_date']:%d/%m/%Y}): a car sells "
                        "at most a model year ahead.")

        ref = None
        if "ref" in self.index:
            ref = " ".join(cell_text(cell("ref")).split())
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
