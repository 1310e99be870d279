"""The reports of the catalogue, each run through `catalogue.run` on a few cars whose
right answer is worked out by hand here: rows, totals, the figures that are not sums,
the chart; and for all of them, that a manager never sees another location's data and
that a report costs the same number of queries over 2 cars as over 10."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.auctions.models import AuctionSource, Lot, Opportunity
from ifixit.crm.models import Survey
from ifixit.finance.models import Lender, Status
from ifixit.inventory.models import Payment, Phase, PhaseChange, PurchaseFunding, RepairItem, Sale, Transfer
from ifixit.reports import catalogue
from ifixit.testing.factories import (
    CarFactory,
    CustomerFactory,
    FinanceApplicationFactory,
    LenderFactory,
    LocationFactory,
    RepairItemFactory,
    UserFactory,
)

D = Decimal
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
RUN_ON = date(2026, 4, 15)  # the day the reports run; every period here is fixed dates


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def run(key: str, user, **params) -> catalogue.Result:
    return catalogue.run(key, catalogue.Params(**params), user=user, today=RUN_ON)[2]


def sell(car, *, price, cost, sold_on, payment=Payment.CASH, part_exchange="0", customer=None, sold_by=None) -> Sale:
    car.phase = Phase.SOLD
    car.save(update_fields=["phase"])
    return Sale.objects.create(
        car=car, sold_on=sold_on, price=D(price), cost_at_sale=D(cost), location=car.location, payment=payment,
        part_exchange_allowance=D(part_exchange), customer=customer, sold_by=sold_by,
    )


def fixing_spell(car, started: datetime, ended: datetime) -> None:
    PhaseChange.objects.create(car=car, from_phase=Phase.PURCHASED, to_phase=Phase.FIXING, changed_at=started)
    PhaseChange.objects.create(car=car, from_phase=Phase.FIXING, to_phase=Phase.READY, changed_at=ended)


def by(rows: list[dict], *keys: str) -> dict:
    return {tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row for row in rows}


# --- The catalogue holds them all ------------------------------------------------------------


def test_it_registers_every_report_with_its_parameters_and_permission():
    expected = {
        "sales": ({"period", "locations", "make"}, "reports.view_money_reports", "Sales"),
        "stock": ({"locations", "phase", "make"}, "inventory.view_car", "Stock"),
        "purchases": ({"period", "locations", "make"}, "reports.view_money_reports", "Purchasing"),
        "repairs": ({"period", "locations", "make"}, "inventory.view_car", "Workshop"),
        "repair_times": ({"period", "locations", "make"}, "inventory.view_car", "Workshop"),
        "roi": ({"period", "locations", "make"}, "reports.view_money_reports", "Sales"),
        "transfers": ({"period", "locations"}, "inventory.view_transfer", "Stock"),
        "finance_mix": ({"period", "locations"}, "finance.view_financeapplication", "Finance"),
        "lender_performance": ({"period", "locations"}, "finance.view_financeapplication", "Finance"),
        "satisfaction": ({"period", "locations"}, "crm.view_survey", "Customers"),
        "auction_activity": ({"period"}, "auctions.view_lot", "Auctions"),
    }
    for key, (accepts, permission, category) in expected.items():
        report = catalogue.get(key)
        assert (set(report.accepts), report.permission, report.category) == (accepts, permission, category), key


# --- Sales ----------------------------------------------------------------------------------


def test_sales_totals_and_margin(north, south, manager):
    focus = CarFactory(location=north, make="Ford", model="Focus")  # 6500 + 350 + 120
    RepairItemFactory(car=focus, parts_cost=D("180.00"), labour_cost=D("90.00"))
    sell(focus, price="8000", cost="7240", sold_on=date(2026, 3, 10))
    golf = CarFactory(
        location=north, make="VW", model="Golf", purchase_price=D("5000"), auction_fees=D("200"), transport_cost=D("100")
    )
    sell(golf, price="6000", cost="5300", sold_on=date(2026, 3, 20), payment=Payment.FINANCE)
    sell(CarFactory(location=north), price="9999", cost="1", sold_on=date(2026, 4, 1))  # after the period
    sell(CarFactory(location=south), price="7777", cost="1", sold_on=date(2026, 3, 15))  # not the manager's

    result = run("sales", manager, **MARCH)

    assert [row["car"] for row in result.rows] == ["2018 Ford Focus", "2018 VW Golf"]
    focus_row, golf_row = result.rows
    assert (focus_row["repairs"], focus_row["gross_profit"], focus_row["margin"]) == (D("270.00"), D("760.00"), D("0.095"))
    assert (golf_row["gross_profit"], golf_row["payment"]) == (D("700.00"), "Finance")
    totals = result.totals
    assert (totals["price"], totals["repairs"], totals["gross_profit"]) == (D("14000.00"), D("270.00"), D("1460.00"))
    assert totals["margin"] == D("1460") / D("14000")
    assert result.chart_points == [("North Yard", D("1460.00"))]


# --- Stock ----------------------------------------------------------------------------------


def test_stock_counts_values_and_ages_the_cars_in_stock_today(north, south, manager):
    today = RUN_ON  # a snapshot on the day the report is run for
    young = CarFactory(location=north, phase=Phase.FIXING, purchased_on=today - timedelta(days=10))
    RepairItemFactory(car=young, parts_cost=D("180.00"), labour_cost=D("90.00"))
    CarFactory(location=north, phase=Phase.FIXING, purchased_on=today - timedelta(days=100))
    CarFactory(location=north, phase=Phase.LISTED, purchased_on=today - timedelta(days=40))
    CarFactory(location=north, phase=Phase.LISTED, purchased_on=None)
    CarFactory(location=north, phase=Phase.SOLD, purchased_on=today - timedelta(days=5))  # gone
    CarFactory(location=north, phase=Phase.SOURCED)  # not bought yet
    CarFactory(location=south, phase=Phase.FIXING, purchased_on=today - timedelta(days=3))

    result = run("stock", manager)

    rows = by(result.rows, "phase")
    assert list(rows) == ["Fixing", "Listed"]
    fixing, listed = rows["Fixing"], rows["Listed"]
    # Each car costs 6500 + 350 + 120 = 6970; the young one has 270 of repairs.
    assert (fixing["cars"], fixing["value"], fixing["average_days"]) == (2, D("14210.00"), 55)
    assert (fixing["band_0-30"], fixing["band_90+"], fixing["band_31-60"]) == (1, 1, 0)
    assert (listed["cars"], listed["value"], listed["average_days"]) == (2, D("13940.00"), 40)
    assert (listed["band_31-60"], listed["band_unknown"]) == (1, 1)
    totals = result.totals
    assert (totals["cars"], totals["value"], totals["band_90+"]) == (4, D("28150.00"), 1)
    assert totals["average_days"] == 50  # (10 + 100 + 40) / 3: the undated car has no age
    assert result.chart_points == [("Purchased", 0), ("In transit", 0), ("Fixing", 2), ("Ready", 0), ("Listed", 2), ("Reserved", 0)]


def test_stock_filters_by_phase_and_make(north, manager):
    CarFactory(location=north, phase=Phase.FIXING, make="Ford")
    CarFactory(location=north, phase=Phase.LISTED, make="BMW")
    CarFactory(location=north, phase=Phase.FIXING, make="BMW")

    assert [(r["phase"], r["cars"]) for r in run("stock", manager, phase=Phase.FIXING).rows] == [("Fixing", 2)]
    assert [(r["phase"], r["cars"]) for r in run("stock", manager, make="bmw").rows] == [("Fixing", 1), ("Listed", 1)]
    sold = run("stock", manager, phase=Phase.SOLD)
    assert sold.rows == [] and sold.notes == ["Sold cars are not in stock: choose another phase, or none."]


# --- Purchases ------------------------------------------------------------------------------


def test_purchases_lists_each_car_bought_in_the_period_with_its_costs_and_funding(north, south, manager):
    CarFactory(location=north, purchased_on=date(2026, 3, 5), make="Ford", model="Focus")
    bought = CarFactory(
        location=north, purchased_on=date(2026, 3, 20), make="BMW", model="320d", purchase_price=D("10000"),
        auction_fees=D("500"), transport_cost=D("0"), purchase_funding=PurchaseFunding.STOCK_FINANCE,
    )
    copart = AuctionSource.objects.create(name="Copart", url="http://copart.test")
    lot = Lot.objects.create(source=copart, external_id="L1", make="BMW", model="320d")
    Opportunity.objects.create(lot=lot, decision=Opportunity.Decision.WON, car=bought)
    CarFactory(location=north, purchased_on=date(2026, 2, 28))  # before the period
    CarFactory(location=south, purchased_on=date(2026, 3, 6))  # not the manager's

    result = run("purchases", manager, **MARCH)

    assert [(r["purchased_on"], r["car"], r["source"], r["funding"], r["total"]) for r in result.rows] == [
        (date(2026, 3, 5), "2018 Ford Focus", "", "Own funds", D("6970.00")),
        (date(2026, 3, 20), "2018 BMW 320d", "Copart", "Stock finance (floor plan)", D("10500.00")),
    ]
    totals = result.totals
    assert (totals["price"], totals["fees"], totals["transport"], totals["total"]) == (
        D("16500.00"), D("850.00"), D("120.00"), D("17470.00"),
    )
    assert totals["funding"] == "1 of 2 on stock finance"
    assert result.chart_points == [("North Yard", D("17470.00"))]
    assert [r["car"] for r in run("purchases", manager, make="BMW", **MARCH).rows] == ["2018 BMW 320d"]


# --- Repairs --------------------------------------------------------------------------------


def test_repair_spend_by_location_and_category(north, south, manager):
    ford = CarFactory(location=north, make="Ford")
    bmw = CarFactory(location=north, make="BMW")
    Category = RepairItem.Category

    def repair(car, category, parts, labour, on, hour=10):
        RepairItemFactory(car=car, category=category, parts_cost=D(parts), labour_cost=D(labour), created_at=at(on, hour))

    repair(ford, Category.MECHANICAL, "100", "50", date(2026, 3, 2))
    repair(ford, Category.MECHANICAL, "20", "10", date(2026, 3, 31), hour=23)
    repair(ford, Category.PAINT, "200", "300", date(2026, 3, 9))
    repair(bmw, Category.TYRES, "80", "20", date(2026, 3, 9))
    repair(ford, Category.MECHANICAL, "999", "0", date(2026, 4, 1))  # after the period
    repair(CarFactory(location=south), Category.MECHANICAL, "999", "0", date(2026, 3, 9))  # not hers

    result = run("repairs", manager, **MARCH)

    assert [(r["category"], r["items"], r["parts"], r["labour"], r["total"]) for r in result.rows] == [
        ("Mechanical", 2, D("120.00"), D("60.00"), D("180.00")),
        ("Paint", 1, D("200.00"), D("300.00"), D("500.00")),
        ("Tyres", 1, D("80.00"), D("20.00"), D("100.00")),
    ]
    assert [r["share"] for r in result.rows] == [D("180") / D("780"), D("500") / D("780"), D("100") / D("780")]
    assert (result.totals["items"], result.totals["total"], result.totals["share"]) == (4, D("780.00"), 1)
    assert result.chart_points == [("Mechanical", D("180.00")), ("Paint", D("500.00")), ("Tyres", D("100.00"))]
    assert [r["category"] for r in run("repairs", manager, make="bmw", **MARCH).rows] == ["Tyres"]


def test_repair_times_by_location_and_make(north, south, manager):
    first = CarFactory(location=north, make="Ford")
    fixing_spell(first, at(date(2026, 3, 1)), at(date(2026, 3, 5)))  # 4 days
    twice = CarFactory(location=north, make="Ford")
    fixing_spell(twice, at(date(2026, 2, 25)), at(date(2026, 3, 7)))  # 10 days, begun before the period
    fixing_spell(twice, at(date(2026, 3, 20)), at(date(2026, 3, 22)))  # failed inspection: 2 more
    slow = CarFactory(location=north, make="BMW")
    fixing_spell(slow, at(date(2026, 2, 14)), at(date(2026, 3, 16)))  # 30 days: overdue at North (30)
    fixing_spell(CarFactory(location=north, make="Ford"), at(date(2026, 2, 1)), at(date(2026, 2, 28)))  # ended before
    fixing_spell(CarFactory(location=south, make="Ford"), at(date(2026, 3, 1)), at(date(2026, 3, 3)))  # not hers
    imported = CarFactory(location=north, make="Ford", phase=Phase.READY, phase_changed_at=at(date(2026, 1, 1)))
    PhaseChange.objects.create(car=imported, from_phase=Phase.FIXING, to_phase=Phase.READY, changed_at=at(date(2026, 3, 9)))

    result = run("repair_times", manager, **MARCH)

    keys = ("make", "spells", "median_days", "average_days", "longest_days", "overdue")
    assert [tuple(r[k] for k in keys) for r in result.rows] == [
        ("BMW", 1, D("30.0"), D("30.0"), D("30.0"), 1),
        ("Ford", 3, D("4.0"), D("5.3"), D("10.0"), 0),  # 2, 4 and 10 days
    ]
    totals = result.totals
    assert (totals["spells"], totals["overdue"], totals["at_risk"]) == (4, 1, 0)
    assert (totals["median_days"], totals["average_days"], totals["longest_days"]) == (D("7.0"), D("11.5"), D("30.0"))
    assert result.chart_points == [("North Yard", D("7.0"))]
    assert result.notes == ["1 spell(s) left out: the car has no record of when it went into fixing."]


# --- ROI ------------------------------------------------------------------------------------


def test_roi_by_make_and_model(north, south, manager):
    def car(location, make, model, bought=None):
        return CarFactory(location=location, make=make, model=model, purchased_on=bought)

    sell(car(north, "Ford", "Focus", date(2026, 2, 18)), price="8000", cost="7000", sold_on=date(2026, 3, 10))
    sell(car(north, "Ford", "Focus", date(2026, 2, 8)), price="9000", cost="7500", sold_on=date(2026, 3, 20))
    sell(car(north, "BMW", "3 Series"), price="15000", cost="12000", sold_on=date(2026, 3, 1))
    sell(car(north, "Ford", "Focus"), price="9999", cost="1", sold_on=date(2026, 4, 1))  # after the period
    sell(car(south, "Ford", "Focus"), price="9999", cost="1", sold_on=date(2026, 3, 2))  # not hers

    result = run("roi", manager, **MARCH)

    keys = ("make", "model", "cars", "revenue", "cost", "gross_profit", "days_to_sell")
    assert [tuple(r[k] for k in keys) for r in result.rows] == [
        ("Ford", "Focus", 2, D("17000.00"), D("14500.00"), D("2500.00"), 30),  # 20 and 40 days
        ("BMW", "3 Series", 1, D("15000.00"), D("12000.00"), D("3000.00"), None),
    ]
    assert [r["roi"] for r in result.rows] == [D("2500") / D("14500"), D("0.25")]
    totals = result.totals
    assert (totals["cars"], totals["gross_profit"], totals["roi"], totals["days_to_sell"]) == (
        3, D("5500.00"), D("5500") / D("26500"), 30,
    )
    assert result.chart_points == [("Ford Focus", D("2500") / D("14500")), ("BMW 3 Series", D("0.25"))]
    assert [r["make"] for r in run("roi", manager, make="ford", **MARCH).rows] == ["Ford"]


# --- Transfers ------------------------------------------------------------------------------


def transfer(car, to, *, status, requested: datetime, cost="0", dispatched=None, received=None) -> Transfer:
    return Transfer.objects.create(
        car=car, from_location=car.location, to_location=to, status=status, reason="Stock balance", planned_on=requested.date(),
        transport_cost=D(cost), requested_at=requested, dispatched_at=dispatched, received_at=received,
    )


def test_transfers_by_route(north, south, manager):
    east = LocationFactory(name="East Yard", code="EST")
    received = Transfer.Status.RECEIVED
    transfer(CarFactory(location=north), south, status=received, requested=at(date(2026, 3, 2)), cost="100",
             dispatched=at(date(2026, 3, 3), 9), received=at(date(2026, 3, 5), 9))  # 2 days on the road
    transfer(CarFactory(location=north), south, status=received, requested=at(date(2026, 2, 20)), cost="50",
             dispatched=at(date(2026, 2, 27), 9), received=at(date(2026, 3, 2), 21))  # asked before, arrived in: 3.5 days
    transfer(CarFactory(location=north), south, status=Transfer.Status.REJECTED, requested=at(date(2026, 3, 8)), cost="70")
    transfer(CarFactory(location=south), north, status=Transfer.Status.DISPATCHED, requested=at(date(2026, 3, 9)), cost="80",
             dispatched=at(date(2026, 3, 10)))
    transfer(CarFactory(location=north), south, status=Transfer.Status.REQUESTED, requested=at(date(2026, 4, 2)))  # after
    transfer(CarFactory(location=south), east, status=Transfer.Status.REQUESTED, requested=at(date(2026, 3, 9)))  # not hers

    result = run("transfers", manager, **MARCH)

    rows = by(result.rows, "from", "to")
    assert list(rows) == [("North Yard", "South Yard"), ("South Yard", "North Yard")]
    out, back = rows[("North Yard", "South Yard")], rows[("South Yard", "North Yard")]
    assert (out["transfers"], out["status_received"], out["status_rejected"], out["status_requested"]) == (3, 2, 1, 0)
    assert (out["cost"], out["days_in_transit"]) == (D("150.00"), D("2.8"))  # the rejected move cost nothing
    assert (back["transfers"], back["status_dispatched"], back["cost"], back["days_in_transit"]) == (1, 1, D("0.00"), None)
    totals = result.totals
    assert (totals["transfers"], totals["status_received"], totals["cost"]) == (4, 2, D("150.00"))
    assert totals["days_in_transit"] == D("2.8")
    assert result.chart_points == [("North Yard → South Yard", 3), ("South Yard → North Yard", 1)]


# --- Finance --------------------------------------------------------------------------------


def test_finance_mix_by_month_and_location(north, south, admin_user, manager):
    sell(CarFactory(location=north), price="10000", cost="1", sold_on=date(2026, 1, 5), payment=Payment.FINANCE)
    sell(CarFactory(location=north), price="6000", cost="1", sold_on=date(2026, 1, 25), part_exchange="1500")
    sell(CarFactory(location=north), price="8000", cost="1", sold_on=date(2026, 2, 28), payment=Payment.FINANCE)
    sell(CarFactory(location=south), price="5000", cost="1", sold_on=date(2026, 1, 9))
    sell(CarFactory(location=north), price="9999", cost="1", sold_on=date(2026, 3, 1), payment=Payment.FINANCE)  # after

    result = run("finance_mix", admin_user, start=date(2026, 1, 1), end=date(2026, 2, 28))

    assert [(r["month"], r["location"], r["sales"], r["on_finance"], r["share"], r["with_part_exchange"]) for r in result.rows] == [
        ("Jan 2026", "North Yard", 2, 1, D("0.5"), 1),
        ("Jan 2026", "South Yard", 1, 0, D("0"), 0),
        ("Feb 2026", "North Yard", 1, 1, D("1"), 0),
        ("Feb 2026", "South Yard", 0, 0, None, 0),
    ]
    totals = result.totals
    assert (totals["sales"], totals["on_finance"]) == (4, 2)
    assert (totals["revenue"], totals["finance_revenue"]) == (D("29000.00"), D("18000.00"))
    assert totals["share"] == D("0.5")
    assert result.chart.kind == "line"
    assert result.chart_points == [("Jan 2026", D(1) / D(3)), ("Feb 2026", D("1"))]

    mine = run("finance_mix", manager, start=date(2026, 1, 1), end=date(2026, 2, 28))
    assert {row["location"] for row in mine.rows} == {"North Yard"}


@pytest.fixture
def lender_history(north, south):
    """Northgate decided on three North applications in March, in 4, 12 and 24 hours,
    and funded one; another lender handled South's."""
    northgate = LenderFactory(name="Northgate Motor Finance")
    day = date(2026, 3, 10)
    FinanceApplicationFactory(
        car=CarFactory(location=north), lender=northgate, status=Status.APPROVED, decision=Status.APPROVED,
        submitted_at=at(day, 10), decided_at=at(day, 14),
    )
    FinanceApplicationFactory(
        car=CarFactory(location=north), lender=northgate, status=Status.DECLINED, decision=Status.DECLINED,
        submitted_at=at(day, 9), decided_at=at(day, 21),
    )
    FinanceApplicationFactory(
        car=CarFactory(location=north), lender=northgate, status=Status.FUNDED, decision=Status.APPROVED,
        submitted_at=at(day, 9), decided_at=at(day + timedelta(days=1), 9), funded_at=at(day + timedelta(days=3)),
    )
    FinanceApplicationFactory(
        car=CarFactory(location=south), lender=LenderFactory(name="Southern Credit"), status=Status.DECLINED,
        decision=Status.DECLINED, submitted_at=at(day, 9), decided_at=at(day, 10),
    )
    return northgate


