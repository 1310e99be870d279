"""Sales and gross profit: one row per car sold, what it made after everything it cost."""

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ifixit.inventory.models import RepairItem, Sale
from ifixit.money import to_cents
from ifixit.reports.catalogue import (
    DATE,
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

MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)


def _repair_total():
    return Coalesce(
        Subquery(
            RepairItem.objects.filter(car=OuterRef("car"))
            .order_by()
            .values("car")
            .annotate(s=Sum(F("parts_cost") + F("labour_cost")))
            .values("s"),
            output_field=MONEY_FIELD,
        ),
        Value(0, output_field=MONEY_FIELD),
    )


@register(
    key="sales",
    title="Sales and gross profit",
    description="Every car sold in the period: price, what it cost (purchase, fees, transport, repairs), gross profit and margin, and how the customer paid.",
    category="Sales",
    permission="reports.view_money_reports",
    accepts=(PERIOD, LOCATIONS, MAKE),
)
def sales_report(scope: Scope) -> Result:
    sales = (
        Sale.objects.filter(location__in=scope.location_ids, sold_on__gte=scope.start, sold_on__lte=scope.end)
        .select_related("car", "location")
        .annotate(repairs=_repair_total())
        .order_by("sold_on", "id")
    )
    if scope.make:
        sales = sales.filter(car__make__iexact=scope.make)
    rows = []
    for sale in sales:
        car = sale.car
        sale.repairs = to_cents(sale.repairs)  # SQLite sums come back with float noise
        profit = sale.price - car.purchase_price - car.auction_fees - car.transport_cost - sale.repairs
        rows.append(
            {
                "sold_on": sale.sold_on,
                "location": sale.location.name,
                "car": f"{car.year} {car.make} {car.model}",
                "registration": car.registration_display,
                "payment": sale.payment_display,
                "price": sale.price,
                "purchase": car.purchase_price,
                "fees": car.auction_fees,
                "transport": car.transport_cost,
                "repairs": sale.repairs,
                "gross_profit": profit,
                "margin": profit / sale.price if sale.price else None,
            }
        )
    result = Result(
        columns=[
            Column("sold_on", "Sold", DATE),
            Column("location", "Location"),
            Column("car", "Car"),
            Column("registration", "Reg"),
            Column("payment", "Paid by"),
            Column("price", "Price", MONEY, total=True),
            Column("purchase", "Purchase", MONEY, total=True),
            Column("fees", "Fees", MONEY, total=True),
            Column("transport", "Transport", MONEY, total=True),
            Column("repairs", "Repairs", MONEY, total=True),
            Column("gross_profit", "Gross profit", MONEY, total=True),
            Column("margin", "Margin", PERCENT),
        ],
        rows=rows,
    )
    totals = result.totals
    if totals and totals["price"]:
        result.extra_totals["margin"] = totals["gross_profit"] / totals["price"]
    by_location: dict[str, object] = {}
    for row in rows:
        by_location[row["location"]] = by_location.get(row["location"], 0) + row["gross_profit"]
    if rows:
        result.chart = Chart(title="Gross profit by location", label_key="location", value_key="gross_profit")
        result.chart_rows = [{"location": k, "gross_profit": v} for k, v in sorted(by_location.items())]
    return result
