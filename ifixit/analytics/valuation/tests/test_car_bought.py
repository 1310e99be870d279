"""The value model hears of each car the group buys (inventory.events.car_bought, connected in
AnalyticsConfig.ready) and queues its valuation once the purchase has committed: read off the
suite's real Redis broker, where the worker would take it from."""

import json

import pytest
import redis
from django.conf import settings

from ifixit.inventory import services as inventory
from ifixit.inventory.models import Phase

CAR = dict(vin="WF0XXXGCDX1234567", registration="ab12 cde", make="Ford", model="Focus", year=2019, mileage=41000)
TASK = "ifixit.analytics.tasks.record_valuation"


def valuations_queued(car_id: int) -> int:
    """How many record_valuation messages for this car wait in Celery's default queue."""
    broker = redis.Redis.from_url(settings.REDIS_URL)
    messages = [json.loads(raw) for raw in broker.lrange("celery", 0, -1)]
    return sum(1 for m in messages if m["headers"]["task"] == TASK and m["headers"]["argsrepr"] == f"({car_id},)")


@pytest.fixture(autouse=True)
def empty_queue():
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")


def test_a_car_registered_bought_is_valued_after_commit(manager, north, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        car = inventory.car_create(user=manager, location=north, phase=Phase.PURCHASED, **CAR)
        assert valuations_queued(car.pk) == 0  # not before the car is there for the worker to read
    for callback in queued:
        callback()
    assert valuations_queued(car.pk) == 1


def test_a_sourced_car_is_valued_when_it_is_bought_not_before(manager, north, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        car = inventory.car_create(user=manager, location=north, phase=Phase.SOURCED, **CAR)
    assert valuations_queued(car.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        inventory.car_change_phase(user=manager, car_id=car.pk, to_phase=Phase.PURCHASED)
    assert valuations_queued(car.pk) == 1