def test_lender_performance(lender_history, manager):
    result = run("lender_performance", manager, **MARCH)

    assert result.rows == [
        {
            "lender": "Northgate Motor Finance", "submitted": 3, "approved": 2, "declined": 1, "approval_rate": D(2) / D(3),
            "median_decision_hours": D("12.0"), "funded": 1, "funded_amount": D("9000.00"),
        }
    ]
    assert result.totals["approval_rate"] == D(2) / D(3)
    assert result.chart_points == [("Northgate Motor Finance", D(2) / D(3))]
    assert result.notes == []


def test_lender_performance_over_some_of_several_locations_has_their_own_median(lender_history, north, south, admin_user):
    LocationFactory(name="East Yard", code="EST")

    result = run("lender_performance", admin_user, locations=(north.pk, south.pk), **MARCH)

    assert [(r["lender"], r["submitted"], r["declined"], r["median_decision_hours"]) for r in result.rows] == [
        ("Northgate Motor Finance", 3, 1, D("12.0")),
        ("Southern Credit", 1, 1, D("1.0")),
    ]
    assert result.totals["approval_rate"] == D(2) / D(4)
    assert result.notes == []
    everywhere = run("lender_performance", admin_user, **MARCH)
    assert [r["median_decision_hours"] for r in everywhere.rows] == [D("12.0"), D("1.0")]


