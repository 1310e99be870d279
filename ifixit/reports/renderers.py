"""A report's Result as a file: CSV for other programs, XLSX for spreadsheets, PDF to print
or send. Every format has the same columns, rows and totals row; only the presentation
differs.

CSV holds raw values a program can read back without guessing: UTF-8 with a byte-order
mark (so Excel reads £ and € right), dates as ISO 8601 (2026-11-24), money as plain
decimals with two places and no symbol ("1234.50", "-80.00"; the currency is in the
header: "Price (GBP)"), percentages as percentage points with one decimal ("12.5", the
header says "Margin (%)"), counts and days as integers, other decimals with the places
they have ("14.5"), nothing as an empty field. Text that starts with = + - @ gets a
leading apostrophe so a spreadsheet opening the file does not run it as a formula. The totals row, when the report has one, is last, labelled
"Total"; notes are left out so the file stays one table.

XLSX cells are typed (numbers are numbers, dates are dates) with number formats in the
group's currency; PDF shows the values as people read them (£1,234.50, 12.5%,
24/11/2026).
"""

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from ifixit.money import currency, format_money, symbol, to_cents
from ifixit.reports.catalogue import DATE, DAYS, DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Report, Result


@dataclass(frozen=True)
class Format:
    label: str
    content_type: str
    extension: str


