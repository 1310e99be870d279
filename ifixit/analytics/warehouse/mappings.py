"""The fields I-fixit imports from a file of historical sales, and a file's mapping to
them: checked against the file's header (mapping_parse), or first guessed from its column
names (mapping_suggest). No database in sight.

A mapping says, for each I-fixit field, which of the file's columns holds it:

    {"make": "Manufacturer", "model": "Model", "price": "Hammer price", "sale_date": "Sale date",
     "mileage": "Odometer", "mileage_unit": "km", "source": "BCA", "kind": "auction"}

Mileage unit, currency and source are either one value for every row (a string, as above)
or a column ({"column": "Auction house"}). Prices are kept in settings.CURRENCY; a file in
another currency needs a rate ("rate": "0.86", units of settings.CURRENCY per unit of the
file's fixed currency, or {"EUR": "0.86", "USD": "0.79"} for a currency column). "kind" is
"auction" or "retail". "date_format" (strptime, e.g. "%m/%d/%Y") reads dates that are
neither ISO nor day first. "ref" names a column holding the row's own id at its source.

Files that do not give make and model in columns of their own:
- one make for the whole file ({"make": {"value": "Toyota"}}: a dealer's or a make's own file);
- make, model and trim in one column ({"make_model": "name"}, as in "Maruti Swift Dzire VDI"):
  the make is the longest known make the text starts with ("Land Rover Discovery Sport ..."),
  else its first word; the model is the next word, the trim the rest.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ifixit.analytics.models import OWN_SOURCE

# Fields read from a column of the file.
COLUMN_FIELDS = (
    "make", "model", "trim", "year", "mileage", "price", "sale_date", "condition", "fuel", "transmission", "drive",
    "body_type", "colour", "region", "ref",
)
# Fields given once for the whole file, or read from a column.
EITHER_FIELDS = ("mileage_unit", "currency", "source")
# Settings of the whole file.
FILE_FIELDS = ("kind", "rate", "date_format")
# A column holding make, model and trim in one ("Maruti Swift Dzire VDI"): instead of make and model.
COMBINED_FIELDS = ("make_model",)
FIELDS = COLUMN_FIELDS + EITHER_FIELDS + FILE_FIELDS + COMBINED_FIELDS
REQUIRED_COLUMNS = ("make", "model", "price")
KINDS = ("auction", "retail")

LABELS = {
    "make": "Make", "model": "Model", "trim": "Trim", "year": "Year", "mileage": "Mileage", "price": "Price",
    "sale_date": "Sale date", "condition": "Condition", "fuel": "Fuel", "transmission": "Transmission",
    "drive": "Drive", "body_type": "Body type", "colour": "Colour", "region": "Region",
    "ref": "Reference (the sale's id at its source)", "mileage_unit": "Mileage unit", "currency": "Currency",
    "source": "Source", "kind": "Kind", "rate": "Exchange rate", "date_format": "Date format",
    "make_model": "Make, model and trim in one column",
}
# Longest value each text field of SaleFact holds.
LENGTHS = {"make": 50, "model": 50, "trim": 80, "colour": 30, "region": 50, "source": 100, "ref": 120}
UNITS = {"mi": "mi", "mile": "mi", "miles": "mi", "km": "km", "kms": "km", "kilometres": "km", "kilometers": "km"}
SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD"}


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
    make: str = ""  # one make for every row, when the file has no make column

    @property
    def combined(self) -> bool:
        """Make, model and trim are read from one column."""
        return "make_model" in self.columns

    def to_json(self) -> dict:
        """The canonical form stored on the batch (mapping_parse reads it back)."""
        data: dict = dict(self.columns)
        if self.make:
            data["make"] = {"value": self.make}
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
    make = ""
    for name in COLUMN_FIELDS + EITHER_FIELDS + COMBINED_FIELDS:
        value = raw.get(name)
        if value is None or value == "" or value == {}:
            continue
        if name == "make" and isinstance(value, dict) and set(value) == {"value"} and isinstance(value["value"], str):
            make = value["value"].strip()
            if not make:
                errors["make"] = "Give the make of every row of the file, or choose the column that holds it."
            elif len(make) > LENGTHS["make"]:
                errors["make"] = f"A make has at most {LENGTHS['make']} characters."
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

    if "make_model" in columns:
        for name in ("make", "model", "trim"):
            if name in columns or (name == "make" and make):
                errors[name] = f"The {LABELS[name].lower()} is read from “{columns['make_model']}” (make_model): remove it."
    for name in REQUIRED_COLUMNS:
        given = name in columns or (name == "make" and make) or (name in ("make", "model") and "make_model" in columns)
        if not given and name not in errors:
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
    return Mapping(columns=columns, fixed=fixed, kind=kind, rates=rates, date_format=date_format, make=make)


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