# --- Satisfaction ---------------------------------------------------------------------------


def answer(location, salesperson, *, recommend, satisfaction, answered_on=date(2026, 3, 12)) -> Survey:
    customer = CustomerFactory(locations=[location])
    sold_on = answered_on - timedelta(days=7)
    sale = sell(CarFactory(location=location), price="5000", cost="1", sold_on=sold_on, customer=customer, sold_by=salesperson)
    return Survey.objects.create(
        sale=sale, customer=customer, location=location, salesperson=salesperson, send_on=sold_on,
        status=Survey.Status.ANSWERED, answered_at=at(answered_on), recommend_score=recommend, satisfaction=satisfaction,
    )


def test_satisfaction_by_location_and_salesperson(north, south, manager, sales_user, outsider):
    answer(north, sales_user, recommend=10, satisfaction=5)
    answer(north, sales_user, recommend=9, satisfaction=4)
    answer(north, sales_user, recommend=5, satisfaction=2)
    answer(north, manager, recommend=7, satisfaction=4)
    answer(north, manager, recommend=0, satisfaction=1, answered_on=date(2026, 4, 2))  # after the period
    answer(south, outsider, recommend=0, satisfaction=1)  # not hers

    result = run("satisfaction", manager, **MARCH)

    assert [tuple(r.values()) for r in result.rows] == [
        # location, salesperson, answers, promoters, passives, detractors, NPS, average satisfaction
        ("North Yard", "nina", 1, 0, 1, 0, 0, D("4.00")),
        ("North Yard", "sal", 3, 2, 0, 1, 33, D("3.67")),  # 100 × (2 − 1) / 3; 11 / 3
    ]
    totals = result.totals
    assert (totals["answers"], totals["promoters"], totals["passives"], totals["detractors"]) == (4, 2, 1, 1)
    assert (totals["nps"], totals["average_satisfaction"]) == (25, D("3.75"))
    assert result.chart_points == [("North Yard", 25)]


