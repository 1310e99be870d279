"""The report catalogue: every report the group can run, its parameters, and the shape
of what it returns (columns, rows, totals, a chart), which the page, the CSV, XLSX and
PDF renderers and the scheduler all share.

A report is a function of a Scope (who asks, the locations they may see and chose,
the period, the phase and make filters) returning a Result. Reports live in
`ifixit/reports/library/`, one module per domain, and register themselves here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError

from ifixit.accounts.models import User
from ifixit.inventory.models import Phase
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.reports import periods

PERIOD = "period"
LOCATIONS = "locations"
PHASE = "phase"
MAKE = "make"
PARAMETERS = {PERIOD: "Date range", LOCATIONS: "Locations", PHASE: "Phase", MAKE: "Make"}

# How a column's values are typed, in XLSX cells and on screen.
TEXT, INT, MONEY, PERCENT, DAYS, DATE, DECIMAL = "text", "int", "money", "percent", "days", "date", "decimal"
# A report over more rows than this says so and stops: the same in every format.
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    total: bool = False  # summed in the totals row


@dataclass(frozen=True)
class Chart:
    """Bars (or a line) of `value_key` per row, labelled by `label_key`."""

    title: str
    label_key: str
    value_key: str
    kind: str = "bar"  # "bar" or "line"


@dataclass
class Result:
    columns: list[Column]
    rows: list[dict]
    chart: Chart | None = None
    # What the chart plots when it is not the rows themselves (e.g. rows per car, bars per location).
    chart_rows: list[dict] | None = None
    notes: list[str] = field(default_factory=list)
    # Figures that are not sums of a column (a ratio of totals, a median), shown in the totals row.
    extra_totals: dict = field(default_factory=dict)

    @property
    def chart_points(self) -> list[tuple[str, object]]:
        if self.chart is None:
            return []
        source = self.chart_rows if self.chart_rows is not None else self.rows
        return [(str(row[self.chart.label_key]), row[self.chart.value_key] or 0) for row in source]

    @property
    def totals(self) -> dict | None:
        summed = [c for c in self.columns if c.total]
        if not summed and not self.extra_totals:
            return None
        totals = {
            c.key: sum((row.get(c.key) or 0 for row in self.rows), Decimal(0) if c.kind == MONEY else 0) for c in summed
        }
        totals.update(self.extra_totals)
        return totals


@dataclass(frozen=True)
class Scope:
    """What a report is asked for: already checked against what the user may see."""

    user: User
    locations: list[Location]  # the chosen ones, or all the user may see
    today: date  # the day the report is for: a snapshot's date, where relative periods start
    start: date | None = None
    end: date | None = None
    phase: str = ""
    make: str = ""

    @property
    def location_ids(self) -> list[int]:
        return [loc.pk for loc in self.locations]


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    description: str
    accepts: frozenset[str]
    build: Callable[[Scope], Result]
    category: str
    permission: str = "inventory.view_car"
    default_period: str = "last_month"


REPORTS: dict[str, Report] = {}


def register(
    *,
    key: str,
    title: str,
    description: str,
    category: str,
    accepts=(PERIOD, LOCATIONS),
    permission="inventory.view_car",
    default_period="last_month",
):
    """Decorator: put a report's build function in the catalogue."""

    def wrap(build: Callable[[Scope], Result]) -> Callable[[Scope], Result]:
        REPORTS[key] = Report(
            key=key,
            title=title,
            description=description,
            accepts=frozenset(accepts),
            build=build,
            category=category,
            permission=permission,
            default_period=default_period,
        )
        return build

    return wrap


def get(key: str) -> Report:
    _load_library()
    try:
        return REPORTS[key]
    except KeyError:
        raise ValidationError({"report": f"There is no report {key!r}."}) from None


def keys() -> list[str]:
    _load_library()
    return sorted(REPORTS)


def available_to(user: User) -> list[Report]:
    _load_library()
    return [r for r in REPORTS.values() if user.has_perm(r.permission)]


def _load_library() -> None:
    from ifixit.reports import library  # noqa: F401 (registers the reports)


