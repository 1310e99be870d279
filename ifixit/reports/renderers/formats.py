"""The file formats a report is made in (CSV, XLSX, PDF): their labels, content types and
extensions, and the one rule that names a report's file, used by the page's download, the
API's and the runs made in the background."""

from dataclasses import dataclass
from datetime import date

from ifixit.reports.catalogue import Report, Scope


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


def file_name(report: Report, scope: Scope, fmt: str, *, today: date) -> str:
    """sales-20261101-20261130.csv: the report's key and the days it covers (`today`'s
    date, twice, for a report without a period)."""
    start, end = (scope.start, scope.end) if scope.start else (today, today)
    return f"{report.key}-{start:%Y%m%d}-{end:%Y%m%d}.{FORMATS[fmt].extension}"
