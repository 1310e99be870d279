"""Selling a car to a customer on file through inventory's sale endpoint: the sale is theirs
and shows among their purchases; a sale without a customer still works; one to a customer the
user may not see is refused with nothing written."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ifixit.crm.tests.conftest import CustomerFactory, url
from ifixit.inventory.models import Car, Phase, Sale
from ifixit.testing.factories import CarFactory


@pytest.fixture
def listed_car(north):
    return CarFactory(
        location=north,
        phase=Phase.LISTED,
        purchased_on=timezone.localdate() - datetime.timedelta(days=30),
        asking_price=Decimal(9500),
    )


def test_a_sale_can_be_to_a_customer_on_file(api, listed_car, customer, manager):
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400.00", "customer": customer.id}
    response = api.post(reverse("api_car_sale", args=[listed_car.id]), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["sale"]["customer"] == customer.id
    assert response.json()["sale"]["buyer_name"] == "Jo Bloggs"
    sale = Sale.objects.get()
    assert sale.customer == customer and sale.sold_by == manager
    assert api.get(url("api_customer_detail", customer.id)).json()["purchases"][0]["id"] == sale.id


def test_a_sale_without_a_customer_still_works(api, listed_car):
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400.00", "buyer_name": "Cash buyer"}
    response = api.post(reverse("api_car_sale", args=[listed_car.id]), body, format="json")
    assert response.status_code == 201
    assert response.json()["sale"]["customer"] is None and response.json()["sale"]["buyer_name"] == "Cash buyer"


@pytest.mark.parametrize("which", ["other location", "missing", "not a number"])
def test_a_sale_to_a_customer_the_user_may_not_see_is_refused(api, listed_car, south, which):
    customer_id = {
        "other location": lambda: CustomerFactory(locations=[south]).id,
        "missing": lambda: 999999,
        "not a number": lambda: "jo",
    }[which]()
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400.00", "customer": customer_id}
    response = api.post(reverse("api_car_sale", args=[listed_car.id]), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["customer"]
    assert not Sale.objects.exists()
    assert Car.objects.get(pk=listed_car.pk).phase == Phase.LISTED