FORMATS = {
    "csv": Format("CSV", "text/csv; charset=utf-8", "csv"),
    "xlsx": Format("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": Format("PDF", "application/pdf", "pdf"),
}

TOTAL_LABEL = "Total"
NUMERIC = frozenset({INT, MONEY, PERCENT, DAYS, DECIMAL})


def render(
    fmt: str, *, report: Report, result: Result, parameters: list[tuple[str, str]], generated_at: datetime
) -> bytes:
    """The file's bytes; `parameters` are the lines Params.describe gives, shown in the
    XLSX and PDF headers."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValidationError({"format": f"There is no format {fmt!r}; choose one of {', '.join(FORMATS)}."}) from None
    if timezone.is_aware(generated_at):
        generated_at = timezone.localtime(generated_at)
    return renderer(report=report, result=result, parameters=parameters, generated_at=generated_at)


def _totals_row(result: Result) -> list | None:
    """The totals as one row of values, "Total" in the first column that has no figure."""
    totals = result.totals
    if totals is None:
        return None
    values = [totals.get(c.key) for c in result.columns]
    label_at = next((i for i, c in enumerate(result.columns) if totals.get(c.key) is None), None)
    if label_at is not None:
        values[label_at] = TOTAL_LABEL
    return values


def _local(value: datetime) -> datetime:
    """Naive local time: how a person reads it, and all a spreadsheet cell can hold."""
    if timezone.is_aware(value):
        value = timezone.make_naive(value)
    return value


def _generated(generated_at: datetime) -> str:
    return f"{generated_at:%d %b %Y %H:%M}"


# --- CSV -------------------------------------------------------------------------------------

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
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _render_csv(*, report: Report, result: Result, parameters, generated_at) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = result.columns
    kinds = [c.kind for c in columns]
    keys = [c.key for c in columns]
    writer.writerow([_csv_label(c) for c in columns])
    writer.writerows([_csv_value(kind, row.get(key)) for kind, key in zip(kinds, keys)] for row in result.rows)
    totals = _totals_row(result)
    if totals is not None:
        writer.writerow([_csv_value(kind, value) for kind, value in zip(kinds, totals)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------

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
        return _local(value)
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


def _render_xlsx(*, report: Report, result: Result, parameters, generated_at) -> bytes:
    # Write-only mode streams rows out as they come: a 20,000-row report in a few seconds
    # and without a cell object per value kept in memory. Sheet settings (widths, frozen
    # panes) must therefore be set before the first row.
    wb = Workbook(write_only=True)
    wb.properties.title = report.title
    wb.properties.creator = "I-fixit"
    ws = wb.create_sheet(_sheet_title(report.title))
    columns = result.columns
    totals = _totals_row(result)

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
    preamble += [[cell("Generated", _BOLD), cell(_generated(generated_at))], []]
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


# --- PDF -------------------------------------------------------------------------------------

INK = colors.HexColor("#1c2430")
ACCENT = colors.HexColor("#ffd500")
BRAND = colors.HexColor("#0b5cad")
MUTED = colors.HexColor("#5f6b7a")
HEADER_FILL = colors.HexColor("#e9edf2")
STRIPE = colors.HexColor("#f4f5f7")

# Page geometry. Every body row is one line of PDF_FONT_SIZE text, PDF_ROW_HEIGHT high
# (long text is cut to fit its column), so how many rows a page holds is arithmetic.
PDF_MARGIN = 12 * mm
PDF_TOP_MARGIN = 24 * mm  # under the branded band
PDF_BOTTOM_MARGIN = 15 * mm  # above the footer
PDF_BAND_HEIGHT = 14 * mm
PDF_FONT = "Helvetica"
PDF_BOLD = "Helvetica-Bold"
PDF_FONT_SIZE = 7.5
PDF_ROW_HEIGHT = 12
PDF_HEADER_LEADING = 9
PDF_CELL_PAD_X = 3
PDF_CELL_PAD_Y = 3
PDF_LANDSCAPE_ABOVE = 7  # columns
CHART_MAX_BARS = 30
CHART_MAX_POINTS = 400


def pdf_page_size(columns: list[Column]) -> tuple[float, float]:
    return landscape(A4) if len(columns) > PDF_LANDSCAPE_ABOVE else A4


def pdf_header_height(lines: int) -> float:
    return lines * PDF_HEADER_LEADING + 2 * PDF_CELL_PAD_Y


def pdf_rows_per_page(columns: list[Column], header_lines: int = 1) -> int:
    """Body rows on a page the table starts at the top of (every page after the first)."""
    height = pdf_page_size(columns)[1] - PDF_TOP_MARGIN - PDF_BOTTOM_MARGIN
    return int((height - pdf_header_height(header_lines) + 0.001) // PDF_ROW_HEIGHT)


def _pdf_text(kind: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if kind == MONEY:
        return format_money(value, 2)
    if kind == PERCENT:
        return f"{value:.1%}"
    if kind in (INT, DAYS):
        return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"
    if kind == DECIMAL:
        text = f"{value:,.2f}"  # as the XLSX format #,##0.0# shows it: 14.5, 4.23, 3.0
        return text[:-1] if text.endswith("0") else text
    if isinstance(value, datetime):
        return f"{_local(value):%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _fit(text: str, width: float, font: str, size: float = PDF_FONT_SIZE) -> str:
    """`text` cut with an ellipsis to fit `width` points."""
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


def _column_widths(
    columns: list[Column], body: list[list[str]], totals: list[str] | None, available: float
) -> list[float]:
    """Numbers and dates get room for their widest value; text columns share what is left,
    in proportion to what they would like, and are cut to fit."""
    pad = 2 * PDF_CELL_PAD_X
    lines = body + ([totals] if totals else [])
    wanted, least = [], []
    for i, column in enumerate(columns):
        values = max(
            (stringWidth(line[i], PDF_BOLD if line is totals else PDF_FONT, PDF_FONT_SIZE) for line in lines), default=0
        )
        label = stringWidth(column.label, PDF_BOLD, PDF_FONT_SIZE)
        longest_word = max(stringWidth(w, PDF_BOLD, PDF_FONT_SIZE) for w in column.label.split() or [""])
        wanted.append(max(values, label) + pad)
        least.append(max(values if column.kind != TEXT else min(values, 40), longest_word) + pad)
    if sum(wanted) <= available:
        spare = (available - sum(wanted)) / len(columns)
        return [w + spare for w in wanted]
    fixed = sum(least[i] for i, c in enumerate(columns) if c.kind != TEXT)
    text = [i for i, c in enumerate(columns) if c.kind == TEXT]
    room = available - fixed
    if not text or room < sum(least[i] for i in text):
        # Too many columns even with text at its narrowest: everything shrinks alike.
        scale = available / sum(least)
        return [w * scale for w in least]
    widths = list(least)
    # Text columns grow from their least towards what they want, sharing the room left.
    extra = room - sum(least[i] for i in text)
    growth = sum(wanted[i] - least[i] for i in text)
    for i in text:
        widths[i] += extra * (wanted[i] - least[i]) / growth if growth else extra / len(text)
    return widths


class _PagedTable(Flowable):
    """A long table cut into page-sized Tables by arithmetic. Every body row has the same
    height, so where a page ends is known without laying out what follows; reportlab's
    own Table.split re-measures the whole remainder at every page break, which is
    quadratic in the rows (minutes for 20,000)."""

    def __init__(self, *, header, rows, start, totals_at, widths, header_height, numeric):
        super().__init__()
        self.header, self.rows, self.start, self.totals_at = header, rows, start, totals_at
        self.widths, self.header_height, self.numeric = widths, header_height, numeric

    def wrap(self, available_width, available_height):
        self.width = sum(self.widths)
        self.height = self.header_height + PDF_ROW_HEIGHT * (len(self.rows) - self.start)
        return self.width, self.height

    def split(self, available_width, available_height):
        fit = int((available_height - self.header_height + 0.001) // PDF_ROW_HEIGHT)
        remaining = len(self.rows) - self.start
        if fit >= remaining:
            return [self._table(self.start, len(self.rows))]
        if remaining - fit == 1 and self.totals_at == len(self.rows) - 1:
            fit -= 1  # never the totals row alone on the last page
        if fit < 1:
            return []  # not even a row here: start on the next page
        end = self.start + fit
        rest = _PagedTable(
            header=self.header, rows=self.rows, start=end, totals_at=self.totals_at, widths=self.widths,
            header_height=self.header_height, numeric=self.numeric,
        )
        return [self._table(self.start, end), rest]

    def draw(self):
        table = self._table(self.start, len(self.rows))
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)

    def _table(self, start: int, end: int) -> Table:
        data = [self.header] + self.rows[start:end]
        style = [
            ("FONT", (0, 0), (-1, -1), PDF_FONT, PDF_FONT_SIZE),
            ("FONT", (0, 0), (-1, 0), PDF_BOLD, PDF_FONT_SIZE, PDF_HEADER_LEADING),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, MUTED),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
            ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), PDF_CELL_PAD_X),
            ("RIGHTPADDING", (0, 0), (-1, -1), PDF_CELL_PAD_X),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, 0), PDF_CELL_PAD_Y),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
        ]
        style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in self.numeric]
        if start <= self.totals_at < end:
            at = self.totals_at - start + 1
            style += [
                ("FONT", (0, at), (-1, at), PDF_BOLD, PDF_FONT_SIZE),
                ("LINEABOVE", (0, at), (-1, at), 0.6, INK),
                ("BACKGROUND", (0, at), (-1, at), colors.white),
            ]
        return Table(
            data, colWidths=self.widths, rowHeights=[self.header_height] + [PDF_ROW_HEIGHT] * (end - start),
            style=TableStyle(style), repeatRows=1, hAlign="LEFT",
        )


def _chart_label_format(kind: str) -> Callable[[float], str]:
    if kind == MONEY:
        return lambda v: format_money(v)
    if kind == PERCENT:
        return lambda v: f"{v:.0%}"
    return lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _chart(result: Result, width: float, styles: dict) -> list:
    chart = result.chart
    points = result.chart_points
    if chart is None or not points:
        return []
    kind = next((c.kind for c in result.columns if c.key == chart.value_key), DECIMAL)
    limit = CHART_MAX_POINTS if chart.kind == "line" else CHART_MAX_BARS
    caption = f"{chart.title} (the first {limit} of {len(points)})" if len(points) > limit else chart.title
    points = points[:limit]
    labels = [label for label, _ in points]
    values = [float(v) for _, v in points]
    low, high = min(values + [0.0]), max(values + [0.0])

    horizontal = chart.kind != "line" and (len(points) > 8 or max(len(lb) for lb in labels) > 14)
    if horizontal:
        label_room = min(max(stringWidth(lb, PDF_FONT, 7) for lb in labels), width * 0.4) + 8
        labels = [_fit(lb, label_room - 8, PDF_FONT, size=7) for lb in labels]
        height = len(points) * 14 + 30
        drawing = Drawing(width, height)
        plot = HorizontalBarChart()
        plot.x, plot.y, plot.width, plot.height = label_room, 20, width - label_room - 20, height - 30
        plot.categoryAxis.reverseDirection = True  # first row at the top, as in the table
        plot.categoryAxis.labels.boxAnchor = "e"
        plot.categoryAxis.labels.dx = -4
        plot.categoryAxis.joinAxisMode = "left"  # labels beside the axis, clear of bars below zero
    else:
        height = 62 * mm
        drawing = Drawing(width, height)
        plot = HorizontalLineChart() if chart.kind == "line" else VerticalBarChart()
        # A few bars stay bar-shaped rather than stretching across the page.
        plot_width = width - 70 if chart.kind == "line" else min(width - 70, max(160, 70 * len(points)))
        plot.x, plot.y, plot.width, plot.height = 55, 32, plot_width, height - 40
        plot.categoryAxis.joinAxisMode = "bottom"  # labels under the plot, clear of bars below zero
        many = len(points) > 12
        plot.categoryAxis.labels.angle = 30 if many else 0
        plot.categoryAxis.labels.boxAnchor = "ne" if many else "n"
        if len(points) > 12:
            step = math.ceil(len(points) / 12)  # a dozen labels and ticks are readable, ninety are not
            labels = [lb if i % step == 0 else "" for i, lb in enumerate(labels)]
            plot.categoryAxis.visibleTicks = False
    plot.valueAxis.valueMin = low
    if low == high:
        plot.valueAxis.valueMax = low + 1  # a chart of zeros still needs an axis
    else:
        plot.valueAxis.rangeRound = "both"
    plot.data = [values]
    plot.categoryAxis.categoryNames = labels
    plot.categoryAxis.labels.fontName = PDF_FONT
    plot.categoryAxis.labels.fontSize = 7
    plot.valueAxis.labels.fontName = PDF_FONT
    plot.valueAxis.labels.fontSize = 7
    plot.valueAxis.labelTextFormat = _chart_label_format(kind)
    plot.valueAxis.visibleGrid = True
    plot.valueAxis.gridStrokeColor = colors.HexColor("#dde1e6")
    if chart.kind == "line":
        plot.lines[0].strokeColor = BRAND
        plot.lines[0].strokeWidth = 1.5
    else:
        plot.bars[0].fillColor = BRAND
        plot.bars[0].strokeColor = None
    drawing.add(plot)
    return [Paragraph(escape(caption), styles["heading"]), drawing, Spacer(1, 4 * mm)]


class _NumberedCanvas(Canvas):
    """Holds every page back until the end, to write "Page N of M" once M is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for page in self._pages:
            self.__dict__.update(page)
            width = self._pagesize[0]
            self.setFont(PDF_FONT, 7.5)
            self.setFillColor(MUTED)
            self.drawRightString(width - PDF_MARGIN, 8 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _render_pdf(*, report: Report, result: Result, parameters, generated_at) -> bytes:
    columns = result.columns
    page_size = pdf_page_size(columns)
    page_width, page_height = page_size
    frame_width = page_width - 2 * PDF_MARGIN
    generated = _generated(generated_at)
    styles = {
        "title": ParagraphStyle("title", fontName=PDF_BOLD, fontSize=16, leading=20, textColor=INK, spaceAfter=3 * mm),
        "heading": ParagraphStyle(
            "heading", fontName=PDF_BOLD, fontSize=10, leading=13, textColor=INK, spaceAfter=1 * mm
        ),
        "cell": ParagraphStyle("cell", fontName=PDF_FONT, fontSize=8.5, leading=10.5, textColor=INK),
        "label": ParagraphStyle("label", fontName=PDF_BOLD, fontSize=8.5, leading=10.5, textColor=INK),
        "note": ParagraphStyle(
            "note", fontName="Helvetica-Oblique", fontSize=8, leading=10, textColor=MUTED, spaceBefore=1 * mm
        ),
        "empty": ParagraphStyle(
            "empty", fontName=PDF_FONT, fontSize=9, leading=12, textColor=MUTED, spaceBefore=2 * mm
        ),
    }

    def decorate(canvas, doc):
        canvas.saveState()
        band_bottom = page_height - PDF_BAND_HEIGHT
        canvas.setFillColor(INK)
        canvas.rect(0, band_bottom, page_width, PDF_BAND_HEIGHT, stroke=0, fill=1)
        canvas.setFillColor(ACCENT)
        canvas.roundRect(PDF_MARGIN, band_bottom + 3 * mm, 8 * mm, 8 * mm, 1.5 * mm, stroke=0, fill=1)
        canvas.setFillColor(INK)
        canvas.setFont(PDF_BOLD, 10)
        canvas.drawCentredString(PDF_MARGIN + 4 * mm, band_bottom + 5.6 * mm, "iF")
        canvas.setFillColor(colors.white)
        canvas.setFont(PDF_BOLD, 13)
        canvas.drawString(PDF_MARGIN + 11 * mm, band_bottom + 5 * mm, "I-fixit")
        canvas.setFont(PDF_FONT, 9)
        title = _fit(report.title, page_width / 2, PDF_FONT)
        canvas.drawRightString(page_width - PDF_MARGIN, band_bottom + 5.2 * mm, title)
        canvas.setFont(PDF_FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(PDF_MARGIN, 8 * mm, f"{report.title} · generated {generated}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=page_size, leftMargin=PDF_MARGIN, rightMargin=PDF_MARGIN, topMargin=PDF_TOP_MARGIN,
        bottomMargin=PDF_BOTTOM_MARGIN, title=report.title, author="I-fixit", creator="I-fixit",
        subject="; ".join(f"{label}: {value}" for label, value in parameters),
    )
    # No frame padding: the page holds exactly what pdf_rows_per_page says.
    frame = Frame(PDF_MARGIN, PDF_BOTTOM_MARGIN, frame_width, page_height - PDF_TOP_MARGIN - PDF_BOTTOM_MARGIN,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="report", frames=[frame], onPage=decorate)])

    about = [
        [Paragraph(escape(label), styles["label"]), Paragraph(escape(value), styles["cell"])]
        for label, value in [*parameters, ("Generated", generated)]
    ]
    story = [
        Paragraph(escape(report.title), styles["title"]),
        Table(about, colWidths=[32 * mm, frame_width - 32 * mm], hAlign="LEFT", style=TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ])),
        Spacer(1, 5 * mm),
    ]
    story += _chart(result, frame_width, styles)

    kinds = [c.kind for c in columns]
    keys = [c.key for c in columns]
    body = [[_pdf_text(kind, row.get(key)) for kind, key in zip(kinds, keys)] for row in result.rows]
    totals = _totals_row(result)
    totals_text = None
    if totals is not None:
        totals_text = ["" if value is None else _pdf_text(kind, value) for kind, value in zip(kinds, totals)]
    widths = _column_widths(columns, body, totals_text, frame_width)
    text_columns = [i for i, kind in enumerate(kinds) if kind == TEXT]
    for line in body:
        for i in text_columns:
            line[i] = _fit(line[i], widths[i] - 2 * PDF_CELL_PAD_X, PDF_FONT)
    if totals_text is not None:
        for i in text_columns:
            totals_text[i] = _fit(totals_text[i], widths[i] - 2 * PDF_CELL_PAD_X, PDF_BOLD)
        body.append(totals_text)
    header = [
        "\n".join(simpleSplit(c.label, PDF_BOLD, PDF_FONT_SIZE, width - 2 * PDF_CELL_PAD_X))
        for c, width in zip(columns, widths)
    ]
    header_lines = max(h.count("\n") + 1 for h in header)
    story.append(_PagedTable(
        header=header, rows=body, start=0, totals_at=len(body) - 1 if totals_text is not None else -1,
        widths=widths, header_height=pdf_header_height(header_lines),
        numeric=[i for i, kind in enumerate(kinds) if kind in NUMERIC],
    ))
    if not result.rows:
        story.append(Paragraph("No rows for these parameters.", styles["empty"]))
    story += [Paragraph(escape(note), styles["note"]) for note in result.notes]
    doc.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


_RENDERERS = {"csv": _render_csv, "xlsx": _render_xlsx, "pdf": _render_pdf}
