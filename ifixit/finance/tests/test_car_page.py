"""Finance's card on a car's page (finance.cars, registered on inventory.extensions): the car's
applications for those who handle finance, and the sale card's delivery held until funded."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ifixit.finance.models import FinanceApplication, Status
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Payment, Phase
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LenderFactory


@pytest.fixture
def customer(north):
    return CustomerFactory(name="Priya Shah", locations=[north])


@pytest.fixture
def sold_on_finance(sales_user, north, customer):
    car = CarFactory(location=north, phase=Phase.RESERVED)
    inventory.sale_record(
        user=sales_user, car_id=car.pk, sold_on=timezone.localdate(), price=Decimal("10000"), customer_id=customer.pk,
        payment=Payment.FINANCE,
    )
    return car


def page_of(client, user, car):
    client.force_login(user)
    response = client.get(reverse("car_detail", args=[car.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_sale_on_finance_offers_switching_to_cash_until_funded_then_delivery(client, sales_user, sold_on_finance, customer):
    application = FinanceApplicationFactory(
        car=sold_on_finance, customer=customer, lender=LenderFactory(name="Harbour Bank"), status=Status.CONTRACT_SIGNED
    )
    page = page_of(client, sales_user, sold_on_finance)
    assert 'data-testid="car-finance"' in page and "Harbour Bank" in page and "Contract signed" in page
    assert "Switch to cash" in page and 'data-testid="deliver"' not in page
    FinanceApplication.objects.filter(pk=application.pk).update(status=Status.FUNDED)
    page = page_of(client, sales_user, sold_on_finance)
    assert 'data-testid="deliver"' in page and "Switch to cash" not in page


def test_a_listed_car_offers_a_first_application(client, sales_user, north):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    page = page_of(client, sales_user, listed)
    assert "No finance applications." in page and f"?car={listed.pk}" in page and "New finance application" in page


def test_the_workshop_sees_no_finance_card(client, workshop_user, sold_on_finance, customer):
    FinanceApplicationFactory(car=sold_on_finance, customer=customer, status=Status.SUBMITTED)
    page = page_of(client, workshop_user, sold_on_finance)
    assert 'data-testid="car-finance"' not in page and 'data-testid="sale-card"' in page
    assert 'data-testid="deliver"' not in page and "Switch to cash" not in page


def test_the_car_page_reads_the_applications_in_a_fixed_number_of_queries(client, sales_user, sold_on_finance, customer):
    def count():
        client.force_login(sales_user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("car_detail", args=[sold_on_finance.pk])).status_code == 200
        return len(ctx)

    FinanceApplicationFactory(car=sold_on_finance, customer=customer, status=Status.DECLINED)
    few = count()
    for _ in range(4):
        FinanceApplicationFactory(car=sold_on_finance, customer=customer, status=Status.DECLINED)
    assert count() == few
