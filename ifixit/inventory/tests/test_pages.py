"""Inventory pages: happy path, anonymous, another location, wrong method, htmx fragment."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from ifixit.inventory.models import Car, CarPhoto, Phase, RepairItem, Sale
from ifixit.testing.factories import CarFactory, CustomerFactory, RepairItemFactory

REGISTRATION = {
    "vin": "WVWZZZ1KZAW123456",
    "registration": "LM19 XYZ",
    "make": "Volkswagen",
    "model": "Golf",
    "trim": "SE",
    "year": "2019",
    "mileage": "38000",
    "colour": "Blue",
    "fuel": "petrol",
    "transmission": "manual",
    "body_type": "hatchback",
    "phase": "purchased",
    "purchased_on": "2026-11-01",
    "purchase_price": "8200",
    "auction_fees": "420",
    "transport_cost": "150",
    "purchase_funding": "stock_finance",
    "asking_price": "",
    "notes": "",
}


def png_upload(name="car.png") -> SimpleUploadedFile:
    buf = BytesIO()
    Image.new("RGB", (64, 48), (10, 90, 200)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), "image/png")


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.FIXING, make="Vauxhall", model="Corsa")


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


# --- dashboard -------------------------------------------------------------------


def test_it_shows_the_dashboard(signed_in, car, north, manager):
    sold = CarFactory(location=north, phase=Phase.SOLD)
    Sale.objects.create(
        car=sold, sold_on=timezone.localdate(), price=Decimal(9000), cost_at_sale=Decimal(7000), location=north
    )
    response = signed_in.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "North Yard" in body and "Longest in fixing" in body and "Corsa" in body
    assert "£2,000" in body  # this month's gross profit


def test_dashboard_hides_other_locations(client, outsider, car):
    client.force_login(outsider)
    body = client.get(reverse("home")).content.decode()
    assert "North Yard" not in body and "Corsa" not in body


def test_dashboard_refuses_a_location_filter_outside_the_users_reach(client, outsider, north):
    client.force_login(outsider)
    assert client.get(reverse("home"), {"location": north.pk}).status_code == 404


def test_dashboard_redirects_anonymous_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_dashboard_refuses_post(signed_in):
    assert signed_in.post(reverse("home")).status_code == 405


# --- car list -----------------------------------------------------------------------


def test_it_lists_and_filters_cars(signed_in, north):
    CarFactory(
        location=north,
        phase=Phase.FIXING,
        make="Ford",
        model="Fiesta",
        year=2015,
        phase_changed_at=timezone.now() - timedelta(days=40),
    )
    CarFactory(location=north, phase=Phase.READY, make="Ford", model="Focus", year=2020)
    CarFactory(location=north, phase=Phase.FIXING, make="Kia", model="Ceed", year=2021)
    url = reverse("car_list")
    assert "3 cars" in signed_in.get(url).content.decode()
    body = signed_in.get(url, {"make": "ford"}).content.decode()
    assert "2 cars" in body and "Ceed" not in body
    body = signed_in.get(url, {"phase": "fixing", "min_days_in_phase": "30"}).content.decode()
    assert "1 car" in body and "Fiesta" in body
    body = signed_in.get(url, {"year_min": "2019", "year_max": "2020"}).content.decode()
    assert "1 car" in body and "Focus" in body


def test_the_list_sorts_by_days_in_phase(signed_in, north):
    CarFactory(location=north, model="Newer", phase_changed_at=timezone.now() - timedelta(days=2))
    CarFactory(location=north, model="Older", phase_changed_at=timezone.now() - timedelta(days=50))
    body = signed_in.get(reverse("car_list"), {"sort": "phase_changed_at"}).content.decode()
    assert body.index("Older") < body.index("Newer")


def test_the_list_explains_filters_it_cannot_read(signed_in, car):
    body = signed_in.get(reverse("car_list"), {"year_min": "abc"}).content.decode()
    assert "Some filters were not understood" in body


def test_the_list_only_shows_the_users_locations(client, outsider, car, south):
    CarFactory(location=south, model="Southern")
    client.force_login(outsider)
    body = client.get(reverse("car_list")).content.decode()
    assert "Southern" in body and "Corsa" not in body
    # Asking for another location's cars by id returns nothing, not their cars.
    body = client.get(reverse("car_list"), {"location": car.location_id}).content.decode()
    assert "Corsa" not in body


def test_the_list_answers_htmx_with_the_results_fragment(signed_in, car, htmx):
    response = signed_in.get(reverse("car_list"), {"make": "Vauxhall"}, HTTP_HX_TARGET="car-results", **htmx)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Corsa" in body and "<html" not in body and "Filter and sort" not in body


def test_the_list_pages_through_many_cars(signed_in, north):
    Car.objects.bulk_create(
        [
            Car(vin=f"PAGE{n:013d}", make="Skoda", model="Fabia", year=2017, mileage=1000, location=north)
            for n in range(60)
        ]
    )
    body = signed_in.get(reverse("car_list"), {"page": "3"}).content.decode()
    assert "Page 3 of 3" in body


def test_the_list_refuses_anonymous_and_post(client, signed_in, db):
    assert signed_in.post(reverse("car_list")).status_code == 405
    client.logout()
    assert client.get(reverse("car_list")).status_code == 302


def _queries_for(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["car_list", "home"])
def test_list_pages_run_a_fixed_number_of_queries(signed_in, north, url_name):
    def add_cars(n, start):
        cars = Car.objects.bulk_create(
            [
                Car(
                    vin=f"QC{start + i:015d}",
                    make="Ford",
                    model="Focus",
                    year=2018,
                    mileage=1000,
                    location=north,
                    phase=Phase.FIXING,
                )
                for i in range(n)
            ]
        )
        RepairItem.objects.bulk_create([RepairItem(car=c, description="Tyres", parts_cost=Decimal(100)) for c in cars])

    add_cars(10, 0)
    # The first request caches the user's permissions: ifixit/accounts/permissions.py
    _queries_for(signed_in, reverse(url_name))
    small = _queries_for(signed_in, reverse(url_name))
    add_cars(490, 10)
    large = _queries_for(signed_in, reverse(url_name))
    assert Car.objects.count() == 500
    assert small == large, f"{url_name}: {small} queries for 10 cars, {large} for 500"


# --- car detail -------------------------------------------------------------------


def test_it_shows_a_car_with_timeline_costs_and_photos(signed_in, car, manager):
    RepairItemFactory(car=car, description="New clutch", parts_cost=Decimal(250), labour_cost=Decimal(120))
    CarPhoto.objects.create(car=car, image=png_upload(), caption="Front")
    body = signed_in.get(reverse("car_detail", args=[car.pk])).content.decode()
    assert "New clutch" in body and "Timeline" in body and "Registered" in body
    assert "£7,340.00" in body  # 6500 + 350 + 120 + 370
    assert reverse("car_photo", args=[car.pk, car.photos.get().pk]) in body


def test_a_car_of_another_location_does_not_exist_for_the_outsider(client, outsider, car):
    client.force_login(outsider)
    for name in ["car_detail", "car_edit", "sale_record"]:
        assert client.get(reverse(name, args=[car.pk])).status_code == 404, name
    for name in ["car_phase", "repair_add", "photo_add"]:
        assert client.post(reverse(name, args=[car.pk]), {}).status_code == 404, name
    car.refresh_from_db()
    assert car.phase == Phase.FIXING


def test_car_detail_refuses_anonymous_and_post(client, signed_in, car):
    assert signed_in.post(reverse("car_detail", args=[car.pk])).status_code == 405
    client.logout()
    assert client.get(reverse("car_detail", args=[car.pk])).status_code == 302


# --- registration form ---------------------------------------------------------


def test_it_registers_a_car(signed_in, north):
    response = signed_in.post(reverse("car_create"), {**REGISTRATION, "location": north.pk})
    car = Car.objects.get()
    assert response.status_code == 302 and response.url == reverse("car_detail", args=[car.pk])
    assert (car.registration, car.location, car.phase) == ("LM19XYZ", north, Phase.PURCHASED)
    assert car.purchase_funding == "stock_finance"
    form = signed_in.get(reverse("car_create")).content.decode()
    assert 'name="purchase_funding"' in form and "Stock finance (floor plan)" in form


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("vin", "WVWZZZ1KZAW12345O", "never contains the letters I, O or Q"),
        ("vin", "SHORT", "exactly 17 characters"),
        ("mileage", "9000000", "less than or equal to"),
        ("purchase_price", "-500", "greater than or equal to 0"),
        ("year", "1700", "between"),
    ],
)
def test_the_registration_form_shows_errors_beside_the_field(signed_in, north, field, value, message):
    response = signed_in.post(reverse("car_create"), {**REGISTRATION, "location": north.pk, field: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}-error"' in body and message in body
    assert not Car.objects.exists()


def test_the_registration_form_refuses_another_location(signed_in, south):
    response = signed_in.post(reverse("car_create"), {**REGISTRATION, "location": south.pk})
    assert response.status_code == 400 and not Car.objects.exists()


def test_registration_needs_the_permission(client, sales_user):
    client.force_login(sales_user)
    assert client.get(reverse("car_create")).status_code == 403


def test_registration_refuses_anonymous_and_put(client, signed_in, db):
    assert signed_in.put(reverse("car_create")).status_code == 405
    client.logout()
    assert client.get(reverse("car_create")).status_code == 302


def test_it_edits_a_car(signed_in, car):
    form = {
        **REGISTRATION,
        "vin": car.vin,
        "registration": car.registration,
        "mileage": "51234",
        "make": "Vauxhall",
        "model": "Corsa",
    }
    form.pop("phase")
    response = signed_in.post(reverse("car_edit", args=[car.pk]), form)
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.mileage == 51234 and car.phase == Phase.FIXING


# --- phase changes -------------------------------------------------------------


def test_it_moves_a_car_through_the_htmx_fragment(signed_in, car, htmx):
    response = signed_in.post(
        reverse("car_phase", args=[car.pk]),
        {"to_phase": "ready", "expected_phase": "fixing", "note": "All done"},
        **htmx,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'data-testid="current-phase">Ready<' in body and "All done" in body
    car.refresh_from_db()
    assert car.phase == Phase.READY


def test_a_forbidden_move_shows_an_error_and_changes_nothing(signed_in, car, htmx):
    response = signed_in.post(
        reverse("car_phase", args=[car.pk]), {"to_phase": "reserved", "expected_phase": "fixing"}, **htmx
    )
    assert "cannot go from Fixing to Reserved" in response.content.decode()
    car.refresh_from_db()
    assert car.phase == Phase.FIXING and car.phase_changes.count() == 1


def test_a_stale_move_is_refused_without_htmx_as_a_conflict(signed_in, car):
    response = signed_in.post(
        reverse("car_phase", args=[car.pk]), {"to_phase": "ready", "expected_phase": "listed", "payment": "cash"}
    )
    assert response.status_code == 409 and "someone else" in response.content.decode()


def test_phase_change_refuses_get_and_anonymous(client, signed_in, car):
    assert signed_in.get(reverse("car_phase", args=[car.pk])).status_code == 405
    client.logout()
    assert (
        client.post(reverse("car_phase", args=[car.pk]), {"to_phase": "ready", "expected_phase": "fixing"}).status_code
        == 302
    )


# --- repair items, photos, sale ------------------------------------------------


def test_it_adds_a_repair_item_through_htmx(signed_in, car, htmx):
    response = signed_in.post(
        reverse("repair_add", args=[car.pk]),
        {"category": "tyres", "description": "Four tyres", "parts_cost": "320", "labour_cost": "40"},
        **htmx,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Four tyres" in body and "<html" not in body
    assert "£7,330.00" in body  # 6970 + 360


def test_a_bad_repair_item_shows_field_errors(signed_in, car):
    response = signed_in.post(
        reverse("repair_add", args=[car.pk]),
        {"category": "tyres", "description": "x", "parts_cost": "-3", "labour_cost": "0"},
    )
    assert response.status_code == 400
    assert 'id="id_parts_cost-error"' in response.content.decode()
    assert not RepairItem.objects.exists()


def test_it_refuses_a_repair_item_on_a_sold_car(signed_in, north):
    sold = CarFactory(location=north, phase=Phase.SOLD)
    response = signed_in.post(
        reverse("repair_add", args=[sold.pk]),
        {"category": "tyres", "description": "x", "parts_cost": "3", "labour_cost": "0"},
    )
    assert response.status_code == 400 and "sold" in response.content.decode()
    assert not RepairItem.objects.exists()


def test_it_deletes_a_repair_item(signed_in, car, htmx):
    item = RepairItemFactory(car=car)
    assert signed_in.post(reverse("repair_delete", args=[car.pk, item.pk]), **htmx).status_code == 200
    assert not RepairItem.objects.exists()
    assert signed_in.post(reverse("repair_delete", args=[car.pk, item.pk])).status_code == 404


def test_it_uploads_a_photo_and_serves_it_only_to_allowed_users(client, signed_in, car, outsider, htmx):
    response = signed_in.post(reverse("photo_add", args=[car.pk]), {"image": png_upload(), "caption": "Side"}, **htmx)
    assert response.status_code == 200 and "Side" in response.content.decode()
    photo = car.photos.get()
    url = reverse("car_photo", args=[car.pk, photo.pk])
    served = signed_in.get(url, follow=True)  # through the signed, expiring URL of the original
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_it_refuses_an_upload_that_is_not_an_image(signed_in, car):
    fake = SimpleUploadedFile("notes.jpg", b"just some text", "image/jpeg")
    response = signed_in.post(reverse("photo_add", args=[car.pk]), {"image": fake})
    assert response.status_code == 400 and "not an image" in response.content.decode()
    assert not CarPhoto.objects.exists()


def test_it_refuses_a_photo_over_the_limit(signed_in, car, settings):
    settings.MAX_PHOTO_BYTES = 100
    response = signed_in.post(reverse("photo_add", args=[car.pk]), {"image": png_upload()})
    assert response.status_code == 400 and "at most" in response.content.decode()


def test_it_records_a_sale_to_a_customer(signed_in, north):
    listed = CarFactory(location=north, phase=Phase.LISTED, asking_price=Decimal(9500))
    buyer = CustomerFactory(name="J. Smith", locations=[north])
    page = signed_in.get(reverse("sale_record", args=[listed.pk]) + f"?customer={buyer.pk}")
    assert page.status_code == 200 and "9500" in page.content.decode()
    assert 'data-testid="chosen-customer">J. Smith<' in page.content.decode()
    response = signed_in.post(
        reverse("sale_record", args=[listed.pk]),
        {
            "sold_on": timezone.localdate().isoformat(),
            "price": "9400",
            "customer": buyer.pk,
            "expected_phase": "listed",
            "payment": "cash",
        },
    )
    assert response.status_code == 302
    listed.refresh_from_db()
    assert listed.phase == Phase.SOLD and listed.sale.price == Decimal(9400)
    assert listed.sale.customer == buyer and listed.sale.buyer_name == "J. Smith"


def test_a_sale_needs_a_customer_of_the_users_locations(signed_in, north, south):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    stranger = CustomerFactory(locations=[south])
    url = reverse("sale_record", args=[listed.pk])
    body = {"sold_on": timezone.localdate().isoformat(), "price": "9400", "expected_phase": "listed", "payment": "cash"}
    missing = signed_in.post(url, body)
    assert missing.status_code == 400 and "Choose who bought the car" in missing.content.decode()
    foreign = signed_in.post(url, {**body, "customer": stranger.pk})
    assert foreign.status_code == 400 and "Choose a customer of your locations" in foreign.content.decode()
    assert not Sale.objects.exists()


def test_a_sale_in_the_future_is_refused_beside_the_date(signed_in, north):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    buyer = CustomerFactory(locations=[north])
    response = signed_in.post(
        reverse("sale_record", args=[listed.pk]),
        {"sold_on": tomorrow, "price": "9400", "customer": buyer.pk, "expected_phase": "listed", "payment": "cash"},
    )
    assert response.status_code == 400 and 'id="id_sold_on-error"' in response.content.decode()
    assert not Sale.objects.exists()


def test_workshop_staff_cannot_record_sales(client, workshop_user, north):
    listed = CarFactory(location=north, phase=Phase.LISTED)
    client.force_login(workshop_user)
    assert client.get(reverse("sale_record", args=[listed.pk])).status_code == 403
