"""REST API v1 of finance, the figures: the share of sales on finance by month and location,
each lender's approvals, decision time and funding; scoped to the user's locations."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from ifixit.finance.models import Status
from ifixit.finance.tests.conftest import sold, url
from ifixit.inventory.models import Payment
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory

# --- Figures -----------------------------------------------------------------------------------------


def test_the_figures_cover_the_last_twelve_months_of_the_users_locations(api, manager, north, south, lender):
    today = timezone.localdate()
    customer = CustomerFactory(locations=[north])
    cash = sold(CarFactory(location=north), customer, payment=Payment.CASH, price="9000.00")
    cash.part_exchange_allowance = Decimal("1000.00")
    cash.save(update_fields=["part_exchange_allowance"])
    sold(CarFactory(location=north), customer, price="10000.00")
    sold(CarFactory(location=south), CustomerFactory(locations=[south]), price="8000.00")  # South's: not counted
    now = timezone.now()
    FinanceApplicationFactory(
        car=CarFactory(location=north),
        lender=lender,
        status=Status.FUNDED,
        submitted_at=now - timedelta(hours=30),
        decided_at=now - timedelta(hours=6),
        decision=Status.APPROVED,
        funded_at=now,
    )
    FinanceApplicationFactory(
        car=CarFactory(location=north),
        lender=lender,
        status=Status.DECLINED,
        submitted_at=now - timedelta(hours=20),
        decided_at=now - timedelta(hours=8),
        decision=Status.DECLINED,
    )
    south_lender = LenderFactory(name="Southern Credit")
    FinanceApplicationFactory(
        car=CarFactory(location=south),
        lender=south_lender,
        status=Status.APPROVED,
        submitted_at=now,
        decided_at=now,
        decision=Status.APPROVED,
    )

    response = api.get(url("api_finance_figures"))

    assert response.status_code == 200, response.json()
    body = response.json()
    first = date(today.year, today.month, 1) - relativedelta(months=11)
    assert (body["start"], body["end"], body["location"], body["currency"]) == (str(first), str(today), None, "GBP")
    assert len(body["months"]) == 12 and body["months"][0]["month"] == str(first)
    this_month = body["months"][-1]
    assert this_month["month"] == str(today.replace(day=1))
    assert (this_month["sales"], this_month["on_finance"], this_month["with_part_exchange"]) == (2, 1, 1)
    assert (this_month["revenue"], this_month["finance_revenue"], this_month["share"]) == ("19000.00", "10000.00", 0.5)
    assert body["months"][0]["share"] is None
    assert [(row["name"], row["location_id"], row["sales"]) for row in body["locations"]] == [
        ("North Yard", north.id, 2)
    ]
    assert body["totals"] == {
        "sales": 2,
        "on_finance": 1,
        "share": 0.5,
        "funded": 1,
        "funded_amount": "9000.00",
    }
    [row] = body["lenders"]
    assert row["lender"] == {"id": lender.id, "name": "Northern Motor Finance"}
    assert (row["submitted"], row["approved"], row["declined"], row["approval_rate"]) == (2, 1, 1, 0.5)
    assert row["median_decision_hours"] == pytest.approx(18.0)  # 24 and 12 hours
    assert (row["funded"], row["funded_amount"]) == (1, "9000.00")


def test_the_figures_of_one_location_and_a_range(api, admin_api, north, south):
    customer = CustomerFactory(locations=[north, south])
    sold(CarFactory(location=north), customer)
    sold(CarFactory(location=south), customer, payment=Payment.CASH)
    today = timezone.localdate()
    start = today - timedelta(days=3)

    body = admin_api.get(url("api_finance_figures"), {"location": south.id, "start": str(start)}).json()

    assert (body["start"], body["end"], body["location"]) == (str(start), str(today), south.id)
    assert body["totals"]["sales"] == 1 and body["totals"]["on_finance"] == 0 and body["totals"]["share"] == 0.0
    assert [row["name"] for row in body["locations"]] == ["South Yard"]


def test_the_figures_refuse_a_backwards_or_too_long_range_and_another_location(api, south):
    today = timezone.localdate()
    backwards = api.get(url("api_finance_figures"), {"start": str(today), "end": str(today - timedelta(days=1))})
    assert backwards.status_code == 400 and "end" in backwards.json()
    too_long = api.get(url("api_finance_figures"), {"start": "2000-01-01", "end": str(today)})
    assert too_long.status_code == 400 and "start" in too_long.json()
    assert api.get(url("api_finance_figures"), {"location": south.id}).status_code == 404
    assert api.get(url("api_finance_figures"), {"start": "last year"}).status_code == 400
