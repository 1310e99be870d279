"""REST API v1 of inventory, a car's phase: moving it on (stale phases are a 409) and its
history; anonymous (401), the outsider (404) and the wrong method (405)."""

import pytest

from ifixit.inventory.models import Phase
from ifixit.inventory.tests.conftest import url
from ifixit.testing.factories import CarFactory

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


def test_phase_change_refuses_get_anonymous_and_the_outsider(anon, api, outsider_api, car, assert_unauthenticated):
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


def test_history_refuses_the_outsider_anonymous_and_post(anon, api, outsider_api, car, assert_unauthenticated):
    assert outsider_api.get(url("api_car_history", car.id)).status_code == 404
    assert_unauthenticated(anon.get(url("api_car_history", car.id)))
    assert api.post(url("api_car_history", car.id), {}, format="json").status_code == 405
