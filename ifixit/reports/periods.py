"""Report periods: a fixed range, or one relative to the day a report runs ("last week",
"month to date"), resolved in the time zone of whoever asked for it."""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

CUSTOM = "custom"

# key -> label; the order is the order in the forms.
RELATIVE = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "week_to_date": "Week to date",
    "last_week": "Last week (Monday to Sunday)",
    "last_30_days": "Last 30 days",
    "month_to_date": "Month to date",
    "last_month": "Last month",
    "last_3_months": "Last 3 full months",
    "last_12_months": "Last 12 full months",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "last_year": "Last year",
}
CHOICES = [(CUSTOM, "Fixed dates")] + list(RELATIVE.items())


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def resolve(relative: str, today: date) -> Period:
    """The dates `relative` means on `today` (both ends included)."""
    month_start = today.replace(day=1)
    match relative:
        case "today":
            return Period(today, today)
        case "yesterday":
            return Period(today - timedelta(days=1), today - timedelta(days=1))
        case "last_7_days":
            return Period(today - timedelta(days=6), today)
        case "week_to_date":
            return Period(today - timedelta(days=today.weekday()), today)
        case "last_week":
            monday = today - timedelta(days=today.weekday() + 7)
            return Period(monday, monday + timedelta(days=6))
        case "last_30_days":
            return Period(today - timedelta(days=29), today)
        case "month_to_date":
            return Period(month_start, today)
        case "last_month":
            return Period(month_start - relativedelta(months=1), month_start - timedelta(days=1))
        case "last_3_months":
            return Period(month_start - relativedelta(months=3), month_start - timedelta(days=1))
        case "last_12_months":
            return Period(month_start - relativedelta(months=12), month_start - timedelta(days=1))
        case "quarter_to_date":
            return Period(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
        case "year_to_date":
            return Period(date(today.year, 1, 1), today)
        case "last_year":
            return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    raise ValueError(f"Unknown period {relative!r}.")
