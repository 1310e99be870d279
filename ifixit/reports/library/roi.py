"""Return on investment by make and model: what the cars sold in the period made on what
they cost, and how long the money was tied up in them."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Sum

from ifixit.inventory.models import Sale
from ifixit.money import to_cents
from ifixit.reports.catalogue import (
    DAYS,
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

CHART_BARS = 15


def _days(delta: timedelta | None) -> int | None:
    """Whole days, as a DAYS column holds them."""
    if delta is None:
        return None
    return int((Decimal(delta.total_seconds()) / 86400).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@register(
    key="roi",
    title="ROI by make and model",
    description="Cars sold in the period grouped by make and model: revenue, what they cost "
    "(purchase, fees, transport and repairs), gross profit, return on cost, and the average days "
    "from purchase to sale.",
    category="Sales",
    permission="reports.view_money_reports",
    accepts=(PERIOD, LOCATIONS, MAKE),
)
def roi_report(scope: Scope) -> Result:
    sales = Sale.objects.filter(location__in=scope.location_ids, sold_on__gte=scope.start, sold_on__lte=scope.end)
    if scope.make:
        sales = sales.filter(car__make__iexact=scope.make)
    grouped = (
        sales.order_by()
        .values("car__make", "car__model")
        .annotate(
            cars=Count("id"),
            revenue=Sum("price"),
            # The cost snapshot taken when the car was sold: purchase, fees, transport and repairs.
            cost=Sum("cost_at_sale"),
            dated=Count("car__purchased_on"),
            days_to_sell=Avg(F("sold_on") - F("car__purchased_on")),
        )
    )
    rows, weighted, dated = [], timedelta(), 0
    for row in grouped:
        revenue, cost = to_cents(row["revenue"]), to_cents(row["cost"])  # SQLite sums come back with float noise
        profit = revenue - cost
        rows.append(
            {
                "make": row["car__make"],
                "model": row["car__model"],
                "cars": row["cars"],
                "revenue": revenue,
                "cost": cost,
                "gross_profit": profit,
                "roi": profit / cost if cost else None,
                "days_to_sell": _days(row["days_to_sell"]),
            }
        )
        if row["dated"]:
            weighted += row["days_to_sell"] * row["dated"]
            dated += row["dated"]
    rows.sort(key=lambda row: (-row["cars"], row["make"].lower(), row["model"].lower()))
    result = Result(
        columns=[
            Column("make", "Make"),
            Column("model", "Model"),
            Column("cars", "Cars sold", INT, total=True),
            Column("revenue", "Revenue", MONEY, total=True),
            Column("cost", "Total cost", MONEY, total=True),
            Column("gross_profit", "Gross profit", MONEY, total=True),
            Column("roi", "ROI", PERCENT),
            Column("days_to_sell", "Average days to sell", DAYS),
        ],
        rows=rows,
    )
    totals = result.totals
    if totals and totals["cost"]:
        result.extra_totals["roi"] = totals["gross_profit"] / totals["cost"]
    if dated:
        result.extra_totals["days_to_sell"] = _days(weighted / dated)
    if rows:
        result.chart = Chart(title="ROI by make and model", label_key="label", value_key="roi")
        # The best sellers: rows are sorted by cars sold.
        result.chart_rows = [{"label": f"{row['make']} {row['model']}", "roi": row["roi"]} for row in rows[:CHART_BARS]]
        if len(rows) > CHART_BARS:
            result.notes.append(
                f"The chart shows the {CHART_BARS} makes and models sold most; the table shows all {len(rows)}."
            )
    return result
