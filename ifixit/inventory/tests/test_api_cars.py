"""REST API v1 of inventory, its locations and cars: listing, filtering and paging cars,
registering one, its detail and changing its facts; for the happy path, anonymous (401), a user of
another location (404), the wrong method (405), bad input (field-keyed 400 with nothing written)
and fixed query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ifixit.inventory.models import Car, CarPhoto, Phase, PhaseChange, RepairItem, Sale
from ifixit.inventory.tests.conftest import NEW_CAR, image_bytes, upload, url
from ifixit.testing.factories import CarFactory, RepairItemFactory

# --- locations -----------------------------------------------------------------------


def test_it_lists_the_locations_the_user_may_see(api, north, south):
    response = api.get(url("api_location_list"))
    assert response.status_code == 200
    assert [(loc["id"], loc["code"], loc["name"]) for loc in response.json()] == [(north.id, "NTH", "North Yard")]


def test_it_lists_every_location_for_an_admin(admin_api, north, south):
    response = admin_api.get(url("api_location_list"))
    assert {loc["code"] for loc in response.json()} == {"NTH", "STH"}


def test_locations_refuse_anonymous_and_post(anon, api, db, assert_unauthenticated):
    assert_unauthenticated(anon.get(url("api_location_list")))
    assert api.post(url("api_location_list"), {}).status_code == 405


# --- car list --------------------------------------------------------------------------


def test_it_lists_cars_with_their_costs(api, car, north):
    RepairItemFactory(car=car, parts_cost=Decimal("100.00"), labour_cost=Decimal("50.00"))
    response = api.get(url("api_car_list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    row = body["results"][0]
    assert row["id"] == car.id and row["vin"] == car.vin and row["make"] == "Vauxhall"
    assert row["location"] == {"id": north.id, "code": "NTH", "name": "North Yard"}
    assert row["phase"] == "fixing" and row["days_in_phase"] == 0
    assert row["repair_total"] == "150.00"
    assert row["total_cost"] == str(car.purchase_price + car.auction_fees + car.transport_cost + Decimal("150.00"))
    assert row["url"] == "http://testserver" + url("api_car_detail", car.id)
    assert set(row) >= {
        "registration", "model", "trim", "year", "mileage", "fuel", "transmission", "body_type", "colour",
        "phase_changed_at", "purchased_on", "purchase_price", "auction_fees", "transport_cost", "asking_price",
    }  # fmt: skip


def test_the_list_only_shows_the_users_locations(outsider_api, car, south):
    CarFactory(location=south, make="Skoda")
    response = outsider_api.get(url("api_car_list"))
    assert [row["make"] for row in response.json()["results"]] == ["Skoda"]


def test_it_filters_and_sorts_the_list(api, north):
    old = timezone.now() - timedelta(days=40)
    fiesta = CarFactory(
        location=north, make="Ford", model="Fiesta", year=2015, phase=Phase.FIXING, phase_changed_at=old
    )
    focus = CarFactory(
        location=north, make="Ford", model="Focus", year=2020, phase=Phase.LISTED, registration="AB12CDE"
    )
    golf = CarFactory(location=north, make="Volkswagen", model="Golf", year=2018, phase=Phase.FIXING)

    def ids(**params):
        response = api.get(url("api_car_list"), params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(phase="fixing", sort="year") == [fiesta.id, golf.id]
    assert ids(make="ford", sort="-year") == [focus.id, fiesta.id]
    assert ids(make="Ford", model="fiesta") == [fiesta.id]
    assert ids(year_min=2016, year_max=2019) == [golf.id]
    assert ids(min_days_in_phase=30) == [fiesta.id]
    assert ids(q="ab12 cde") == [focus.id]
    assert ids(location=north.id, sort="phase_changed_at")[0] == fiesta.id
    assert ids(phase="", sort="") == [golf.id, focus.id, fiesta.id]  # blank means "any"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"phase": "flying"}, "phase"),
        ({"year_min": "abc"}, "year_min"),
        ({"location": "north"}, "location"),
        ({"min_days_in_phase": "-1"}, "min_days_in_phase"),
        ({"sort": "price; drop table"}, "sort"),
    ],
)
def test_the_list_refuses_filters_it_cannot_read(api, car, params, field):
    response = api.get(url("api_car_list"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_list_pages_by_fifty(api, north):
    Car.objects.bulk_create(CarFactory.build(location=north) for _ in range(51))
    first = api.get(url("api_car_list")).json()
    assert first["count"] == 51 and len(first["results"]) == 50 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["previous"]


def test_the_list_refuses_anonymous_and_put(anon, api, db, assert_unauthenticated):
    assert_unauthenticated(anon.get(url("api_car_list")))
    assert api.put(url("api_car_list"), {}, format="json").status_code == 405
    assert api.delete(url("api_car_list")).status_code == 405


def test_the_list_runs_a_fixed_number_of_queries(api, north):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url("api_car_list"), {"sort": "-total_cost"})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    Car.objects.bulk_create(CarFactory.build(location=north) for _ in range(10))
    RepairItemFactory(car=Car.objects.first())
    with_ten = count_queries()

    Car.objects.bulk_create(CarFactory.build(location=north) for _ in range(490))
    RepairItem.objects.bulk_create(RepairItemFactory.build(car=c) for c in Car.objects.all()[:100])
    with_five_hundred = count_queries()

    assert Car.objects.count() == 500
    assert with_ten == with_five_hundred
    assert with_five_hundred <= 3  # the page's count and the page itself


# --- car create ----------------------------------------------------------------------


def test_it_registers_a_car(api, manager, north):
    response = api.post(url("api_car_list"), {**NEW_CAR, "location": north.id, "note": "From Manheim"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    car = Car.objects.get()
    assert body["id"] == car.id and body["vin"] == "WVWZZZ1KZAW123456" and body["registration"] == "LM19XYZ"
    assert body["total_cost"] == "8770.00" and body["sale"] is None and body["repairs"] == [] and body["photos"] == []
    assert car.created_by == manager and car.location == north
    assert car.phase_changes.get().note == "From Manheim"


def test_registration_refuses_a_location_the_user_may_not_see(api, south):
    response = api.post(url("api_car_list"), {**NEW_CAR, "location": south.id}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["location"]
    assert not Car.objects.exists()


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("vin", "WVWZZZ1KZAW12345O", "I, O or Q"),
        ("vin", "WVWZZZ1KZAW12345I", "I, O or Q"),
        ("vin", "WVWZZZ1KZAW1234Q6", "I, O or Q"),
        ("vin", "WVWZZZ1KZAW1234", "17 characters"),
        ("vin", "WVWZZZ1KZAW1234567", "17 characters"),
        ("purchase_price", "-1.00", "greater than or equal to 0"),
        ("mileage", 2_000_000, "less than or equal to 1500000"),
        ("year", 1850, "between"),
        ("registration", "NOT A PLATE!", "UK registration"),
    ],
)
def test_registration_refuses_bad_values_by_field_and_writes_nothing(api, north, field, value, fragment):
    response = api.post(url("api_car_list"), {**NEW_CAR, "location": north.id, field: value}, format="json")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()[field])
    assert not Car.objects.exists() and not PhaseChange.objects.exists()


def test_registration_refuses_missing_fields_and_a_duplicate_vin(api, north, south):
    response = api.post(url("api_car_list"), {"location": north.id}, format="json")
    assert response.status_code == 400
    assert {"vin", "make", "model", "year", "mileage"} <= set(response.json())

    CarFactory(vin=NEW_CAR["vin"], location=south)
    response = api.post(url("api_car_list"), {**NEW_CAR, "location": north.id}, format="json")
    assert response.status_code == 400 and "already registered" in response.json()["vin"][0]
    assert Car.objects.count() == 1


def test_registration_needs_the_permission(workshop_api, north):
    response = workshop_api.post(url("api_car_list"), {**NEW_CAR, "location": north.id}, format="json")
    assert response.status_code == 403
    assert not Car.objects.exists()


def test_registration_refuses_anonymous(anon, north, assert_unauthenticated):
    assert_unauthenticated(anon.post(url("api_car_list"), {**NEW_CAR, "location": north.id}, format="json"))
    assert not Car.objects.exists()


# --- car detail ----------------------------------------------------------------------


def test_it_shows_a_car_with_repairs_and_photos(api, car):
    item = RepairItemFactory(car=car)
    photo = CarPhoto.objects.create(car=car, image=upload(image_bytes()), caption="Front")
    response = api.get(url("api_car_detail", car.id))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == car.id and body["sale"] is None
    assert body["allowed_next_phases"] == ["ready"] and body["can_be_sold"] is False
    assert [(r["id"], r["total"]) for r in body["repairs"]] == [(item.id, "270.00")]
    assert body["photos"] == [
        {
            "id": photo.id,
            "url": "http://testserver" + reverse("car_photo", args=[car.id, photo.id]),
            "caption": "Front",
            "width": 64,
            "height": 48,
            "uploaded_at": body["photos"][0]["uploaded_at"],
        }
    ]


def test_the_detail_of_a_sold_car_has_its_sale(api, north):
    car = CarFactory(location=north, phase=Phase.SOLD)
    Sale.objects.create(
        car=car, sold_on=timezone.localdate(), price=Decimal(9000), cost_at_sale=Decimal(7000), location=north
    )
    sale = api.get(url("api_car_detail", car.id)).json()["sale"]
    assert (sale["sold_on"], sale["price"], sale["gross_profit"]) == (str(timezone.localdate()), "9000.00", "2000.00")


def test_the_detail_runs_a_fixed_number_of_queries(api, car):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url("api_car_detail", car.id)).status_code == 200
        return len(ctx.captured_queries)

    RepairItemFactory(car=car)
    CarPhoto.objects.create(car=car, image=upload(image_bytes()))
    few = count_queries()
    RepairItem.objects.bulk_create(RepairItemFactory.build(car=car) for _ in range(20))
    CarPhoto.objects.bulk_create(
        CarPhoto(car=car, image=f"cars/{car.id}/x{n}.png", width=64, height=48) for n in range(20)
    )
    assert count_queries() == few


def test_a_car_of_another_location_does_not_exist_for_the_outsider(outsider_api, car):
    assert outsider_api.get(url("api_car_detail", car.id)).status_code == 404
    assert outsider_api.get(url("api_car_detail", 999999)).status_code == 404


def test_car_detail_refuses_anonymous_put_delete_and_post(anon, api, car, assert_unauthenticated):
    assert_unauthenticated(anon.get(url("api_car_detail", car.id)))
    assert api.put(url("api_car_detail", car.id), NEW_CAR, format="json").status_code == 405
    assert api.delete(url("api_car_detail", car.id)).status_code == 405
    assert api.post(url("api_car_detail", car.id), NEW_CAR, format="json").status_code == 405
    assert Car.objects.filter(pk=car.pk).exists()


# --- car update ----------------------------------------------------------------------


def test_it_updates_some_of_a_car(api, car):
    response = api.patch(url("api_car_detail", car.id), {"mileage": 52000, "asking_price": "7999.00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["mileage"] == 52000 and response.json()["asking_price"] == "7999.00"
    car.refresh_from_db()
    assert car.mileage == 52000 and car.asking_price == Decimal("7999.00") and car.make == "Vauxhall"


@pytest.mark.parametrize(
    "field, value",
    [
        ("mileage", 2_000_000),
        ("vin", "WVWZZZ1KZAW12345O"),
        ("vin", "SHORT"),
        ("transport_cost", "-5.00"),
        ("fuel", "coal"),
    ],
)
def test_an_update_with_a_bad_value_changes_nothing(api, car, field, value):
    before = Car.objects.values().get(pk=car.pk)
    response = api.patch(url("api_car_detail", car.id), {field: value, "make": "Changed"}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Car.objects.values().get(pk=car.pk) == before


@pytest.mark.parametrize("field, value", [("phase", "sold"), ("location", 1), ("created_by", 1)])
def test_an_update_refuses_fields_it_cannot_change(api, car, field, value):
    response = api.patch(url("api_car_detail", car.id), {field: value, "mileage": 1}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    car.refresh_from_db()
    assert car.mileage == 45000 and car.phase == Phase.FIXING


def test_the_costs_of_a_sold_car_are_closed(api, north):
    car = CarFactory(location=north, phase=Phase.SOLD)
    response = api.patch(url("api_car_detail", car.id), {"purchase_price": "1.00"}, format="json")
    assert response.status_code == 400 and "purchase_price" in response.json()
    car.refresh_from_db()
    assert car.purchase_price == Decimal("6500.00")


def test_update_refuses_the_outsider_anonymous_and_the_unpermitted(
    anon, outsider_api, workshop_api, car, assert_unauthenticated
):
    assert outsider_api.patch(url("api_car_detail", car.id), {"mileage": 1}, format="json").status_code == 404
    assert_unauthenticated(anon.patch(url("api_car_detail", car.id), {"mileage": 1}, format="json"))
    assert workshop_api.patch(url("api_car_detail", car.id), {"mileage": 1}, format="json").status_code == 403
    car.refresh_from_db()
    assert car.mileage == 45000
