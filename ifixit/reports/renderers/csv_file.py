"""A report as CSV, for other programs: raw values a program reads back without guessing
(the rules are in the package's docstring), UTF-8 with a byte-order mark, the totals row last."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from ifixit.money import currency, to_cents
from ifixit.reports.catalogue import DAYS, DECIMAL, INT, MONEY, PERCENT, Column, Report, Result
from ifixit.reports.renderers.layout import naive_local, totals_row

# A spreadsheet runs a field starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_label(column: Column) -> str:
    if column.kind == MONEY:
        return f"{column.label} ({currency()})"
    if column.kind == PERCENT:
        return f"{column.label} (%)"
    return column.label


def _plain_decimal(value) -> Decimal:
    # str() first: Decimal(0.1) would carry the float's binary noise into the file.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _csv_value(kind: str, value) -> str:
    if value is None or value == "":
        return ""
    if kind == MONEY and not isinstance(value, str):
        return f"{to_cents(_plain_decimal(value)):f}"
    if kind == PERCENT and not isinstance(value, str):
        return f"{(_plain_decimal(value) * 100).quantize(Decimal('0.1')):f}"
    if kind in (INT, DAYS) and not isinstance(value, str):
        # A count is whole; should a fraction come, it is written as it is, never cut off.
        return str(int(value)) if value == int(value) else f"{_plain_decimal(value):f}"
    if kind == DECIMAL and not isinstance(value, str):
        return f"{_plain_decimal(value):f}"
    if isinstance(value, datetime):
        return naive_local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def render_csv(*, report: Report, result: Result, parameters, generated_at) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = result.columns
    kinds = [c.kind for c in columns]
    keys = [c.key for c in columns]
    writer.writerow([_csv_label(c) for c in columns])
    writer.writerows([_csv_value(kind, row.get(key)) for kind, key in zip(kinds, keys)] for row in result.rows)
    totals = totals_row(result)
    if totals is not None:
        writer.writerow([_csv_value(kind, value) for kind, value in zip(kinds, totals)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
