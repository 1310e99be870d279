"""The make and model benchmarks page: the group's own sales by make and model (or body
type), each figure with its spread and sample size, a grade against the group, and a
bar chart of median gross profit with the group's median drawn across it."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ifixit.analytics.benchmarks.selectors import (
    DEFAULT_SORT,
    DESCENDING_FIRST,
    GRADE_TOLERANCE,
    MAKE_MODEL,
    MAKE_MODEL_BODY,
    MIN_SAMPLE_FOR_GRADE,
    SORT_CHOICES,
    BenchmarkTable,
    benchmark_rows,
)
from ifixit.locations.selectors import locations_visible_to
from ifixit.pages import apply_service_errors
from ifixit.money import format_money

# Held by every role: the whole staff may compare makes and models.
# Gross profit and ROI: the same right as the reports of prices and profit (not the workshop's).
PERMISSION = "reports.view_money_reports"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_DAYS = 366 * 5


def default_period(today: date | None = None) -> dict[str, date]:
    """This month and the eleven before it, as the other figures pages."""
    today = today or timezone.localdate()
    return {"start": date(today.year, today.month, 1) - relativedelta(months=11), "end": today}


class BenchmarkForm(forms.Form):
    start = forms.DateField(required=False, widget=DATE_INPUT, label="Sold from")
    end = forms.DateField(required=False, widget=DATE_INPUT, label="Sold to")
    locations = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Locations",
        help_text="None ticked: all yours.",
    )
    by_body = forms.BooleanField(required=False, label="Split by body type")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort")

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].choices = [(loc.pk, loc.name) for loc in locations]

    def clean(self):
        data = super().clean()
        for name, value in default_period().items():
            data[name] = data.get(name) or value
        data["sort"] = data.get("sort") or DEFAULT_SORT
        if data["end"] < data["start"]:
            self.add_error("end", "The end must not be before the start.")
        elif (data["end"] - data["start"]).days > MAX_DAYS:
            self.add_error("start", "Choose at most five years.")
        return data

    def to_params(self) -> dict:
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "location_ids": data.get("locations") or None,
            "group_by": MAKE_MODEL_BODY if data.get("by_body") else MAKE_MODEL,
            "sort": data["sort"],
        }


# --- Chart ------------------------------------------------------------------------------

CHART_WIDTH = 360
LABEL_WIDTH = 130
ROW_HEIGHT = 22
TOP = 16  # room for the group median's caption
MAX_BARS = 30


@dataclass(frozen=True)
class ProfitBar:
    label: str
    title: str
    y: int
    x: float
    width: float
    negative: bool
    graded: bool


@dataclass(frozen=True)
class ProfitChart:
    bars: list[ProfitBar]
    width: int
    height: int
    zero_x: float
    group_x: float
    group_median: Decimal
    truncated: int


def profit_chart(table: BenchmarkTable) -> ProfitChart | None:
    """Median gross profit per row, in the table's order, with the group's median as a line."""
    rows = [row for row in table.rows if row.gross_profit.median is not None]
    if not rows or table.group.gross_profit.median is None:
        return None
    shown = rows[:MAX_BARS]
    group = table.group.gross_profit.median
    values = [row.gross_profit.median for row in shown]
    top, bottom = max([Decimal(0), group, *values]), min([Decimal(0), group, *values])
    span = (top - bottom) or Decimal(1)
    plot = CHART_WIDTH - LABEL_WIDTH - 8

    def x_of(value: Decimal) -> float:
        return round(LABEL_WIDTH + float((value - bottom) / span) * plot, 2)

    zero_x = x_of(Decimal(0))
    bars = []
    for i, row in enumerate(shown):
        value, n = row.gross_profit.median, row.gross_profit.n
        end = x_of(value)
        bars.append(
            ProfitBar(
                label=f"{row.label[:20]} ({n})",
                title=f"{row.label}: median {format_money(value)} over {n} sale{'s' if n != 1 else ''}",
                y=TOP + i * ROW_HEIGHT,
                x=min(zero_x, end),
                width=round(abs(end - zero_x), 2),
                negative=value < 0,
                graded=row.graded,
            )
        )
    return ProfitChart(
        bars=bars,
        width=CHART_WIDTH,
        height=TOP + len(bars) * ROW_HEIGHT + 4,
        zero_x=zero_x,
        group_x=x_of(group),
        group_median=group,
        truncated=len(rows) - len(shown),
    )


# --- Sortable headers ----------------------------------------------------------------------

COLUMNS = [
    ("make", "Make and model"),
    ("count", "Sales"),
    ("days_to_sell", "Days to sell"),
    ("repair_cost", "Repair cost"),
    ("repair_days", "Repair days"),
    ("gross_profit", "Gross profit"),
    ("roi", "ROI"),
    ("pooled_roi", "Pooled ROI"),
    ("grade", "Grade"),
]


def sort_headers(current: str, query) -> list[dict]:
    """Each column's link: its first way round, or the other way when it is the current sort."""
    headers = []
    for key, label in COLUMNS:
        first = f"-{key}" if key in DESCENDING_FIRST else key
        second = key if first.startswith("-") else f"-{key}"
        if current in (first, second):
            target = second if current == first else first
            aria = "descending" if current.startswith("-") else "ascending"
        else:
            target, aria = first, None
        params = query.copy()
        params["sort"] = target
        headers.append({"key": key, "label": label, "href": f"?{params.urlencode()}", "aria_sort": aria})
    return headers


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def benchmarks(request):
    locations = list(locations_visible_to(request.user).order_by("name"))
    data = request.GET.copy()
    for name, value in default_period().items():
        if not data.get(name):
            data[name] = value.isoformat()  # so the form shows the period it answers for
    form = BenchmarkForm(data, locations=locations)
    table = chart = None
    if form.is_valid():
        try:
            table = benchmark_rows(user=request.user, **form.to_params())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            chart = profit_chart(table)
    query = request.GET.copy()
    query.pop("sort", None)
    context = {
        "form": form,
        "table": table,
        "chart": chart,
        "headers": sort_headers(table.sort if table else DEFAULT_SORT, query),
        "min_sample": MIN_SAMPLE_FOR_GRADE,
        "tolerance": int(GRADE_TOLERANCE * 100),
    }
    if request.htmx and request.htmx.target == "benchmarks":
        # htmx swaps the form and the results together; errors come back with 200 so they are swapped in.
        return TemplateResponse(request, "analytics/benchmarks.html#benchmarks", context)
    return TemplateResponse(request, "analytics/benchmarks.html", context, status=400 if form.errors else 200)

