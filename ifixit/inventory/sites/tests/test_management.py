"""Managing locations: the list everyone sees, and the admin-only create, edit,
deactivate, reactivate and delete (pages and services): happy path, anonymous, other
roles (403), the wrong method (405), bad input (400, nothing saved), a delete refused
while the location has history, and the htmx row fragment."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ifixit.accounts import roles
from ifixit.inventory.models import Phase, Transfer
from ifixit.inventory.sites import services
from ifixit.inventory.sites.tests.conftest import move, sell
from ifixit.locations.models import Location
from ifixit.testing.factories import CarFactory, LocationFactory, UserFactory

LIST = reverse("location_list")
CREATE = reverse("location_create")
LEEDS = {
    "name": "Leeds",
    "code": " lds2 ",
    "address": "Kirkstall Road\nLeeds LS4",
    "time_zone": "Europe/London",
    "daily_holding_cost": "14.50",
}


def edit_url(location) -> str:
    return reverse("location_edit", args=[location.pk])


def action_url(action: str, location) -> str:
    return reverse(f"location_{action}", args=[location.pk])


@pytest.fixture
def closed(manager):
    """An inactive location that the North manager also works at."""
    location = LocationFactory(name="Closed Yard", code="CLS", is_active=False)
    manager.locations.add(location)
    return location


@pytest.fixture
def group_manager(db):
    """Sees every location, but is no admin: still may not manage them."""
    return UserFactory(username="gm", role=roles.MANAGER, sees_all_locations=True)


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_a_managers_active_locations_with_stock_counts(client, manager, north, south, closed):
    CarFactory(location=north, phase=Phase.FIXING)
    CarFactory(location=north, phase=Phase.LISTED)
    CarFactory(location=north, phase=Phase.SOLD)  # sold: not stock
    CarFactory(location=north, phase=Phase.SOURCED)  # not bought yet: not stock
    client.force_login(manager)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [(loc.code, loc.stock_count) for loc in response.context["locations"]] == [("NTH", 2)]
    body = response.content.decode()
    assert 'data-testid="stock-count">2<' in body
    assert "South Yard" not in body and "Closed Yard" not in body
    assert CREATE not in body and edit_url(north) not in body


def test_admins_see_every_location_inactive_ones_too_and_the_new_button(client, admin_user, north, south, closed):
    client.force_login(admin_user)
    response = client.get(LIST)
    assert [loc.code for loc in response.context["locations"]] == ["NTH", "STH", "CLS"]  # inactive last
    body = response.content.decode()
    assert CREATE in body and "New location" in body
    assert body.count('data-testid="inactive"') == 1
    assert action_url("reactivate", closed) in body and action_url("deactivate", north) in body


def test_the_nav_links_to_the_list(client, manager):
    client.force_login(manager)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{LIST}"' in body
    assert f'<a href="{LIST}" aria-current="page">Locations</a>' in client.get(LIST).content.decode()


def test_the_list_redirects_anonymous_and_refuses_post(client, manager):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(manager)
    assert client.post(LIST).status_code == 405


# --- create --------------------------------------------------------------------------------


def test_an_admin_creates_a_location(client, admin_user):
    client.force_login(admin_user)
    form = client.get(CREATE)
    assert form.status_code == 200
    assert '<option value="Europe/London" selected>Europe/London</option>' in form.content.decode()
    response = client.post(CREATE, LEEDS)
    leeds = Location.objects.get(name="Leeds")
    assert response.status_code == 302 and response.url == reverse("location_detail", args=[leeds.pk])
    assert (leeds.code, leeds.address, leeds.time_zone, leeds.daily_holding_cost, leeds.is_active) == (
        "LDS2",
        "Kirkstall Road\nLeeds LS4",
        "Europe/London",
        Decimal("14.50"),
        True,
    )
    assert "Leeds (LDS2) created." in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"code": "nth"}, "code", "The code NTH is already used by another location."),
        ({"code": "N"}, "code", "A code is 2 to 10 letters or digits"),
        ({"code": "LEEDS-1"}, "code", "A code is 2 to 10 letters or digits"),
        ({"code": "ABCDEFGHIJK"}, "code", "A code is 2 to 10 letters or digits"),
        ({"name": "north yard"}, "name", "There is already a location called north yard."),
        ({"name": "  "}, "name", "This field is required."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "is not a time zone we know"),
        ({"time_zone": "localtime"}, "time_zone", "is not a time zone we know"),
        ({"daily_holding_cost": "-1"}, "daily_holding_cost", "A holding cost cannot be negative."),
        ({"daily_holding_cost": "20000"}, "daily_holding_cost", "surely a typo"),
        ({"daily_holding_cost": "abc"}, "daily_holding_cost", "Enter a number."),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_saved(client, admin_user, north, change, field, message):
    client.force_login(admin_user)
    response = client.post(CREATE, {**LEEDS, **change})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert "field-error" in response.content.decode()
    assert list(Location.objects.values_list("code", flat=True)) == ["NTH"]


# --- edit ------------------------------------------------------------------------------------


def test_an_admin_edits_a_location(client, admin_user, north):
    client.force_login(admin_user)
    form = client.get(edit_url(north))
    assert form.status_code == 200 and 'value="NTH"' in form.content.decode()
    response = client.post(
        edit_url(north), {**LEEDS, "name": "North Yard (Leeds)", "code": "nth", "time_zone": "Europe/Dublin"}
    )
    assert response.status_code == 302 and response.url == reverse("location_detail", args=[north.pk])
    north.refresh_from_db()
    assert (north.name, north.code, north.time_zone, north.daily_holding_cost) == (
        "North Yard (Leeds)",
        "NTH",  # its own code is no clash
        "Europe/Dublin",
        Decimal("14.50"),
    )


def test_an_edit_to_another_locations_code_is_refused_and_nothing_saved(client, admin_user, north, south):
    client.force_login(admin_user)
    response = client.post(edit_url(north), {**LEEDS, "code": "sth", "daily_holding_cost": "99"})
    assert response.status_code == 400
    assert "The code STH is already used by another location." in response.content.decode()
    north.refresh_from_db()
    assert (north.code, north.daily_holding_cost) == ("NTH", Decimal("12.00"))


def test_a_stored_zone_no_longer_offered_is_shown_and_must_be_changed(client, admin_user, north):
    Location.objects.filter(pk=north.pk).update(time_zone="localtime")
    client.force_login(admin_user)
    assert '<option value="localtime" selected>' in client.get(edit_url(north)).content.decode()
    response = client.post(edit_url(north), {**LEEDS, "time_zone": "localtime"})
    assert response.status_code == 400 and "is not a time zone we know" in response.content.decode()


def test_editing_a_missing_location_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/locations/999999/edit/").status_code == 404


# --- deactivate, reactivate ----------------------------------------------------------------------


def test_an_admin_deactivates_and_reactivates_a_location(client, admin_user, north):
    client.force_login(admin_user)
    response = client.post(action_url("deactivate", north))
    assert response.status_code == 302 and response.url == LIST
    north.refresh_from_db()
    assert north.is_active is False
    assert "receives no new cars or transfers" in client.get(LIST).content.decode()
    assert client.post(action_url("reactivate", north)).status_code == 302
    north.refresh_from_db()
    assert north.is_active is True


def test_deactivating_answers_htmx_with_the_changed_row(client, admin_user, north, htmx):
    CarFactory(location=north, phase=Phase.READY)
    client.force_login(admin_user)
    response = client.post(action_url("deactivate", north), **htmx)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<li class="location-card inactive" data-location="{north.pk}"')
    assert "<html" not in body
    assert 'data-testid="stock-count">1<' in body and 'data-testid="inactive"' in body
    assert action_url("reactivate", north) in body
    response = client.post(action_url("reactivate", north), **htmx)
    assert action_url("deactivate", north) in response.content.decode()
    north.refresh_from_db()
    assert north.is_active is True


# --- delete ------------------------------------------------------------------------------------


def test_an_admin_deletes_a_location_with_no_history(client, admin_user):
    empty = LocationFactory(name="Never Used", code="NEW")
    client.force_login(admin_user)
    response = client.post(action_url("delete", empty))
    assert response.status_code == 302 and response.url == LIST
    assert not Location.objects.filter(pk=empty.pk).exists()


@pytest.mark.parametrize("history", ["cars", "sale", "transfer"])
def test_a_location_with_history_is_not_deleted_but_to_be_deactivated(
    client, admin_user, manager, north, south, history
):
    if history == "cars":
        CarFactory(location=north)
        CarFactory(location=north, phase=Phase.SOLD)
        expected = "2 cars"
    elif history == "sale":
        sale = sell(north, sold_on=date(2026, 1, 5), price="5000", cost="4000")
        sale.car.location = south  # sold here, then moved away: the sale still ties it here
        sale.car.save()
        expected = "1 sale"
    else:
        car = CarFactory(location=south)
        move(car, from_=north, to=south, status=Transfer.Status.RECEIVED, by=manager)
        expected = "1 transfer"
    client.force_login(admin_user)
    response = client.post(action_url("delete", north))
    assert response.status_code == 409
    message = response.context["delete_error"]
    assert message == f"North Yard cannot be deleted: it has {expected} on record. Deactivate it instead."
    assert message in response.content.decode()
    assert Location.objects.filter(pk=north.pk, is_active=True).exists()


# --- who may manage ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "workshop_user", "sales_user", "group_manager"])
def test_only_admins_manage_locations(request, client, north, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, LEEDS).status_code == 403
    assert client.get(edit_url(north)).status_code == 403
    assert client.post(edit_url(north), {**LEEDS, "code": "ZZZ"}).status_code == 403
    for action in ("deactivate", "reactivate", "delete"):
        assert client.post(action_url(action, north)).status_code == 403, action
    north.refresh_from_db()
    assert (north.code, north.is_active) == ("NTH", True)
    assert not Location.objects.filter(name="Leeds").exists()


def test_management_pages_redirect_anonymous_to_sign_in(client, north):
    pages = [client.get(CREATE), client.get(edit_url(north))]
    buttons = [client.post(action_url(action, north)) for action in ("deactivate", "reactivate", "delete")]
    for response in pages + buttons:
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Location.objects.filter(pk=north.pk, is_active=True).exists()


def test_management_refuses_the_wrong_method(client, admin_user, north):
    client.force_login(admin_user)
    for action in ("deactivate", "reactivate", "delete"):
        assert client.get(action_url(action, north)).status_code == 405, action
    assert client.put(CREATE).status_code == 405
    assert client.delete(edit_url(north)).status_code == 405
    assert Location.objects.filter(pk=north.pk).exists()


# --- the services, called directly ---------------------------------------------------------------


def test_the_create_service_normalises_and_checks_the_role(admin_user, manager):
    leeds = services.location_create(
        user=admin_user, name=" Leeds ", code="l d s", time_zone="Europe/London", daily_holding_cost=Decimal(0)
    )
    assert (leeds.name, leeds.code, leeds.address) == ("Leeds", "LDS", "")
    with pytest.raises(PermissionDenied):
        services.location_create(
            user=manager, name="York", code="YRK", time_zone="Europe/London", daily_holding_cost=Decimal(1)
        )
    assert not Location.objects.filter(code="YRK").exists()


def test_the_create_service_reports_every_bad_field_at_once(admin_user):
    with pytest.raises(ValidationError) as caught:
        services.location_create(
            user=admin_user, name="", code="!", time_zone="Nowhere", daily_holding_cost=Decimal(-5)
        )
    assert set(caught.value.message_dict) == {"name", "code", "time_zone", "daily_holding_cost"}
    assert not Location.objects.exists()


def test_the_delete_service_refuses_a_location_with_cars(admin_user, north):
    CarFactory(location=north)
    with pytest.raises(ValidationError, match="Deactivate it instead"):
        services.location_delete(user=admin_user, location_id=north.pk)
    assert Location.objects.filter(pk=north.pk).exists()


def test_a_manager_cannot_deactivate_through_the_service(manager, north):
    with pytest.raises(PermissionDenied):
        services.location_deactivate(user=manager, location_id=north.pk)
    north.refresh_from_db()
    assert north.is_active
