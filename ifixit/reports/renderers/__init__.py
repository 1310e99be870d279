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

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from ifixit.reports.catalogue import Report, Result
from ifixit.reports.renderers.csv_file import render_csv
from ifixit.reports.renderers.formats import FORMATS, Format, file_name
from ifixit.reports.renderers.layout import NUMERIC, TOTAL_LABEL
from ifixit.reports.renderers.pdf import pdf_header_height, pdf_page_size, pdf_rows_per_page, render_pdf
from ifixit.reports.renderers.spreadsheet import render_xlsx

__all__ = [
    "FORMATS",
    "NUMERIC",
    "TOTAL_LABEL",
    "Format",
    "file_name",
    "pdf_header_height",
    "pdf_page_size",
    "pdf_rows_per_page",
    "render",
]

_RENDERERS = {"csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}


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
