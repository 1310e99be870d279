"""REST API v1 of inventory, a car's sale: recorded for cash, refused by field, when the car
cannot be sold or its phase is stale (409); anonymous (401), the outsider (404), the workshop
(403) and the wrong method (405)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ifixit.inventory.models import Phase, Sale
from ifixit.inventory.tests.conftest import url

# --- sales -----------------------------------------------------------------------------


def test_it_records_a_sale(api, manager, listed_car):
    today = timezone.localdate()
    body = {"sold_on": str(today), "price": "9800.00", "buyer_name": "J. Smith", "expected_phase": "listed"}
    response = api.post(url("api_car_sale", listed_car.id), body, format="json")
    assert response.status_code == 201, response.json()
    car = response.json()
    assert car["phase"] == "sold"
    sale = Sale.objects.get()
    assert car["sale"] == {
        "sold_on": str(today),
        "price": "9800.00",
        "cost_at_sale": "6970.00",
        "gross_profit": "2830.00",
        "buyer_name": "J. Smith",
        "customer": None,
        # Cash by default, so handed over at once.
        "payment": "cash",
        "payment_display": "Cash, card or bank transfer",
        "part_exchange_allowance": "0.00",
        "part_exchange_registration": "",
        "part_exchange_description": "",
        "balance_due": "9800.00",
        "delivered_at": sale.delivered_at.isoformat().replace("+00:00", "Z"),
        "delivered_by": "nina",
        "payment_changed_at": None,
        "payment_changed_by": None,
        "payment_note": "",
    }
    assert sale.sold_by == manager and sale.location == listed_car.location


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"price": "-100.00"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": "99999999.00"}, "price"),
        ({"sold_on": "next week"}, "sold_on"),
        ({"sold_on": str(timezone.localdate() + timedelta(days=3))}, "sold_on"),
    ],
)
def test_a_bad_sale_is_refused_by_field_and_writes_nothing(api, listed_car, changes, field):
    body = {"sold_on": str(timezone.localdate()), "price": "9800.00", **changes}
    response = api.post(url("api_car_sale", listed_car.id), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Sale.objects.exists()
    listed_car.refresh_from_db()
    assert listed_car.phase == Phase.LISTED


def test_a_car_in_the_workshop_cannot_be_sold(api, car):
    body = {"sold_on": str(timezone.localdate()), "price": "9000"}
    response = api.post(url("api_car_sale", car.id), body, format="json")
    assert response.status_code == 409 and "cannot be sold" in response.json()["price"][0]
    assert not Sale.objects.exists()


def test_a_stale_sale_is_a_conflict(api, listed_car):
    body = {"sold_on": str(timezone.localdate()), "price": "9800.00", "expected_phase": "reserved"}
    response = api.post(url("api_car_sale", listed_car.id), body, format="json")
    assert response.status_code == 409
    assert "price" in response.json()
    assert not Sale.objects.exists()


def test_sales_refuse_the_outsider_anonymous_get_and_the_workshop(
    anon, api, outsider_api, workshop_api, listed_car, assert_unauthenticated
):
    body = {"sold_on": str(timezone.localdate()), "price": "9800.00"}
    assert outsider_api.post(url("api_car_sale", listed_car.id), body, format="json").status_code == 404
    assert_unauthenticated(anon.post(url("api_car_sale", listed_car.id), body, format="json"))
    assert api.get(url("api_car_sale", listed_car.id)).status_code == 405
    assert workshop_api.post(url("api_car_sale", listed_car.id), body, format="json").status_code == 403
    assert not Sale.objects.exists()
