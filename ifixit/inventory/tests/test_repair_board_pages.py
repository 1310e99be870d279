"""The repair board and repair-time settings pages, and the repair board API: happy
path, anonymous, another location or role, bad input, the wrong method, query counts."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from ifixit.accounts.services import api_token_create
from ifixit.inventory.models import Car, Phase, PhaseChange
from ifixit.testing.factories import CarFactory, RepairItemFactory

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
BOARD = reverse("repair_board")
API = reverse("api_repair_board")
SOME_SETTINGS = {"repair_at_risk_days": "5", "repair_overdue_days": "9", "daily_holding_cost": "1"}
DEFAULT_THRESHOLDS = (21, 30, Decimal("12.00"))
CARD = re.compile(r'<li class="repair-card [a-z_]+" data-car="(\d+)" data-state="([a-z_]+)"')


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def car_in_fixing(location, days: int, **fields) -> Car:
    """A car bought earlier and put into fixing `days` days ago."""
    since = NOW - timedelta(days=days)
    car = CarFactory(location=location, phase=Phase.PURCHASED, phase_changed_at=since - timedelta(days=3), **fields)
    PhaseChange.objects.create(car=car, from_phase=Phase.PURCHASED, to_phase=Phase.FIXING, changed_at=since)
    Car.objects.filter(pk=car.pk).update(phase=Phase.FIXING, phase_changed_at=since)
    return car


@pytest.fixture
def cars(north):
    """Three North cars in fixing, made in no particular order, one of each state."""
    on_time = car_in_fixing(north, 3, make="Kia", model="Ceed")
    overdue = car_in_fixing(north, 35, make="Vauxhall", model="Corsa")
    at_risk = car_in_fixing(north, 25, make="Skoda", model="Fabia")
    RepairItemFactory(car=overdue, parts_cost=Decimal("400.00"), labour_cost=Decimal("250.00"))
    CarFactory(location=north, phase=Phase.READY, make="Ready", model="Notonboard")
    return {"on_time": on_time, "at_risk": at_risk, "overdue": overdue}


def cards(response) -> list[tuple[int, str]]:
    return [(int(car), state) for car, state in CARD.findall(response.content.decode())]


# --- repair board ------------------------------------------------------------------------


def test_it_shows_the_board_worst_first_with_days_spend_and_holding_cost(client, manager, cars, north):
    client.force_login(manager)
    response = client.get(BOARD)
    assert response.status_code == 200
    assert cards(response) == [
        (cars["overdue"].pk, "overdue"),
        (cars["at_risk"].pk, "at_risk"),
        (cars["on_time"].pk, "on_time"),
    ]
    body = response.content.decode()
    assert 'data-testid="count-overdue">1<' in body and 'data-testid="count-at_risk">1<' in body
    assert 'data-testid="count-on_time">1<' in body
    overdue_card = body[body.index(f'data-car="{cars["overdue"].pk}"') : body.index(f'data-car="{cars["at_risk"].pk}"')]
    assert "Vauxhall Corsa" in overdue_card and "35 d" in overdue_card and "Overdue" in overdue_card
    assert "£650" in overdue_card  # repair spend
    assert "£420" in overdue_card  # 35 days at £12 a day
    assert "28 Sep 2026" in overdue_card  # in fixing since
    assert "Notonboard" not in body
    assert reverse("repair_settings", args=[north.pk]) in body


def test_it_filters_the_board_by_location(client, admin_user, cars, north, south):
    southern = car_in_fixing(south, 40, model="Southern")
    client.force_login(admin_user)
    assert [car for car, _ in cards(client.get(BOARD))] == [
        southern.pk,
        cars["overdue"].pk,
        cars["at_risk"].pk,
        cars["on_time"].pk,
    ]
    assert [car for car, _ in cards(client.get(BOARD, {"location": south.pk}))] == [southern.pk]
    assert len(cards(client.get(BOARD, {"location": north.pk}))) == 3


def test_workshop_staff_see_the_board_without_the_settings_link(client, workshop_user, cars, north):
    client.force_login(workshop_user)
    response = client.get(BOARD)
    assert response.status_code == 200 and len(cards(response)) == 3
    assert reverse("repair_settings", args=[north.pk]) not in response.content.decode()


def test_the_board_redirects_anonymous_to_sign_in(client, cars):
    response = client.get(BOARD)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_another_locations_cars_are_not_on_the_board(client, outsider, cars, north, south):
    southern = car_in_fixing(south, 5, model="Southern")
    client.force_login(outsider)
    response = client.get(BOARD)
    assert response.status_code == 200
    assert cards(response) == [(southern.pk, "on_time")]
    assert "Corsa" not in response.content.decode()
    assert client.get(BOARD, {"location": north.pk}).status_code == 404


@pytest.mark.parametrize("location", ["abc", "1.5", "-1", "999999"])
def test_the_board_answers_404_to_a_location_it_cannot_read(client, manager, cars, location):
    client.force_login(manager)
    assert client.get(BOARD, {"location": location}).status_code == 404


def test_the_board_refuses_post(client, manager):
    client.force_login(manager)
    assert client.post(BOARD).status_code == 405


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_cars(location, count):
    for n in range(count):
        car = car_in_fixing(location, n * 2)
        RepairItemFactory(car=car)


@pytest.mark.parametrize("url", [BOARD, API])
def test_the_board_runs_a_fixed_number_of_queries(client, manager, north, url):
    client.force_login(manager)
    _add_cars(north, 3)
    _queries_for(client, url)  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few = _queries_for(client, url)
    _add_cars(north, 27)
    many = _queries_for(client, url)
    assert Car.objects.filter(phase=Phase.FIXING).count() == 30
    assert few == many, f"{few} queries for 3 cars, {many} for 30"


# --- repair-time settings ---------------------------------------------------------------------


def settings_url(location) -> str:
    return reverse("repair_settings", args=[location.pk])


def thresholds(location) -> tuple:
    location.refresh_from_db()
    return (location.repair_at_risk_days, location.repair_overdue_days, location.daily_holding_cost)


def test_it_shows_the_settings_form_with_the_current_values(client, manager, north):
    client.force_login(manager)
    response = client.get(settings_url(north))
    assert response.status_code == 200
    body = response.content.decode()
    assert "North Yard" in body
    assert 'name="repair_at_risk_days" value="21"' in body and 'name="repair_overdue_days" value="30"' in body


def test_it_saves_the_settings_and_the_board_follows(client, manager, north, cars):
    client.force_login(manager)
    response = client.post(
        settings_url(north), {"repair_at_risk_days": "2", "repair_overdue_days": "30", "daily_holding_cost": "15.60"}
    )
    assert response.status_code == 302
    assert response.url == f"{BOARD}?location={north.pk}"
    assert thresholds(north) == (2, 30, Decimal("15.60"))
    board = client.get(response.url)
    assert cards(board) == [
        (cars["overdue"].pk, "overdue"),
        (cars["at_risk"].pk, "at_risk"),
        (cars["on_time"].pk, "at_risk"),
    ]
    assert "£546" in board.content.decode()  # 35 days at £15.60


@pytest.mark.parametrize(
    "post, field, message",
    [
        (
            {"repair_at_risk_days": "30", "repair_overdue_days": "30"},
            "repair_at_risk_days",
            "A car must be at risk before it is overdue",
        ),
        (
            {"repair_at_risk_days": "40", "repair_overdue_days": "30"},
            "repair_at_risk_days",
            "A car must be at risk before it is overdue",
        ),
        ({"daily_holding_cost": "-5"}, "daily_holding_cost", "greater than or equal to 0"),
        ({"repair_overdue_days": ""}, "repair_overdue_days", "This field is required"),
    ],
)
def test_invalid_settings_answer_400_with_the_message_beside_the_field(client, manager, north, post, field, message):
    client.force_login(manager)
    data = {"repair_at_risk_days": "10", "repair_overdue_days": "20", "daily_holding_cost": "12.00"} | post
    response = client.post(settings_url(north), data)
    assert response.status_code == 400
    beside_field = rf'<p class="field-error" id="id_{field}-error" role="alert">([^<]*)</p>'
    error = re.search(beside_field, response.content.decode())
    assert error and message in error.group(1)
    assert thresholds(north) == DEFAULT_THRESHOLDS


def test_workshop_staff_may_not_change_the_settings(client, workshop_user, north):
    client.force_login(workshop_user)
    assert client.get(settings_url(north)).status_code == 403
    response = client.post(settings_url(north), SOME_SETTINGS)
    assert response.status_code == 403
    assert thresholds(north) == DEFAULT_THRESHOLDS


def test_another_locations_manager_gets_404_on_the_settings(client, outsider, north):
    client.force_login(outsider)
    assert client.get(settings_url(north)).status_code == 404
    response = client.post(settings_url(north), SOME_SETTINGS)
    assert response.status_code == 404
    assert thresholds(north) == DEFAULT_THRESHOLDS


def test_the_settings_redirect_anonymous_and_refuse_other_methods(client, manager, north):
    response = client.get(settings_url(north))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(manager)
    assert client.put(settings_url(north)).status_code == 405
    assert client.delete(settings_url(north)).status_code == 405


# --- API ---------------------------------------------------------------------------------------


def test_the_api_lists_the_board_worst_first(manager, cars, north, api_for):
    response = api_for(manager).get(API)
    assert response.status_code == 200
    rows = response.json()
    assert [(r["car_id"], r["state"], r["days"]) for r in rows] == [
        (cars["overdue"].pk, "overdue", 35),
        (cars["at_risk"].pk, "at_risk", 25),
        (cars["on_time"].pk, "on_time", 3),
    ]
    worst = rows[0]
    assert worst["repair_spend"] == "650.00"
    assert worst["cost_of_delay"] == "420.00"
    assert worst["location"] == {"id": north.pk, "code": "NTH", "name": "North Yard"}
    assert (worst["make"], worst["model"]) == ("Vauxhall", "Corsa")
    assert worst["fixing_since"].startswith("2026-09-28T")


def test_the_api_filters_by_location_and_hides_other_locations(
    manager, outsider, admin_user, cars, north, south, api_for
):
    southern = car_in_fixing(south, 1)
    assert [r["car_id"] for r in api_for(outsider).get(API).json()] == [southern.pk]
    assert api_for(outsider).get(API, {"location": north.pk}).status_code == 404
    assert [r["car_id"] for r in api_for(admin_user).get(API, {"location": south.pk}).json()] == [southern.pk]
    assert len(api_for(manager).get(API, {"location": north.pk}).json()) == 3


def test_the_api_refuses_a_location_that_is_not_a_number(manager, api_for):
    response = api_for(manager).get(API, {"location": "abc"})
    assert response.status_code == 400
    assert "location" in response.json()


def test_the_api_needs_a_valid_token_or_session(manager, cars, anon):
    response = anon.get(API)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    response = APIClient().get(API, HTTP_AUTHORIZATION="Bearer ifx_not-a-real-key")
    assert response.status_code == 401
    _, key = api_token_create(user=manager, name="script")
    response = APIClient().get(API, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and len(response.json()) == 3


def test_the_api_is_read_only(manager, api_for):
    assert api_for(manager).post(API, {}, format="json").status_code == 405
