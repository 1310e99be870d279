"""seed_demo on a database of its own: it leaves one that has cars alone, the same seed plans
the same cars, and the demo's transfers are in every state (tests that seed for themselves,
apart from the shared demo of test_seed_demo)."""

from io import StringIO

from django.core.management import call_command

from ifixit.accounts.models import User
from ifixit.finance.models import FinanceApplication
from ifixit.inventory.models import Car, Sale, Transfer
from ifixit.testing.factories import CarFactory

CARS = 150


def test_it_does_nothing_when_there_are_cars_already(db):
    CarFactory()
    out = StringIO()
    call_command("seed_demo", cars=CARS, stdout=out)
    assert "Demo data already present" in out.getvalue()
    assert Car.objects.count() == 1 and not User.objects.exists()


def test_it_plans_the_same_cars_from_the_same_seed(db):
    call_command("seed_demo", cars=40, seed=7, stdout=StringIO())
    fields = ("vin", "registration", "make", "model", "mileage", "purchase_price", "phase")
    first = list(Car.objects.order_by("vin").values_list(*fields))
    FinanceApplication.objects.all().delete()
    Transfer.objects.all().delete()
    Sale.objects.all().delete()
    Car.objects.all().delete()
    call_command("seed_demo", cars=40, seed=7, stdout=StringIO())
    again = list(Car.objects.order_by("vin").values_list(*fields))
    assert first == again


def test_the_demo_has_transfers_in_every_state(db):
    from ifixit.inventory.demo_data import TRANSFER_STATES, demo_data_create
    from ifixit.inventory.models import Car, Transfer

    demo_data_create(password="demo-pass-for-tests", car_count=200)
    counts = {s: Transfer.objects.filter(status=s).count() for s in Transfer.Status.values}
    assert counts == TRANSFER_STATES
    for transfer in Transfer.objects.filter(status="received"):
        assert Car.objects.get(pk=transfer.car_id).location_id == transfer.to_location_id
    for transfer in Transfer.objects.filter(status="dispatched"):
        car = Car.objects.get(pk=transfer.car_id)
        assert car.phase == "in_transit" and car.location_id == transfer.from_location_id