# --- Auctions -------------------------------------------------------------------------------


def test_auction_activity_by_source_and_buyer(manager, north):
    buyer = UserFactory(username="bob", role=roles.BUYER, locations=[north])
    copart = AuctionSource.objects.create(name="Copart", url="http://copart.test")
    bca = AuctionSource.objects.create(name="BCA", url="http://bca.test")
    numbers = iter(range(100))

    def decide(source, user, decision, *, on=date(2026, 3, 10), paid=None):
        lot = Lot.objects.create(source=source, external_id=f"L{next(numbers)}", make="Ford", model="Focus")
        car = CarFactory(location=north, purchase_price=D(paid)) if paid else None
        Opportunity.objects.create(lot=lot, decision=decision, decided_by=user, decided_at=at(on), car=car)

    Decision = Opportunity.Decision
    for decision in (Decision.WATCH, Decision.BID, Decision.LOST, Decision.PASS):
        decide(copart, buyer, decision)
    decide(copart, buyer, Decision.WON, paid="5000")
    decide(copart, buyer, Decision.WON, paid="7000")
    decide(copart, manager, Decision.PASS)
    decide(bca, buyer, Decision.LOST)
    decide(copart, buyer, Decision.WON, paid="9000", on=date(2026, 4, 1))  # after the period

    result = run("auction_activity", buyer, **MARCH)

    assert [tuple(r.values()) for r in result.rows] == [
        # source, buyer, lots, watching, bid on, won, lost, passed, win rate, bought for
        ("BCA", "bob", 1, 0, 0, 0, 1, 0, D("0"), D("0.00")),
        ("Copart", "bob", 6, 1, 1, 2, 1, 1, D(2) / D(3), D("12000.00")),
        ("Copart", "nina", 1, 0, 0, 0, 0, 1, None, D("0.00")),
    ]
    totals = result.totals
    assert (totals["lots"], totals["won"], totals["lost"], totals["bought_for"]) == (8, 2, 2, D("12000.00"))
    assert totals["win_rate"] == D("0.5")
    assert result.chart_points == [("BCA", 0), ("Copart", 2)]