# --- Parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """A report's parameters as stored on a schedule or typed in a form: a period as a
    relative key or fixed dates, location ids, a phase, a make."""

    period: str = periods.CUSTOM  # a key of periods.RELATIVE, or CUSTOM with start and end
    start: date | None = None
    end: date | None = None
    locations: tuple[int, ...] = ()
    phase: str = ""
    make: str = ""

    def to_json(self) -> dict:
        data = {"period": self.period, "locations": list(self.locations), "phase": self.phase, "make": self.make}
        if self.period == periods.CUSTOM:
            data.update(
                start=self.start.isoformat() if self.start else None, end=self.end.isoformat() if self.end else None
            )
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Params":
        def day(value):
            return date.fromisoformat(value) if value else None

        return cls(
            period=data.get("period") or periods.CUSTOM,
            start=day(data.get("start")),
            end=day(data.get("end")),
            locations=tuple(int(x) for x in data.get("locations") or ()),
            phase=data.get("phase") or "",
            make=data.get("make") or "",
        )

    def describe(self, report: Report, *, today: date, location_names: dict[int, str]) -> list[tuple[str, str]]:
        """The parameters as a person reads them (report headers, emails)."""
        lines = []
        if PERIOD in report.accepts:
            start, end = self.dates(today)
            label = periods.RELATIVE.get(self.period, "")
            lines.append(("Period", f"{start:%d %b %Y} to {end:%d %b %Y}" + (f" ({label.lower()})" if label else "")))
        if LOCATIONS in report.accepts:
            names = [location_names.get(pk, f"#{pk}") for pk in self.locations]
            lines.append(("Locations", ", ".join(names) if names else "All"))
        if PHASE in report.accepts and self.phase:
            lines.append(("Phase", Phase(self.phase).label))
        if MAKE in report.accepts and self.make:
            lines.append(("Make", self.make))
        return lines

    def dates(self, today: date) -> tuple[date, date]:
        if self.period == periods.CUSTOM:
            return self.start, self.end
        period = periods.resolve(self.period, today)
        return period.start, period.end


def check_params(report: Report, params: Params, *, user: User) -> None:
    """Refuse what the report does not take, a range that ends before it starts, and a
    location the user may not see: each with a clear message."""
    errors: dict[str, str] = {}
    taken = report.accepts
    if PERIOD not in taken and (params.start or params.end or params.period != periods.CUSTOM):
        errors["period"] = f"“{report.title}” does not take a date range."
    if LOCATIONS not in taken and params.locations:
        errors["locations"] = f"“{report.title}” does not take locations."
    if PHASE not in taken and params.phase:
        errors["phase"] = f"“{report.title}” does not take a phase."
    if MAKE not in taken and params.make:
        errors["make"] = f"“{report.title}” does not take a make."
    if PERIOD in taken:
        if params.period == periods.CUSTOM:
            if not params.start or not params.end:
                errors["period"] = (
                    "Give the start and the end of the range, or choose a relative one such as last week."
                )
            elif params.end < params.start:
                errors["end"] = "The range ends before it starts."
            elif (params.end - params.start).days > 366 * 10:
                errors["start"] = "Choose at most ten years."
        elif params.period not in periods.RELATIVE:
            errors["period"] = f"Unknown period {params.period!r}."
    if params.phase and params.phase not in Phase.values:
        errors["phase"] = f"Unknown phase {params.phase!r}."
    if params.locations:
        visible = set(locations_visible_to(user).filter(pk__in=params.locations).values_list("pk", flat=True))
        if set(params.locations) - visible:
            errors["locations"] = "You can report only on your own locations."
    if errors:
        raise ValidationError(errors)


def scope_for(report: Report, params: Params, *, user: User, today: date) -> Scope:
    if not user.has_perm(report.permission):
        raise PermissionDenied(f"You may not run “{report.title}”.")
    check_params(report, params, user=user)
    visible = locations_visible_to(user).order_by("name")
    locations = list(visible.filter(pk__in=params.locations) if params.locations else visible)
    if not locations and LOCATIONS in report.accepts:
        raise ValidationError({"locations": "You have no location to report on."})
    start = end = None
    if PERIOD in report.accepts:
        start, end = params.dates(today)
    return Scope(
        user=user, locations=locations, today=today, start=start, end=end, phase=params.phase, make=params.make.strip()
    )


def run(key: str, params: Params, *, user: User, today: date) -> tuple[Report, Scope, Result]:
    report = get(key)
    scope = scope_for(report, params, user=user, today=today)
    result = report.build(scope)
    if len(result.rows) > MAX_ROWS:
        result.extra_totals = dict(result.totals or {})  # the totals of every row, not of the ones kept
        result.rows = result.rows[:MAX_ROWS]
        result.notes.append(f"Only the first {MAX_ROWS:,} rows are shown; narrow the parameters for the rest.")
    return report, scope, result
