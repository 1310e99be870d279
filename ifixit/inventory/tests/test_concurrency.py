"""Two people moving the same car at the same moment, on two real database
connections: the row lock (PostgreSQL) or the IMMEDIATE write lock (SQLite) lets one
win; the other is refused, and the car's phase and history stay consistent."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ifixit.inventory import services
from ifixit.inventory.models import Phase
from ifixit.testing.factories import CarFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_moves_of_one_car_leave_one_consistent_phase(manager, workshop_user, north):
    car = CarFactory(location=north, phase=Phase.READY)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def move(name, user, to_phase):
        try:
            start.wait(timeout=10)
            services.car_change_phase(user=user, car_id=car.pk, to_phase=to_phase, expected_phase=Phase.READY)
            outcomes[name] = "moved"
        except ValidationError as exc:
            outcomes[name] = exc.error_dict["to_phase"][0].code or "refused"
        finally:
            connection.close()  # each thread has its own connection

    threads = [
        threading.Thread(target=move, args=("sales", manager, Phase.LISTED)),
        threading.Thread(target=move, args=("workshop", workshop_user, Phase.FIXING)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["conflict", "moved"], outcomes
    car.refresh_from_db()
    winner = Phase.LISTED if outcomes["sales"] == "moved" else Phase.FIXING
    assert car.phase == winner
    history = list(car.phase_changes.order_by("changed_at", "id").values_list("from_phase", "to_phase"))
    assert history == [("", Phase.READY), (Phase.READY, winner)]
