"""Repair times: days in fixing from the phase history, on time / at risk / overdue per
location, and the hourly check's alerts (at risk once, overdue once, then weekly),
told once each however often and on however many workers the check runs."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import resolve
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.inventory import selectors, services
from ifixit.inventory.models import Car, Phase, PhaseChange
from ifixit.locations.models import Location
from ifixit.notifications.models import Notification
from ifixit.testing.factories import CarFactory, RepairItemFactory, UserFactory

# A Monday morning; every test that moves the clock starts here.
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
NOTHING = {"at_risk": 0, "overdue": 0, "reminder": 0}
DEFAULT_THRESHOLDS = (21, 30, Decimal("12.00"))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def south_workshop(south):
    return UserFactory(username="sid", role=roles.WORKSHOP, locations=[south])


def car_in_fixing(location, since: datetime, **fields) -> Car:
    """A car bought two days before `since` and put into fixing at `since`."""
    car = CarFactory(location=location, phase=Phase.PURCHASED, phase_changed_at=since - timedelta(days=2), **fields)
    PhaseChange.objects.create(
        car=car, from_phase=Phase.PURCHASED, to_phase=Phase.FIXING, changed_at=since, note="To the workshop"
    )
    Car.objects.filter(pk=car.pk).update(phase=Phase.FIXING, phase_changed_at=since)
    car.refresh_from_db()
    return car


def move(car: Car, to_phase: str, *, user: User, at: datetime | None = None) -> None:
    """Move the car through the real service, now or at an earlier time."""
    if at is None:
        services.car_change_phase(user=user, car_id=car.pk, to_phase=to_phase)
        return
    with time_machine.travel(at, tick=False):
        services.car_change_phase(user=user, car_id=car.pk, to_phase=to_phase)


def stage(notification: Notification) -> str:
    if notification.kind == "repair_at_risk":
        return "at_risk"
    assert notification.kind == "repair_overdue", notification.kind
    return "reminder" if notification.title.startswith("Still overdue") else "overdue"


def alerts(**filters) -> list[tuple[str, str, int]]:
    """(stage, recipient, car id) of the notifications, sorted."""
    return sorted(
        (stage(n), n.recipient.username, resolve(n.link).kwargs["pk"])
        for n in Notification.objects.filter(kind__in=["repair_at_risk", "repair_overdue"], **filters).select_related("recipient")
    )


def board(user) -> list[tuple[int, int, str]]:
    return [(row.car.pk, row.days, row.state) for row in selectors.repair_board(user=user)]


def thresholds(location: Location) -> tuple[int, int, Decimal]:
    location.refresh_from_db()
    return (location.repair_at_risk_days, location.repair_overdue_days, location.daily_holding_cost)


# --- days and states ------------------------------------------------------------------


@pytest.fixture
def boundary_cars(clock, north, south, manager, workshop_user):
    """North cars that entered fixing exactly 20, 21, 29, 30 and 31 days ago, one that
    went fixing -> ready -> fixing (back 2 days ago), and a South car on time."""
    cars = {days: car_in_fixing(north, NOW - timedelta(days=days), model=f"D{days}") for days in (20, 21, 29, 30, 31)}
    back = car_in_fixing(north, NOW - timedelta(days=40), model="Back")
    move(back, Phase.READY, at=NOW - timedelta(days=35), user=workshop_user)
    move(back, Phase.FIXING, at=NOW - timedelta(days=2), user=workshop_user)
    cars["back"] = back
    cars["south"] = car_in_fixing(south, NOW - timedelta(days=10), model="Southern")
    return cars


def test_it_counts_days_from_the_latest_entry_into_fixing_and_sorts_worst_first(boundary_cars, manager):
    c = boundary_cars
    RepairItemFactory(car=c[31], parts_cost=Decimal("180.00"), labour_cost=Decimal("90.00"))
    assert board(manager) == [
        (c[31].pk, 31, "overdue"),
        (c[30].pk, 30, "overdue"),
        (c[29].pk, 29, "at_risk"),
        (c[21].pk, 21, "at_risk"),
        (c[20].pk, 20, "on_time"),
        (c["back"].pk, 2, "on_time"),
    ]
    worst = selectors.repair_board(user=manager)[0]
    assert worst.fixing_since == NOW - timedelta(days=31)
    assert worst.repair_spend == Decimal("270.00")
    assert worst.cost_of_delay == Decimal("372.00")  # 31 days at the default £12.00
    assert worst.state_label == "Overdue"


@pytest.mark.parametrize(
    "age, state",
    [
        (timedelta(days=21) - timedelta(seconds=1), "on_time"),
        (timedelta(days=21), "at_risk"),
        (timedelta(days=30) - timedelta(seconds=1), "at_risk"),
        (timedelta(days=30), "overdue"),
    ],
)
def test_a_day_counts_only_once_it_is_complete(clock, north, manager, age, state):
    car_in_fixing(north, NOW - age)
    [row] = selectors.repair_board(user=manager)
    assert row.state == state


def test_the_board_shows_only_the_users_locations(boundary_cars, outsider, admin_user, south):
    assert board(outsider) == [(boundary_cars["south"].pk, 10, "on_time")]
    assert len(board(admin_user)) == 7
    assert [row.car.pk for row in selectors.repair_board(user=admin_user, location_id=south.pk)] == [
        boundary_cars["south"].pk
    ]


# --- alerts ---------------------------------------------------------------------------


def test_it_alerts_the_workshop_when_at_risk_and_workshop_and_managers_when_overdue(
    boundary_cars, manager, workshop_user, sales_user, admin_user, outsider, south_workshop, north
):
    c = boundary_cars
    UserFactory(username="gone", role=roles.WORKSHOP, locations=[north], is_active=False)

    assert services.repair_times_check() == {"at_risk": 2, "overdue": 4, "reminder": 0}

    assert alerts() == sorted(
        [
            ("at_risk", "wes", c[21].pk),
            ("at_risk", "wes", c[29].pk),
            ("overdue", "nina", c[30].pk),
            ("overdue", "nina", c[31].pk),
            ("overdue", "wes", c[30].pk),
            ("overdue", "wes", c[31].pk),
        ]
    )
    assert not Notification.objects.filter(recipient__in=[outsider, south_workshop, admin_user, sales_user]).exists()
    overdue = Notification.objects.get(recipient=workshop_user, link=f"/cars/{c[31].pk}/")
    assert overdue.location == north
    assert "31 days" in overdue.title
    assert "holding cost so far £372.00" in overdue.body


def test_running_the_check_again_tells_nobody_anything_new(boundary_cars, clock, north):
    weeks_late = car_in_fixing(north, NOW - timedelta(days=45))  # first seen two weeks past overdue
    first = services.repair_times_check()
    assert first == {"at_risk": 2, "overdue": 6, "reminder": 0}
    made = Notification.objects.count()
    assert made == 8

    assert services.repair_times_check() == NOTHING
    clock.shift(timedelta(hours=1))
    assert services.repair_times_check() == NOTHING
    assert Notification.objects.count() == made
    assert [stage(n) for n in Notification.objects.filter(link=f"/cars/{weeks_late.pk}/")] == ["overdue", "overdue"]


@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_on_two_connections_tell_nobody_twice(north, manager, workshop_user):
    now = timezone.now()
    car_in_fixing(north, now - timedelta(days=25))
    car_in_fixing(north, now - timedelta(days=33))
    car_in_fixing(north, now - timedelta(days=45))
    start = threading.Barrier(2)
    results, errors = [], []

    def check():
        try:
            start.wait(timeout=10)
            results.append(services.repair_times_check(now=now))
        except Exception as exc:  # reported below, with the test's assertion
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    # At risk: the workshop; overdue (twice): workshop and manager; no reminder yet.
    assert Notification.objects.count() == 5
    assert Notification.objects.filter(title__startswith="Still overdue").count() == 0
    assert {key: sum(r[key] for r in results) for key in NOTHING} == {"at_risk": 1, "overdue": 4, "reminder": 0}


def test_it_reminds_the_workshop_weekly_while_the_car_stays_overdue(clock, north, manager, workshop_user):
    second_mechanic = UserFactory(username="wendy", role=roles.WORKSHOP, locations=[north])
    car = car_in_fixing(north, NOW - timedelta(days=30))
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 3, "reminder": 0}

    clock.shift(timedelta(days=6, hours=23))
    assert services.repair_times_check() == NOTHING

    clock.shift(timedelta(hours=1))  # a week past overdue
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 0, "reminder": 2}
    reminders = Notification.objects.filter(title__startswith="Still overdue")
    assert sorted(n.recipient.username for n in reminders) == ["wendy", "wes"]
    assert all("37 days" in n.title and n.link == f"/cars/{car.pk}/" for n in reminders)

    clock.shift(timedelta(hours=1))
    assert services.repair_times_check() == NOTHING

    clock.shift(timedelta(days=7))
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 0, "reminder": 2}
    assert not Notification.objects.filter(recipient=manager, title__startswith="Still overdue").exists()
    assert [stage(n) for n in Notification.objects.filter(recipient=second_mechanic).order_by("id")] == [
        "overdue",
        "reminder",
        "reminder",
    ]

    move(car, Phase.READY, user=workshop_user)
    clock.shift(timedelta(days=7))
    assert services.repair_times_check() == NOTHING


def test_a_car_first_seen_weeks_late_gets_one_alert_now_and_its_reminder_a_week_on(
    clock, north, manager, workshop_user
):
    car = car_in_fixing(north, NOW - timedelta(days=45))
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 2, "reminder": 0}
    clock.shift(timedelta(days=6, hours=23))
    assert services.repair_times_check() == NOTHING
    clock.shift(timedelta(hours=1))
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 0, "reminder": 1}
    assert alerts() == [("overdue", "nina", car.pk), ("overdue", "wes", car.pk), ("reminder", "wes", car.pk)]


def test_managers_get_the_reminders_where_there_is_no_workshop(clock, south, outsider):
    car_in_fixing(south, NOW - timedelta(days=30))
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 1, "reminder": 0}
    clock.shift(timedelta(days=7))
    assert services.repair_times_check() == {"at_risk": 0, "overdue": 0, "reminder": 1}
    assert [stage(n) for n in Notification.objects.filter(recipient=outsider).order_by("id")] == ["overdue", "reminder"]


def test_managers_are_told_a_car_is_at_risk_where_there_is_no_workshop(clock, south, outsider):
    car = car_in_fixing(south, NOW - timedelta(days=25))
    assert services.repair_times_check() == {"at_risk": 1, "overdue": 0, "reminder": 0}
    assert [(stage(n), n.recipient_id) for n in Notification.objects.all()] == [("at_risk", outsider.pk)]
    assert Notification.objects.get().link == f"/cars/{car.pk}/"


def test_a_car_back_in_fixing_is_a_new_episode_and_alerted_afresh(clock, north, manager, workshop_user):
    car = car_in_fixing(north, NOW - timedelta(days=25))
    assert services.repair_times_check()["at_risk"] == 1

    clock.shift(timedelta(hours=2))
    move(car, Phase.READY, user=workshop_user)
    clock.shift(timedelta(days=3))
    assert services.repair_times_check() == NOTHING
    assert selectors.repair_board(user=manager) == []

    move(car, Phase.FIXING, user=workshop_user)  # failed its inspection
    clock.shift(timedelta(days=20, hours=23))
    assert services.repair_times_check() == NOTHING  # 20 days into this stay: on time

    clock.shift(timedelta(hours=2))
    assert services.repair_times_check() == {"at_risk": 1, "overdue": 0, "reminder": 0}
    assert alerts() == [("at_risk", "wes", car.pk), ("at_risk", "wes", car.pk)]
    latest = Notification.objects.order_by("-id").first()
    assert "21 days" in latest.title


# --- thresholds per location ---------------------------------------------------------------


def test_each_location_has_its_own_thresholds_and_holding_cost(
    clock, north, south, manager, workshop_user, south_workshop
):
    northern = car_in_fixing(north, NOW - timedelta(days=12))
    later = car_in_fixing(north, NOW - timedelta(days=16))
    southern = car_in_fixing(south, NOW - timedelta(days=16))
    assert services.repair_times_check() == NOTHING

    location = services.location_set_repair_thresholds(
        user=manager, location_id=north.pk, at_risk_days=10, overdue_days=15, daily_holding_cost=Decimal("20.50")
    )
    assert (location.repair_at_risk_days, location.repair_overdue_days) == (10, 15)
    assert thresholds(north) == (10, 15, Decimal("20.50"))

    rows = {row.car.pk: row for row in selectors.repair_board(user=manager)}
    assert (rows[later.pk].state, rows[later.pk].cost_of_delay) == ("overdue", Decimal("328.00"))
    assert (rows[northern.pk].state, rows[northern.pk].cost_of_delay) == ("at_risk", Decimal("246.00"))
    [southern_row] = selectors.repair_board(user=south_workshop)
    assert southern_row.car.pk == southern.pk
    assert (southern_row.state, southern_row.cost_of_delay) == ("on_time", Decimal("192.00"))

    assert services.repair_times_check() == {"at_risk": 1, "overdue": 2, "reminder": 0}
    assert alerts() == [("at_risk", "wes", northern.pk), ("overdue", "nina", later.pk), ("overdue", "wes", later.pk)]
    overdue = Notification.objects.get(recipient=workshop_user, kind="repair_overdue")
    assert "overdue after 15" in overdue.body and "£20.50/day" in overdue.body


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"at_risk_days": 30, "overdue_days": 30}, "repair_at_risk_days", "A car must be at risk before it is overdue"),
        ({"at_risk_days": 31, "overdue_days": 30}, "repair_at_risk_days", "A car must be at risk before it is overdue"),
        ({"at_risk_days": 0}, "repair_at_risk_days", "greater than or equal to 1"),
        ({"overdue_days": 366}, "repair_overdue_days", "less than or equal to 365"),
        ({"daily_holding_cost": Decimal("-0.01")}, "daily_holding_cost", "greater than or equal to 0"),
    ],
)
def test_invalid_thresholds_are_refused_naming_the_field_and_change_nothing(north, manager, change, field, message):
    values = {"at_risk_days": 14, "overdue_days": 28, "daily_holding_cost": Decimal("15.00")} | change
    with pytest.raises(ValidationError) as exc:
        services.location_set_repair_thresholds(user=manager, location_id=north.pk, **values)
    assert list(exc.value.message_dict) == [field]
    assert message in exc.value.message_dict[field][0]
    assert thresholds(north) == DEFAULT_THRESHOLDS


def test_the_database_itself_refuses_at_risk_not_before_overdue(north):
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(pk=north.pk).update(repair_at_risk_days=30, repair_overdue_days=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(pk=north.pk).update(daily_holding_cost=Decimal("-1"))


def test_only_managers_may_change_thresholds(north, workshop_user):
    with pytest.raises(PermissionDenied):
        services.location_set_repair_thresholds(
            user=workshop_user, location_id=north.pk, at_risk_days=5, overdue_days=10, daily_holding_cost=Decimal("1")
        )
    assert thresholds(north) == DEFAULT_THRESHOLDS


def test_a_manager_cannot_change_another_locations_thresholds(north, outsider):
    with pytest.raises(Location.DoesNotExist):
        services.location_set_repair_thresholds(
            user=outsider, location_id=north.pk, at_risk_days=5, overdue_days=10, daily_holding_cost=Decimal("1")
        )
    assert thresholds(north) == DEFAULT_THRESHOLDS


# --- demo data ---------------------------------------------------------------------------


def test_the_demo_data_alerts_exactly_the_cars_its_board_shows_at_risk_and_overdue(db):
    call_command("seed_demo", stdout=StringIO())  # the demo `make run` loads: 1000 cars, seed 42
    now = timezone.now()
    rows = selectors.repair_board(user=User.objects.get(username="admin"), now=now)
    services.repair_times_check(now=now)

    with_workshop = set(
        User.locations.through.objects.filter(user__role=roles.WORKSHOP).values_list("location_id", flat=True)
    )
    on_board = {
        state: {r.car.pk for r in rows if r.state == state and r.car.location_id in with_workshop}
        for state in ("at_risk", "overdue")
    }
    alerted = {state: {car for s, _, car in alerts() if s == state} for state in ("at_risk", "overdue")}
    assert on_board["at_risk"] and on_board["overdue"], "the demo should show cars at risk and overdue"
    assert alerted == on_board
