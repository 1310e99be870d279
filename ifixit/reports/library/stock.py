"""Stock and ageing: what every location holds today, by phase, what it cost and how
long it has been in the books, in the location page's ageing bands."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from ifixit.inventory.models import STOCK_PHASES, Car, Phase
from ifixit.inventory.selectors import ZERO, with_cost_totals
from ifixit.inventory.sites.selectors import AGEING_BANDS, AgeingBand
from ifixit.money import to_cents
from ifixit.reports.catalogue import DAYS, INT, LOCATIONS, MAKE, MONEY, PHASE, Chart, Column, Result, Scope, register


def _in_band(band: AgeingBand, today: date) -> Q:
    """The cars `band` holds on `today`, as the location page counts them: a purchase
    date in the future falls in the first band, and a car with none in "unknown"."""
    if band.first_day is None:
        return Q(purchased_on__isnull=True)
    condition = Q()
    if band.last_day is not None:
        condition &= Q(purchased_on__gte=today - timedelta(days=band.last_day))
    if band.first_day:
        condition &= Q(purchased_on__lte=today - timedelta(days=band.first_day))
    return condition


def _days(delta: timedelta | None) -> int | None:
    """Whole days, as a DAYS column holds them."""
    if delta is None:
        return None
    return int((Decimal(delta.total_seconds()) / 86400).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@register(
    key="stock",
    title="Stock and ageing",
    description="Every car in stock today by location and phase: how many, what they cost including repairs, "
    "how long since they were bought on average, and how many fall in each ageing band.",
    category="Stock",
    accepts=(LOCATIONS, PHASE, MAKE),
)
def stock_report(scope: Scope) -> Result:
    today = scope.today
    phases = [p for p in STOCK_PHASES if not scope.phase or p == scope.phase]
    cars = Car.objects.filter(location__in=scope.location_ids, phase__in=phases)
    if scope.make:
        cars = cars.filter(make__iexact=scope.make)
    band_counts = {f"band_{band.key}": Count("id", filter=_in_band(band, today)) for band in AGEING_BANDS}
    grouped = (
        with_cost_totals(cars)
        .order_by()
        .values("location_id", "phase")
        .annotate(
            cars=Count("id"),
            dated=Count("purchased_on"),
            value=Coalesce(Sum("total_cost"), ZERO),
            average_age=Avg(Value(today) - F("purchased_on")),
            **band_counts,
        )
    )
    found = {(row["location_id"], row["phase"]): row for row in grouped}

    rows = []
    for location in scope.locations:
        for phase in phases:
            row = found.get((location.pk, phase))
            if row is None:
                continue
            rows.append(
                {
                    "location": location.name,
                    "phase": Phase(phase).label,
                    "cars": row["cars"],
                    "value": to_cents(row["value"]),  # SQLite sums come back with float noise
                    "average_days": _days(row["average_age"]),
                    **{key: row[key] for key in band_counts},
                }
            )

    result = Result(
        columns=[
            Column("location", "Location"),
            Column("phase", "Phase"),
            Column("cars", "Cars", INT, total=True),
            Column("value", "Stock value", MONEY, total=True),
            Column("average_days", "Average days in stock", DAYS),
            *[Column(f"band_{band.key}", band.label, INT, total=True) for band in AGEING_BANDS],
        ],
        rows=rows,
    )
    if scope.phase and scope.phase not in STOCK_PHASES:
        result.notes.append(f"{Phase(scope.phase).label} cars are not in stock: choose another phase, or none.")
    # The average age over every car with a purchase date: each group's average weighted by its dated cars.
    dated = sum(row["dated"] for row in found.values())
    if dated:
        weighted = sum((row["average_age"] * row["dated"] for row in found.values() if row["dated"]), timedelta())
        result.extra_totals["average_days"] = _days(weighted / dated)
    if rows:
        per_phase = {phase: 0 for phase in phases}
        for (_, phase), row in found.items():
            per_phase[phase] += row["cars"]
        result.chart = Chart(title="Cars in stock by phase", label_key="phase", value_key="cars")
        result.chart_rows = [{"phase": Phase(phase).label, "cars": count} for phase, count in per_phase.items()]
    return result
