"""Helpers for the finance API tests: a customer, a lender and a reserved car of North, an
application's body, an instalment worked out apart from the calculator, a sale written straight.
The clients and the unauthenticated check are the root conftest's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ifixit.inventory.models import Payment, Phase, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory, LenderFactory


def url(name, *args):
    return reverse(name, args=args)


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Jo Bloggs", locations=[north])


@pytest.fixture
def lender(db):
    return LenderFactory(name="Northern Motor Finance", typical_decision_hours=24)


@pytest.fixture
def reserved_car(north):
    return CarFactory(
        location=north,
        phase=Phase.RESERVED,
        make="Vauxhall",
        model="Corsa",
        registration="LM19XYZ",
        purchased_on=timezone.localdate() - timedelta(days=30),
        asking_price=Decimal(10000),
    )


def new_application(customer, car, lender, **changes) -> dict:
    return {
        "customer": customer.id,
        "car": car.id,
        "lender": lender.id,
        "cash_price": "10000.00",
        "deposit": "1000.00",
        "term_months": 48,
        "apr": "9.9",
        "note": " Customer wants it by Friday ",
        **changes,
    }


def independent_monthly_payment(amount: float, apr_percent: float, months: int) -> Decimal:
    """The annuity instalment with a UK APR taken as an annual effective rate, worked out
    here in floats, apart from the calculator's Decimals."""
    rate = (1 + apr_percent / 100) ** (1 / 12) - 1
    return Decimal(str(round(amount * rate / (1 - (1 + rate) ** -months), 2)))


def sold(car, customer, *, payment=Payment.FINANCE, price="10000.00", by=None) -> Sale:
    """A sale written straight, not through the service: for the figures and for cars
    that are already sold when a test starts."""
    car.phase = Phase.SOLD
    car.save(update_fields=["phase"])
    return Sale.objects.create(
        car=car,
        customer=customer,
        location=car.location,
        sold_on=timezone.localdate(),
        price=Decimal(price),
        payment=payment,
        sold_by=by,
    )
