"""Helpers for the locations tests: a frozen clock, sold cars and transfers made directly."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from ifixit.inventory.models import Phase, Sale, Transfer
from ifixit.testing.factories import CarFactory

# Mid-November in London (GMT, so the same date in UTC): the last 12 months of sales
# run from December 2025 to November 2026.
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 15)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sell(location, *, sold_on: date, price: str, cost: str) -> Sale:
    """A sold car and its sale at `location`, with the cost snapshot the sale service takes."""
    car = CarFactory(location=location, phase=Phase.SOLD)
    return Sale.objects.create(
        car=car, location=location, sold_on=sold_on, price=Decimal(price), cost_at_sale=Decimal(cost)
    )


def move(car, *, to, status: str, by, from_=None) -> Transfer:
    return Transfer.objects.create(
        car=car,
        from_location=from_ or car.location,
        to_location=to,
        reason="Sells better there",
        planned_on=TODAY,
        status=status,
        requested_by=by,
        dispatched_at=NOW if status == Transfer.Status.DISPATCHED else None,
    )
