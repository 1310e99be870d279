"""Transfers between locations: how many moved on each route, how they ended, what the
moves cost and how long cars spent on the road."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce

from ifixit.inventory.models import Transfer
from ifixit.inventory.selectors import ZERO
from ifixit.money import to_cents
from ifixit.reports.catalogue import DECIMAL, INT, LOCATIONS, MONEY, PERIOD, Chart, Column, Result, Scope, register


def _days(delta: timedelta | None) -> Decimal | None:
    return (
        None
        if delta is None
        else (Decimal(delta.total_seconds()) / 86400).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    )


@register(
    key="transfers",
    title="Transfers between locations",
    description="Every transfer requested or received in the period, to or from your locations, by route: "
    "how many, where each stands now, and for those that arrived the transport cost and the average days "
    "from dispatch to arrival.",
    category="Stock",
    accepts=(PERIOD, LOCATIONS),
    permission="inventory.view_transfer",
)
def transfers_report(scope: Scope) -> Result:
    # Each side of a move sees it, as on the transfers page (inventory.selectors.transfers_visible_to).
    transfers = Transfer.objects.filter(
        Q(from_location__in=scope.location_ids) | Q(to_location__in=scope.location_ids)
    ).filter(
        Q(requested_at__date__gte=scope.start, requested_at__date__lte=scope.end)
        | Q(received_at__date__gte=scope.start, received_at__date__lte=scope.end)
    )
    statuses = list(Transfer.Status)
    arrived = Q(status=Transfer.Status.RECEIVED)
    grouped = (
        transfers.order_by()
        .values("from_location__name", "to_location__name")
        .annotate(
            transfers=Count("id"),
            # A move's cost is added to the car's when it arrives: what was planned for a
            # rejected, cancelled or unfinished one was not spent.
            cost=Coalesce(Sum("transport_cost", filter=arrived), ZERO),
            received_count=Count("id", filter=arrived),
            in_transit=Avg(F("received_at") - F("dispatched_at"), filter=arrived),
            **{f"status_{status.value}": Count("id", filter=Q(status=status)) for status in statuses},
        )
        .order_by("from_location__name", "to_location__name")
    )
    rows, weighted, received = [], timedelta(), 0
    for row in grouped:
        rows.append(
            {
                "from": row["from_location__name"],
                "to": row["to_location__name"],
                "transfers": row["transfers"],
                **{f"status_{status.value}": row[f"status_{status.value}"] for status in statuses},
                "cost": to_cents(row["cost"]),  # SQLite sums come back with float noise
                "days_in_transit": _days(row["in_transit"]),
            }
        )
        if row["in_transit"] is not None:
            weighted += row["in_transit"] * row["received_count"]
            received += row["received_count"]
    result = Result(
        columns=[
            Column("from", "From"),
            Column("to", "To"),
            Column("transfers", "Transfers", INT, total=True),
            *[Column(f"status_{status.value}", status.label, INT, total=True) for status in statuses],
            Column("cost", "Transport cost (arrived)", MONEY, total=True),
            Column("days_in_transit", "Average days in transit", DECIMAL),
        ],
        rows=rows,
    )
    if received:
        result.extra_totals["days_in_transit"] = _days(weighted / received)
    if rows:
        result.chart = Chart(title="Transfers by route", label_key="route", value_key="transfers")
        result.chart_rows = [{"route": f"{row['from']} → {row['to']}", "transfers": row["transfers"]} for row in rows]
    return result
