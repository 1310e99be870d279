"""Purchases: every car bought in the period, what it cost to get it on the forecourt and
how it was paid for."""

from django.db.models import F

from ifixit.inventory.models import Car, PurchaseFunding
from ifixit.reports.catalogue import DATE, LOCATIONS, MAKE, MONEY, PERIOD, Chart, Column, Result, Scope, register


@register(
    key="purchases",
    title="Purchases",
    description="Every car bought in the period: where it went, what it cost (price, auction fees, transport), "
    "the auction it was won at, and whether it was paid from own funds or stock finance.",
    category="Purchasing",
    permission="reports.view_money_reports",
    accepts=(PERIOD, LOCATIONS, MAKE),
)
def purchases_report(scope: Scope) -> Result:
    cars = (
        Car.objects.filter(location__in=scope.location_ids, purchased_on__gte=scope.start, purchased_on__lte=scope.end)
        .select_related("location")
        # The auction a won lot came from (none for a car bought elsewhere): a join, not a lookup per car.
        .annotate(source=F("won_lot__lot__source__name"))
        .order_by("purchased_on", "id")
    )
    if scope.make:
        cars = cars.filter(make__iexact=scope.make)
    rows, on_stock_finance = [], 0
    for car in cars:
        on_stock_finance += car.purchase_funding == PurchaseFunding.STOCK_FINANCE
        rows.append(
            {
                "purchased_on": car.purchased_on,
                "location": car.location.name,
                "car": f"{car.year} {car.make} {car.model}",
                "registration": car.registration_display,
                "source": car.source or "",
                "funding": car.get_purchase_funding_display(),
                "price": car.purchase_price,
                "fees": car.auction_fees,
                "transport": car.transport_cost,
                "total": car.acquisition_cost,
            }
        )
    result = Result(
        columns=[
            Column("purchased_on", "Bought", DATE),
            Column("location", "Location"),
            Column("car", "Car"),
            Column("registration", "Reg"),
            Column("source", "Auction"),
            Column("funding", "Paid with"),
            Column("price", "Price", MONEY, total=True),
            Column("fees", "Fees", MONEY, total=True),
            Column("transport", "Transport", MONEY, total=True),
            Column("total", "Total cost", MONEY, total=True),
        ],
        rows=rows,
    )
    if rows:
        result.extra_totals["funding"] = f"{on_stock_finance} of {len(rows)} on stock finance"
        spend: dict[str, object] = {}
        for row in rows:
            spend[row["location"]] = spend.get(row["location"], 0) + row["total"]
        result.chart = Chart(title="Spend by location", label_key="location", value_key="total")
        result.chart_rows = [{"location": name, "total": total} for name, total in sorted(spend.items())]
    return result