def test_auction_activity_needs_the_auction_permission(sales_user):
    with pytest.raises(PermissionDenied):
        run("auction_activity", sales_user, **MARCH)


# --- Every report: scoping and a fixed number of queries -------------------------------------

SCOPED = [
    "sales", "stock", "purchases", "repairs", "repair_times", "roi", "transfers", "finance_mix", "lender_performance", "satisfaction",
]
TAKES_A_PERIOD = {key for key in SCOPED if key != "stock"} | {"auction_activity"}


def busy_cars(count: int, *, at_locations, to_location, buyer) -> None:
    """`count` cars with a bit of everything a report reads: bought, repaired, through
    fixing, sold on finance with an answered survey, or moved to another location, and
    won at an auction."""
    source, _ = AuctionSource.objects.get_or_create(name="Copart", defaults={"url": "http://copart.test"})
    lender, _ = Lender.objects.get_or_create(name="Northgate Motor Finance")
    start = Lot.objects.count()
    for i in range(count):
        location = at_locations[i % len(at_locations)]
        day = date(2026, 3, 1 + i % 28)
        make = ["Ford", "BMW", "Audi"][i % 3]
        car = CarFactory(location=location, phase=Phase.READY, make=make, model=f"Model {i}", purchased_on=day)
        RepairItemFactory(car=car, category=list(RepairItem.Category)[i % 9], created_at=at(day))
        fixing_spell(car, at(day), at(day, 18))
        lot = Lot.objects.create(source=source, external_id=f"B{start + i}", make=car.make, model=car.model)
        Opportunity.objects.create(lot=lot, decision=Opportunity.Decision.WON, decided_by=buyer, decided_at=at(day), car=car)
        if i % 2:
            customer = CustomerFactory(locations=[location])
            sale = sell(car, price="9000", cost="7000", sold_on=day, payment=Payment.FINANCE, customer=customer, sold_by=buyer)
            FinanceApplicationFactory(
                car=car, customer=customer, lender=lender, status=Status.FUNDED, decision=Status.APPROVED,
                submitted_at=at(day, 9), decided_at=at(day, 11), funded_at=at(day, 15),
            )
            Survey.objects.create(
                sale=sale, customer=customer, location=location, salesperson=buyer, send_on=day, status=Survey.Status.ANSWERED,
                answered_at=at(day, 20), recommend_score=i % 11, satisfaction=1 + i % 5,
            )
        else:
            transfer(car, to_location, status=Transfer.Status.RECEIVED, requested=at(day, 8), cost="75",
                     dispatched=at(day, 9), received=at(day, 17))


