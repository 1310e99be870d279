"""REST API v1 of inventory, a car's repair items: listing, adding and removing them, closed
once the car is sold; anonymous (401), the outsider (404), a role without the permission (403),
the wrong method (405) and bad input by field."""

import pytest

from ifixit.inventory.models import Phase, RepairItem
from ifixit.inventory.tests.conftest import url
from ifixit.testing.factories import CarFactory, RepairItemFactory

# --- repairs ---------------------------------------------------------------------------


def test_it_lists_a_cars_repairs(api, car):
    first = RepairItemFactory(car=car, description="Brakes")
    second = RepairItemFactory(car=car, description="Tyres", category="tyres")
    RepairItemFactory()  # another car's
    response = api.get(url("api_car_repairs", car.id))
    assert response.status_code == 200
    assert [(r["id"], r["description"], r["category"]) for r in response.json()] == [
        (first.id, "Brakes", "mechanical"),
        (second.id, "Tyres", "tyres"),
    ]


def test_it_adds_a_repair_item(api, car):
    body = {
        "category": "bodywork",
        "description": "Rear bumper respray",
        "parts_cost": "40.00",
        "labour_cost": "160.00",
    }
    response = api.post(url("api_car_repairs", car.id), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "200.00" and response.json()["created_by"] == "nina"
    assert car.repair_items.get().description == "Rear bumper respray"
    assert api.get(url("api_car_detail", car.id)).json()["repair_total"] == "200.00"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"description": "Brakes", "parts_cost": "-10.00"}, "parts_cost"),
        ({"description": "Brakes"}, "parts_cost"),  # no cost at all
        ({"parts_cost": "10.00"}, "description"),
        ({"description": "x" * 201, "parts_cost": "10.00"}, "description"),
        ({"description": "Brakes", "parts_cost": "10.00", "category": "magic"}, "category"),
    ],
)
def test_a_bad_repair_item_is_refused_by_field(api, car, body, field):
    response = api.post(url("api_car_repairs", car.id), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not RepairItem.objects.exists()


def test_it_refuses_a_repair_item_on_a_sold_car(api, north):
    car = CarFactory(location=north, phase=Phase.SOLD)
    body = {"description": "Late fix", "parts_cost": "10.00"}
    response = api.post(url("api_car_repairs", car.id), body, format="json")
    assert response.status_code == 400
    assert "sold" in response.json()["description"][0]
    assert not RepairItem.objects.exists()


def test_repairs_refuse_the_outsider_anonymous_and_put(anon, api, outsider_api, car, assert_unauthenticated):
    body = {"description": "Brakes", "parts_cost": "10.00"}
    assert outsider_api.get(url("api_car_repairs", car.id)).status_code == 404
    assert outsider_api.post(url("api_car_repairs", car.id), body, format="json").status_code == 404
    assert_unauthenticated(anon.get(url("api_car_repairs", car.id)))
    assert_unauthenticated(anon.post(url("api_car_repairs", car.id), body, format="json"))
    assert api.put(url("api_car_repairs", car.id), body, format="json").status_code == 405
    assert not RepairItem.objects.exists()


def test_repairs_need_the_permission(sales_api, car):
    body = {"description": "Brakes", "parts_cost": "1"}
    response = sales_api.post(url("api_car_repairs", car.id), body, format="json")
    assert response.status_code == 403
    assert not RepairItem.objects.exists()


def test_it_deletes_a_repair_item(api, car):
    item = RepairItemFactory(car=car)
    response = api.delete(url("api_car_repair_detail", car.id, item.id))
    assert response.status_code == 204
    assert not RepairItem.objects.exists()


def test_deleting_a_repair_item_of_another_car_or_none_is_404(api, car, north):
    other = RepairItemFactory(car=CarFactory(location=north))
    assert api.delete(url("api_car_repair_detail", car.id, other.id)).status_code == 404
    assert api.delete(url("api_car_repair_detail", car.id, 999999)).status_code == 404
    assert RepairItem.objects.filter(pk=other.pk).exists()


def test_it_refuses_to_delete_a_repair_item_of_a_sold_car(api, north):
    car = CarFactory(location=north, phase=Phase.SOLD)
    item = RepairItemFactory(car=car)
    response = api.delete(url("api_car_repair_detail", car.id, item.id))
    assert response.status_code == 400 and "item" in response.json()
    assert RepairItem.objects.filter(pk=item.pk).exists()


def test_repair_delete_refuses_the_outsider_anonymous_and_get(anon, api, outsider_api, car, assert_unauthenticated):
    item = RepairItemFactory(car=car)
    assert outsider_api.delete(url("api_car_repair_detail", car.id, item.id)).status_code == 404
    assert_unauthenticated(anon.delete(url("api_car_repair_detail", car.id, item.id)))
    assert api.get(url("api_car_repair_detail", car.id, item.id)).status_code == 405
    assert RepairItem.objects.filter(pk=item.pk).exists()
