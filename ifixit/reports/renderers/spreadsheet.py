"""A report as an XLSX workbook: typed cells (numbers are numbers, dates are dates) with
number formats in the group's currency, the parameters above the table, a frozen and
filtered header, streamed out row by row."""

import io
import re
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter

from ifixit.money import symbol
from ifixit.reports.catalogue import DATE, DAYS, DECIMAL, INT, MONEY, PERCENT, Report, Result
from ifixit.reports.renderers.layout import generated_label, naive_local, totals_row

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_ITALIC = Font(italic=True, color="5F6B7A")
_HEADER_FILL = PatternFill("solid", fgColor="E9EDF2")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="5F6B7A"))
_TOTALS_BORDER = Border(top=Side(style="thin", color="5F6B7A"))
_WRAP = Alignment(wrap_text=True, vertical="top")


def _number_format(kind: str) -> str | None:
    return {
        MONEY: f'"{symbol()}"#,##0.00',
        PERCENT: "0.0%",
        INT: "#,##0",
        DAYS: "#,##0",
        DECIMAL: "#,##0.0#",
        DATE: "dd/mm/yyyy",
    }.get(kind)


def _xlsx_value(value):
    if isinstance(value, datetime):
        return naive_local(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _shown_width(kind: str, value) -> int:
    """Roughly how many characters a cell shows, for the column width."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if kind == MONEY:
        return len(symbol()) + len(f"{value:,.2f}")
    if kind == PERCENT:
        return len(f"{value:.1%}")
    if kind == DATE:
        return 16 if isinstance(value, datetime) else 10
    if kind in (INT, DAYS):
        return len(f"{value:,}")
    return len(str(value))


def _sheet_title(title: str) -> str:
    return (_SHEET_TITLE_FORBIDDEN.sub(" ", title).strip() or "Report")[:31]


def render_xlsx(*, report: Report, result: Result, parameters, generated_at) -> bytes:
    # Write-only mode streams rows out as they come: a 20,000-row report in a few seconds
    # and without a cell object per value kept in memory. Sheet settings (widths, frozen
    # panes) must therefore be set before the first row.
    wb = Workbook(write_only=True)
    wb.properties.title = report.title
    wb.properties.creator = "I-fixit"
    ws = wb.create_sheet(_sheet_title(report.title))
    columns = result.columns
    totals = totals_row(result)

    def cell(value, font=None, number_format=None, fill=None, border=None, alignment=None):
        c = WriteOnlyCell(ws, value=_xlsx_value(value))
        if isinstance(value, str):
            c.data_type = "s"  # text such as "=A1" from a person stays text, never a formula
        if font is not None:
            c.font = font
        if number_format is not None:
            c.number_format = number_format
        if fill is not None:
            c.fill = fill
        if border is not None:
            c.border = border
        if alignment is not None:
            c.alignment = alignment
        return c

    preamble = [[cell(report.title, _TITLE)]]
    preamble += [[cell(label, _BOLD), cell(value)] for label, value in parameters]
    preamble += [[cell("Generated", _BOLD), cell(generated_label(generated_at))], []]
    header_row = len(preamble) + 1
    first_data_row = header_row + 1
    last_data_row = header_row + len(result.rows)

    sample = result.rows[:1000]
    for i, column in enumerate(columns, start=1):
        widest = max([len(column.label)] + [_shown_width(column.kind, row.get(column.key)) for row in sample])
        if totals is not None:
            widest = max(widest, _shown_width(column.kind, totals[i - 1]))
        ws.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 8), 60)
    ws.freeze_panes = f"A{first_data_row}"
    ws.auto_filter = AutoFilter(ref=f"A{header_row}:{get_column_letter(len(columns))}{max(last_data_row, header_row)}")

    for line in preamble:
        ws.append(line)
    ws.append([cell(c.label, _BOLD, fill=_HEADER_FILL, border=_HEADER_BORDER, alignment=_WRAP) for c in columns])

    # One styled cell per column, its value replaced row after row: append writes the row
    # out at once, and styling 240,000 fresh cells would be most of the time spent here.
    formats = [_number_format(c.kind) for c in columns]
    templates = [cell(None, number_format=f) if f else None for f in formats]
    keys = [c.key for c in columns]
    for row in result.rows:
        out = []
        for key, template in zip(keys, templates):
            value = row.get(key)
            if isinstance(value, str):
                out.append(cell(value) if value.startswith("=") else _xlsx_value(value))
            elif value is None or template is None:
                out.append(_xlsx_value(value))
            else:
                template.value = _xlsx_value(value)
                out.append(template)
        ws.append(out)

    if totals is not None:
        ws.append(
            [
                cell(value, _BOLD, number_format=None if isinstance(value, str) else fmt, border=_TOTALS_BORDER)
                for value, fmt in zip(totals, formats)
            ]
        )
    if result.notes:
        ws.append([])
        for note in result.notes:
            ws.append([cell(note, _ITALIC)])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
