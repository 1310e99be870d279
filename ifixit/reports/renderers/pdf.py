"""A report as a PDF, to print or send: a branded band on every page, the parameters and
the chart above the table, values as people read them (£1,234.50, 12.5%, 24/11/2026), and
a table paged by arithmetic ("Page N of M" in the footer)."""

import io
import math
from collections.abc import Callable
from datetime import date, datetime
from xml.sax.saxutils import escape

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

from ifixit.money import format_money
from ifixit.reports.catalogue import DAYS, DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Report, Result
from ifixit.reports.renderers.layout import NUMERIC, generated_label, naive_local, totals_row

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
        return text.removesuffix("0")
    if isinstance(value, datetime):
        return f"{naive_local(value):%d/%m/%Y %H:%M}"
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
            header=self.header,
            rows=self.rows,
            start=end,
            totals_at=self.totals_at,
            widths=self.widths,
            header_height=self.header_height,
            numeric=self.numeric,
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
            data,
            colWidths=self.widths,
            rowHeights=[self.header_height] + [PDF_ROW_HEIGHT] * (end - start),
            style=TableStyle(style),
            repeatRows=1,
            hAlign="LEFT",
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


def render_pdf(*, report: Report, result: Result, parameters, generated_at) -> bytes:
    columns = result.columns
    page_size = pdf_page_size(columns)
    page_width, page_height = page_size
    frame_width = page_width - 2 * PDF_MARGIN
    generated = generated_label(generated_at)
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
        buffer,
        pagesize=page_size,
        leftMargin=PDF_MARGIN,
        rightMargin=PDF_MARGIN,
        topMargin=PDF_TOP_MARGIN,
        bottomMargin=PDF_BOTTOM_MARGIN,
        title=report.title,
        author="I-fixit",
        creator="I-fixit",
        subject="; ".join(f"{label}: {value}" for label, value in parameters),
    )
    # No frame padding: the page holds exactly what pdf_rows_per_page says.
    frame = Frame(
        PDF_MARGIN,
        PDF_BOTTOM_MARGIN,
        frame_width,
        page_height - PDF_TOP_MARGIN - PDF_BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="report", frames=[frame], onPage=decorate)])

    about = [
        [Paragraph(escape(label), styles["label"]), Paragraph(escape(value), styles["cell"])]
        for label, value in [*parameters, ("Generated", generated)]
    ]
    story = [
        Paragraph(escape(report.title), styles["title"]),
        Table(
            about,
            colWidths=[32 * mm, frame_width - 32 * mm],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            ),
        ),
        Spacer(1, 5 * mm),
    ]
    story += _chart(result, frame_width, styles)

    kinds = [c.kind for c in columns]
    keys = [c.key for c in columns]
    body = [[_pdf_text(kind, row.get(key)) for kind, key in zip(kinds, keys)] for row in result.rows]
    totals = totals_row(result)
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
    story.append(
        _PagedTable(
            header=header,
            rows=body,
            start=0,
            totals_at=len(body) - 1 if totals_text is not None else -1,
            widths=widths,
            header_height=pdf_header_height(header_lines),
            numeric=[i for i, kind in enumerate(kinds) if kind in NUMERIC],
        )
    )
    if not result.rows:
        story.append(Paragraph("No rows for these parameters.", styles["empty"]))
    story += [Paragraph(escape(note), styles["note"]) for note in result.notes]
    doc.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