def params_for(key: str) -> dict:
    return dict(MARCH) if key in TAKES_A_PERIOD else {}


@pytest.mark.parametrize("key", SCOPED)
def test_a_manager_never_sees_another_locations_data(key, north, south, manager, outsider):
    east = LocationFactory(name="East Yard", code="EST")
    busy_cars(4, at_locations=[south], to_location=east, buyer=outsider)

    theirs = run(key, outsider, **params_for(key))
    mine = run(key, manager, **params_for(key))

    assert theirs.rows, "the data is there for South's own manager"
    assert [row for row in mine.rows if row.get("sales", 1)] == []  # the share report lists her months, with no sales
    assert "South Yard" not in repr(mine.rows) + repr(mine.chart_rows)


@pytest.mark.parametrize("key", SCOPED + ["auction_activity"])
def test_the_number_of_queries_does_not_grow_with_the_cars(key, north, south, admin_user):
    east = LocationFactory(name="East Yard", code="EST")
    busy_cars(2, at_locations=[north, south], to_location=east, buyer=admin_user)
    with CaptureQueriesContext(connection) as few:
        small = run(key, admin_user, **params_for(key))
    busy_cars(8, at_locations=[north, south], to_location=east, buyer=admin_user)
    with CaptureQueriesContext(connection) as many:
        large = run(key, admin_user, **params_for(key))

    assert len(small.rows) <= len(large.rows) and large.rows
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]
