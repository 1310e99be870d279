"""The seed_demo command: a consistent, complete demo database, created once."""

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.inventory.models import (
    TRANSITIONS,
    Car,
    Phase,
    PhaseChange,
    RepairItem,
    Sale,
    validate_uk_plate,
    validate_vin,
)
from ifixit.locations.models import Location

CARS = 150


@pytest.fixture(scope="module")
def demo_options():
    return {"cars": CARS}  # seeded once for the module (ifixit.testing.demo)


def _histories() -> dict[int, list[PhaseChange]]:
    histories = defaultdict(list)
    for change in PhaseChange.objects.order_by("car_id", "changed_at", "id"):
        histories[change.car_id].append(change)
    return histories


def test_it_creates_three_locations_and_the_cars_asked_for(seeded):
    assert sorted(Location.objects.values_list("code", "time_zone")) == [
        ("LDS", "Europe/London"),
        ("MAN", "Europe/London"),
        ("SHF", "Europe/London"),
    ]
    assert Car.objects.count() == CARS
    assert "Sign in at http://localhost:8000 as admin / demo-pass-2026" in seeded


def test_it_puts_cars_in_every_phase(seeded):
    counts = {phase: Car.objects.filter(phase=phase).count() for phase in Phase.values}
    assert all(counts.values()), counts
    assert counts[Phase.SOLD] == Sale.objects.count()
    assert counts[Phase.SOLD] > CARS / 2


def test_it_leaves_some_cars_in_fixing_for_over_a_month(seeded):
    month_ago = timezone.now() - timezone.timedelta(days=30)
    assert Car.objects.filter(phase=Phase.FIXING, phase_changed_at__lt=month_ago).exists()


def test_it_keeps_each_cars_phase_equal_to_its_last_change(seeded):
    histories = _histories()
    for car in Car.objects.all():
        last = histories[car.pk][-1]
        assert (car.phase, car.phase_changed_at) == (last.to_phase, last.changed_at), car.pk


def test_it_follows_the_transitions_in_every_history(seeded):
    now = timezone.now()
    for car_id, history in _histories().items():
        first, *rest = history
        assert first.from_phase == "" and first.to_phase in (Phase.SOURCED, Phase.PURCHASED), car_id
        previous = first
        for change in rest:
            assert change.from_phase == previous.to_phase, car_id
            moved_by_transfer = "(transfer #" in change.note  # a system move: out and back to the same phase
            assert moved_by_transfer or change.to_phase in TRANSITIONS[change.from_phase], (
                car_id,
                change.from_phase,
                change.to_phase,
            )
            assert change.changed_at > previous.changed_at, car_id
            previous = change
        assert previous.changed_at <= now
        assert all(c.changed_by_id for c in history), car_id


def test_it_dates_the_purchase_from_the_purchased_change(seeded):
    purchased_at = {}
    for change in PhaseChange.objects.filter(to_phase=Phase.PURCHASED).order_by("changed_at"):
        purchased_at.setdefault(change.car_id, timezone.localdate(change.changed_at))
    for car in Car.objects.all():
        assert car.purchased_on == purchased_at.get(car.pk), car.pk
        if car.purchased_on is not None:
            assert car.purchase_price > 0 and car.auction_fees > 0 and car.transport_cost > 0, car.pk


def test_it_snapshots_the_exact_cost_of_every_sold_car(seeded):
    repair_totals = defaultdict(Decimal)
    for item in RepairItem.objects.all():
        repair_totals[item.car_id] += item.parts_cost + item.labour_cost
    sales = Sale.objects.select_related("car")
    assert sales.exists()
    for sale in sales:
        car = sale.car
        assert sale.cost_at_sale == car.purchase_price + car.auction_fees + car.transport_cost + repair_totals[car.pk]
        assert sale.location_id == car.location_id
        assert sale.sold_on >= car.purchased_on
        assert sale.sold_by.role in (roles.SALES, roles.MANAGER)
        assert sale.sold_by.locations.filter(pk=car.location_id).exists()
    profitable = sum(1 for sale in sales if sale.gross_profit > 0)
    assert profitable > 0.7 * len(sales)


def test_it_adds_repairs_only_to_cars_that_went_through_fixing(seeded):
    fixed = set(PhaseChange.objects.filter(to_phase=Phase.FIXING).values_list("car_id", flat=True))
    repaired = set(RepairItem.objects.values_list("car_id", flat=True))
    assert repaired and repaired <= fixed


def test_it_makes_valid_unique_vins_and_plates(seeded):
    cars = list(Car.objects.all())
    for car in cars:
        validate_vin(car.vin)
        validate_uk_plate(car.registration)
        car.full_clean(validate_unique=False)
    assert len({c.vin for c in cars}) == len({c.registration for c in cars}) == len(cars)


def test_it_gives_users_their_role_group_and_only_their_locations(seeded):
    users = {u.username: u for u in User.objects.prefetch_related("groups", "locations")}
    for user in users.values():
        assert [g.name for g in user.groups.all()] == [user.role], user.username
    assert users["admin"].check_password("demo-pass-2026")
    assert users["workshop.sheffield"].check_password("demo-pass-2026")

    admin = users["admin"]
    assert admin.is_superuser and admin.sees_all_locations and admin.role == roles.ADMIN
    assert sorted(loc.code for loc in users["buyer"].locations.all()) == ["LDS", "MAN", "SHF"]
    assert not users["buyer"].sees_all_locations
    for city, code in (("leeds", "LDS"), ("manchester", "MAN"), ("sheffield", "SHF")):
        for role in (roles.MANAGER, roles.SALES, roles.WORKSHOP):
            user = users[f"{role}.{city}"]
            assert user.role == role
            assert [loc.code for loc in user.locations.all()] == [code]
            assert not user.sees_all_locations and not user.is_superuser


def test_it_does_nothing_when_run_again(seeded):
    counts = (Car.objects.count(), PhaseChange.objects.count(), Sale.objects.count(), User.objects.count())
    out = StringIO()
    call_command("seed_demo", cars=CARS, stdout=out)
    assert "Demo data already present" in out.getvalue()
    assert (Car.objects.count(), PhaseChange.objects.count(), Sale.objects.count(), User.objects.count()) == counts
