"""REST API v1 of inventory: every endpoint for the happy path, anonymous (401), a user
of another location (404), the wrong method (405) and bad input (field-keyed 400 with
nothing written); stale phases (409), token auth, fixed query counts and the schema."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from ifixit.accounts.models import ApiToken
from ifixit.accounts.services import api_token_create
from ifixit.inventory.models import Car, CarPhoto, Phase, PhaseChange, RepairItem, Sale
from ifixit.testing.factories import CarFactory, RepairItemFactory

NEW_CAR = {
    "vin": "WVWZZZ1KZAW123456",
    "registration": "LM19 XYZ",
    "make": "Volkswagen",
    "model": "Golf",
    "trim": "SE",
    "year": 2019,
    "mileage": 38000,
    "colour": "Blue",
    "fuel": "petrol",
    "transmission": "manual",
    "body_type": "hatchback",
    "phase": "purchased",
    "purchased_on": "2025-11-01",
    "purchase_price": "8200.00",
    "auction_fees": "420.00",
    "transport_cost": "150.00",
}


def image_bytes(fmt="PNG", size=(64, 48)) -> bytes:
    buf = BytesIO()
    Image.new("RGB", size, (10, 90, 200)).save(buf, fmt)
    return buf.getvalue()


def upload(data: bytes, name="car.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(user=manager)
    return client


@pytest.fixture
def outsider_api(outsider):
    client = APIClient()
    client.force_authenticate(user=outsider)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.FIXING, make="Vauxhall", model="Corsa")


@pytest.fixture
def listed_car(north):
    return CarFactory(
        location=north,
        phase=Phase.LISTED,
        purchased_on=timezone.localdate() - timedelta(days=30),
        asking_price=Decimal("9500"),
    )


def url(name, *args):
    return reverse(name, args=args)


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


# --- locations -----------------------------------------------------------------------


def test_it_lists_the_locations_the_user_may_see(api, north, south):
    response = api.get(url("api_location_list"))
    assert response.status_code == 200
    assert [(loc["id"], loc["code"], loc["name"]) for loc in response.json()] == [(north.id, "NTH", "North Yard")]


def test_it_lists_every_location_for_an_admin(admin_user, north, south):
    response = api_for(admin_user).get(url("api_location_list"))
    assert {loc["code"] for loc in response.json()} == {"NTH", "STH"}


def test_locations_refuse_anonymous_and_post(anon, api, db):
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


def test_the_list_refuses_anonymous_and_put(anon, api, db):
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


def test_registration_needs_the_permission(workshop_user, north):
    response = api_for(workshop_user).post(url("api_car_list"), {**NEW_CAR, "location": north.id}, format="json")
    assert response.status_code == 403
    assert not Car.objects.exists()


def test_registration_refuses_anonymous(anon, north):
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
        car=car, sold_on=timezone.localdate(), price=Decimal("9000"), cost_at_sale=Decimal("7000"), location=north
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


def test_car_detail_refuses_anonymous_put_delete_and_post(anon, api, car):
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


def test_update_refuses_the_outsider_anonymous_and_the_unpermitted(anon, outsider_api, workshop_user, car):
    assert outsider_api.patch(url("api_car_detail", car.id), {"mileage": 1}, format="json").status_code == 404
    assert_unauthenticated(anon.patch(url("api_car_detail", car.id), {"mileage": 1}, format="json"))
    assert api_for(workshop_user).patch(url("api_car_detail", car.id), {"mileage": 1}, format="json").status_code == 403
    car.refresh_from_db()
    assert car.mileage == 45000


# --- phase changes -----------------------------------------------------------------------


def test_it_moves_a_car_to_its_next_phase(api, manager, car):
    response = api.post(
        url("api_car_phase", car.id),
        {"to_phase": "ready", "note": "Passed MOT", "expected_phase": "fixing"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phase"] == "ready" and response.json()["id"] == car.id
    car.refresh_from_db()
    assert car.phase == Phase.READY
    change = car.phase_changes.first()
    assert (change.from_phase, change.to_phase, change.changed_by) == ("fixing", "ready", manager)
    assert change.note == "Passed MOT"


@pytest.mark.parametrize(
    "to_phase, answer, says",
    [
        ("sold", 400, "Record the sale"),  # never by a move, whatever the phase
        ("listed", 409, "cannot go from"),  # the request is sound; the car's phase refuses it
        ("sourced", 409, "cannot go from"),
        ("flying", 400, "not a valid choice"),
    ],
)
def test_a_forbidden_move_is_refused_and_changes_nothing(api, north, to_phase, answer, says):
    car = CarFactory(location=north, phase=Phase.PURCHASED)
    response = api.post(url("api_car_phase", car.id), {"to_phase": to_phase}, format="json")
    assert response.status_code == answer
    assert says in response.json()["to_phase"][0]
    car.refresh_from_db()
    assert car.phase == Phase.PURCHASED and car.phase_changes.count() == 1


def test_a_stale_move_is_a_conflict(api, car):
    response = api.post(url("api_car_phase", car.id), {"to_phase": "fixing", "expected_phase": "ready"}, format="json")
    assert response.status_code == 409
    assert "someone else" in response.json()["to_phase"][0]
    car.refresh_from_db()
    assert car.phase == Phase.FIXING and car.phase_changes.count() == 1


def test_phase_change_refuses_get_anonymous_and_the_outsider(anon, api, outsider_api, car):
    assert api.get(url("api_car_phase", car.id)).status_code == 405
    assert_unauthenticated(anon.post(url("api_car_phase", car.id), {"to_phase": "ready"}, format="json"))
    assert outsider_api.post(url("api_car_phase", car.id), {"to_phase": "ready"}, format="json").status_code == 404
    car.refresh_from_db()
    assert car.phase == Phase.FIXING


# --- history ---------------------------------------------------------------------------


def test_it_shows_a_cars_history_newest_first(api, manager, car):
    api.post(url("api_car_phase", car.id), {"to_phase": "ready", "note": "Done"}, format="json")
    response = api.get(url("api_car_history", car.id))
    assert response.status_code == 200
    rows = response.json()
    assert [(r["from_phase"], r["to_phase"], r["changed_by"], r["note"]) for r in rows] == [
        ("fixing", "ready", "nina", "Done"),
        ("", "fixing", None, "Registered"),
    ]
    assert rows[0]["changed_at"]


def test_history_refuses_the_outsider_anonymous_and_post(anon, api, outsider_api, car):
    assert outsider_api.get(url("api_car_history", car.id)).status_code == 404
    assert_unauthenticated(anon.get(url("api_car_history", car.id)))
    assert api.post(url("api_car_history", car.id), {}, format="json").status_code == 405


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


def test_repairs_refuse_the_outsider_anonymous_and_put(anon, api, outsider_api, car):
    body = {"description": "Brakes", "parts_cost": "10.00"}
    assert outsider_api.get(url("api_car_repairs", car.id)).status_code == 404
    assert outsider_api.post(url("api_car_repairs", car.id), body, format="json").status_code == 404
    assert_unauthenticated(anon.get(url("api_car_repairs", car.id)))
    assert_unauthenticated(anon.post(url("api_car_repairs", car.id), body, format="json"))
    assert api.put(url("api_car_repairs", car.id), body, format="json").status_code == 405
    assert not RepairItem.objects.exists()


def test_repairs_need_the_permission(sales_user, car):
    body = {"description": "Brakes", "parts_cost": "1"}
    response = api_for(sales_user).post(url("api_car_repairs", car.id), body, format="json")
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


def test_repair_delete_refuses_the_outsider_anonymous_and_get(anon, api, outsider_api, car):
    item = RepairItemFactory(car=car)
    assert outsider_api.delete(url("api_car_repair_detail", car.id, item.id)).status_code == 404
    assert_unauthenticated(anon.delete(url("api_car_repair_detail", car.id, item.id)))
    assert api.get(url("api_car_repair_detail", car.id, item.id)).status_code == 405
    assert RepairItem.objects.filter(pk=item.pk).exists()


# --- photos ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, name, content_type", [("PNG", "front.png", "image/png"), ("JPEG", "side.jpg", "image/jpeg")]
)
def test_it_uploads_a_photo_that_only_allowed_users_can_fetch(api, manager, outsider, car, fmt, name, content_type):
    data = image_bytes(fmt, size=(80, 60))
    response = api.post(
        url("api_car_photos", car.id),
        {"image": upload(data, name, content_type), "caption": " Nearside "},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    photo = CarPhoto.objects.get()
    assert (body["id"], body["caption"], body["width"], body["height"]) == (photo.id, "Nearside", 80, 60)
    assert body["url"] == "http://testserver" + reverse("car_photo", args=[car.id, photo.id])

    page_client = APIClient()
    page_client.force_login(manager)
    fetched = page_client.get(body["url"])
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == data
    page_client.force_login(outsider)
    assert page_client.get(body["url"]).status_code == 404


def test_it_refuses_an_upload_that_is_not_an_image(api, car):
    response = api.post(
        url("api_car_photos", car.id), {"image": upload(b"%PDF-1.4 not a photo", "car.png")}, format="multipart"
    )
    assert response.status_code == 400
    assert "PDF, not a photo" in response.json()["image"][0]
    assert not CarPhoto.objects.exists()


def test_it_refuses_a_photo_over_the_limit(api, car, settings):
    settings.MAX_PHOTO_BYTES = 1024
    too_big = upload(image_bytes(size=(400, 400)) + b"\0" * 2048)
    response = api.post(url("api_car_photos", car.id), {"image": too_big}, format="multipart")
    assert response.status_code == 400
    assert "at most" in response.json()["image"][0]
    assert not CarPhoto.objects.exists()


def test_it_refuses_a_photo_over_fifteen_megabytes(api, car):
    oversized = image_bytes() + b"\0" * (15 * 1024 * 1024)
    response = api.post(url("api_car_photos", car.id), {"image": upload(oversized)}, format="multipart")
    assert response.status_code == 400
    assert "at most 15 MB" in response.json()["image"][0]
    assert not CarPhoto.objects.exists()


def test_an_upload_without_a_file_is_refused(api, car):
    response = api.post(url("api_car_photos", car.id), {"caption": "No file"}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()


def test_photos_refuse_the_outsider_anonymous_and_get(anon, api, outsider_api, car):
    photos_url = url("api_car_photos", car.id)
    assert outsider_api.post(photos_url, {"image": upload(image_bytes())}, format="multipart").status_code == 404
    assert_unauthenticated(anon.post(photos_url, {"image": upload(image_bytes())}, format="multipart"))
    assert api.get(url("api_car_photos", car.id)).status_code == 405
    assert not CarPhoto.objects.exists()


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


def test_sales_refuse_the_outsider_anonymous_get_and_the_workshop(anon, api, outsider_api, workshop_user, listed_car):
    body = {"sold_on": str(timezone.localdate()), "price": "9800.00"}
    assert outsider_api.post(url("api_car_sale", listed_car.id), body, format="json").status_code == 404
    assert_unauthenticated(anon.post(url("api_car_sale", listed_car.id), body, format="json"))
    assert api.get(url("api_car_sale", listed_car.id)).status_code == 405
    assert api_for(workshop_user).post(url("api_car_sale", listed_car.id), body, format="json").status_code == 403
    assert not Sale.objects.exists()


# --- tokens and sessions ---------------------------------------------------------------------


def test_a_bearer_token_authenticates(manager, car):
    token, key = api_token_create(user=manager, name="script")
    client = APIClient()
    response = client.get(url("api_car_list"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [car.id]
    token.refresh_from_db()
    assert token.last_used_at is not None

    response = client.post(
        url("api_car_phase", car.id), {"to_phase": "ready"}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Bearer ifx_not-a-real-key", "Bearer", "Bearer two words"])
def test_an_invalid_token_is_refused(manager, car, header):
    response = APIClient().get(url("api_car_list"), HTTP_AUTHORIZATION=header)
    assert_unauthenticated(response)


def test_a_revoked_token_or_inactive_user_is_refused(manager, car):
    token, key = api_token_create(user=manager, name="script")
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert_unauthenticated(APIClient().get(url("api_car_list"), HTTP_AUTHORIZATION=f"Bearer {key}"))
    ApiToken.objects.filter(pk=token.pk).delete()
    assert_unauthenticated(APIClient().get(url("api_car_list"), HTTP_AUTHORIZATION=f"Bearer {key}"))


def test_a_signed_in_session_can_use_the_api(manager, car):
    client = APIClient()
    client.force_login(manager)
    assert client.get(url("api_car_detail", car.id)).json()["id"] == car.id


# --- schema and docs -------------------------------------------------------------------------


def test_the_swagger_ui_and_schema_render_for_a_signed_in_user(client, manager):
    client.force_login(manager)
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/cars/", "/api/v1/cars/{car_id}/photos/", "/api/v1/locations/"} <= set(paths)


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/cars/{car_id}/sale/" in (tmp_path / "schema.yml").read_text()
