"""The workshop: what repairs cost, by category, and how long cars spent in fixing.

Both reports place a car at its location now: a car repaired at one site and moved to
another since counts at the second. Repair items and phase changes record no location
of their own.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from ifixit.inventory.models import Phase, PhaseChange, RepairItem
from ifixit.inventory.selectors import ZERO, RepairState, repair_state
from ifixit.money import to_cents
from ifixit.reports.catalogue import (
    DECIMAL,
    INT,
    LOCATIONS,
    MAKE,
    MONEY,
    PERCENT,
    PERIOD,
    Chart,
    Column,
    Result,
    Scope,
    register,
)


def _days(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 86400).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@register(
    key="repairs",
    title="Repair spend by category",
    description="Repair work booked in the period, by location and category: how many items, "
    "parts, labour and total spend, and each line's share of the spend.",
    category="Workshop",
    accepts=(PERIOD, LOCATIONS, MAKE),
)
def repair_spend_report(scope: Scope) -> Result:
    items = RepairItem.objects.filter(
        car__location__in=scope.location_ids, created_at__date__gte=scope.start, created_at__date__lte=scope.end
    )
    if scope.make:
        items = items.filter(car__make__iexact=scope.make)
    grouped = (
        items.order_by()
        .values("car__location_id", "category")
        .annotate(
            items=Count("id"),
            parts=Coalesce(Sum("parts_cost"), ZERO),
            labour=Coalesce(Sum("labour_cost"), ZERO),
        )
    )
    found = {(row["car__location_id"], row["category"]): row for row in grouped}
    rows = []
    for location in scope.locations:
        for category in RepairItem.Category:
            row = found.get((location.pk, category.value))
            if row is None:
                continue
            parts, labour = to_cents(row["parts"]), to_cents(row["labour"])  # SQLite sums come back with float noise
            rows.append(
                {
                    "location": location.name,
                    "category": category.label,
                    "items": row["items"],
                    "parts": parts,
                    "labour": labour,
                    "total": parts + labour,
                }
            )
    spend = sum((row["total"] for row in rows), Decimal(0))
    for row in rows:
        row["share"] = row["total"] / spend if spend else None
    result = Result(
        columns=[
            Column("location", "Location"),
            Column("category", "Category"),
            Column("items", "Items", INT, total=True),
            Column("parts", "Parts", MONEY, total=True),
            Column("labour", "Labour", MONEY, total=True),
            Column("total", "Total spend", MONEY, total=True),
            Column("share", "Share of spend", PERCENT),
        ],
        rows=rows,
    )
    if rows:
        result.extra_totals["share"] = Decimal(1)
        by_category = {category.label: Decimal(0) for category in RepairItem.Category}
        for row in rows:
            by_category[row["category"]] += row["total"]
        result.chart = Chart(title="Repair spend by category", label_key="category", value_key="total")
        result.chart_rows = [{"category": label, "total": total} for label, total in by_category.items() if total]
    return result


@register(
    key="repair_times",
    title="Repair times",
    description="Every spell in fixing that ended in the period (the car moved to ready), by location and make: "
    "how many, the median, average and longest number of days, and how many ran past the location's "
    "at-risk and overdue thresholds.",
    category="Workshop",
    accepts=(PERIOD, LOCATIONS, MAKE),
)
def repair_times_report(scope: Scope) -> Result:
    # The spell's start is the latest move into fixing before the move out of it: a car
    # sent back to fixing after inspection has two spells, each timed on its own.
    entered = (
        PhaseChange.objects.filter(car=OuterRef("car"), to_phase=Phase.FIXING, changed_at__lte=OuterRef("changed_at"))
        .order_by("-changed_at", "-id")
        .values("changed_at")[:1]
    )
    endings = PhaseChange.objects.filter(
        from_phase=Phase.FIXING,
        to_phase=Phase.READY,
        car__location__in=scope.location_ids,
        changed_at__date__gte=scope.start,
        changed_at__date__lte=scope.end,
    )
    if scope.make:
        endings = endings.filter(car__make__iexact=scope.make)
    spells: dict[tuple[int, str], list[timedelta]] = {}
    untimed = 0
    timed = endings.annotate(started=Subquery(entered)).order_by()
    for location_id, make, started, ended in timed.values_list(
        "car__location_id", "car__make", "started", "changed_at"
    ):
        if started is None:  # a car imported without its history
            untimed += 1
            continue
        spells.setdefault((location_id, make), []).append(ended - started)

    locations = {location.pk: location for location in scope.locations}
    order = {pk: position for position, pk in enumerate(locations)}
    rows = []
    by_location: dict[str, list[timedelta]] = {}
    for (location_id, make), durations in sorted(
        spells.items(), key=lambda item: (order[item[0][0]], item[0][1].lower())
    ):
        location = locations[location_id]
        states = [repair_state(d.days, location) for d in durations]
        rows.append(
            {
                "location": location.name,
                "make": make,
                "spells": len(durations),
                "median_days": _days(median(durations)),
                "average_days": _days(_mean(durations)),
                "longest_days": _days(max(durations)),
                "at_risk": states.count(RepairState.AT_RISK),
                "overdue": states.count(RepairState.OVERDUE),
            }
        )
        by_location.setdefault(location.name, []).extend(durations)
    result = Result(
        columns=[
            Column("location", "Location"),
            Column("make", "Make"),
            Column("spells", "Spells in fixing", INT, total=True),
            Column("median_days", "Median days", DECIMAL),
            Column("average_days", "Average days", DECIMAL),
            Column("longest_days", "Longest", DECIMAL),
            Column("at_risk", "Ended at risk", INT, total=True),
            Column("overdue", "Ended overdue", INT, total=True),
        ],
        rows=rows,
    )
    everything = [d for durations in by_location.values() for d in durations]
    if everything:
        result.extra_totals.update(
            median_days=_days(median(everything)),
            average_days=_days(_mean(everything)),
            longest_days=_days(max(everything)),
        )
        result.chart = Chart(title="Median days in fixing by location", label_key="location", value_key="median_days")
        result.chart_rows = [{"location": name, "median_days": _days(median(d))} for name, d in by_location.items()]
    if untimed:
        result.notes.append(f"{untimed} spell(s) left out: the car has no record of when it went into fixing.")
    return result


def _mean(durations: list[timedelta]) -> timedelta:
    return sum(durations, timedelta()) / len(durations)
