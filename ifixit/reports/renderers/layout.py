"""What every file of a report shows alike, whatever its format: the totals row labelled
"Total", which columns are numbers, and how a time reads (naive local time)."""

from datetime import datetime

from django.utils import timezone

from ifixit.reports.catalogue import DAYS, DECIMAL, INT, MONEY, PERCENT, Result

TOTAL_LABEL = "Total"
NUMERIC = frozenset({INT, MONEY, PERCENT, DAYS, DECIMAL})


def totals_row(result: Result) -> list | None:
    """The totals as one row of values, "Total" in the first column that has no figure."""
    totals = result.totals
    if totals is None:
        return None
    values = [totals.get(c.key) for c in result.columns]
    label_at = next((i for i, c in enumerate(result.columns) if totals.get(c.key) is None), None)
    if label_at is not None:
        values[label_at] = TOTAL_LABEL
    return values


def naive_local(value: datetime) -> datetime:
    """Naive local time: how a person reads it, and all a spreadsheet cell can hold."""
    if timezone.is_aware(value):
        value = timezone.make_naive(value)
    return value


def generated_label(generated_at: datetime) -> str:
    return f"{generated_at:%d %b %Y %H:%M}"
