"""The Location model moved from inventory to locations keeping its table and its rows: a
database made before the move migrates forward with every location, every row that points at
one, and every role's permissions on locations as they were."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ifixit.crm.models import Communication, Customer
from ifixit.finance.models import FinanceApplication
from ifixit.inventory.models import Car, Sale, Transfer
from ifixit.locations.models import Location
from ifixit.notifications.models import Notification
from ifixit.testing.factories import CarFactory, CustomerFactory, FinanceApplicationFactory, LocationFactory, UserFactory

BEFORE_THE_MOVE = [("inventory", "0006_photo_file_change"), ("locations", None)]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def pointers() -> dict[str, list]:
    """Every row that names a location, by the location it names."""
    return {
        "cars": sorted(Car.objects.values_list("pk", "location_id")),
        "sales": sorted(Sale.objects.values_list("pk", "location_id")),
        "transfers": sorted(Transfer.objects.values_list("pk", "from_location_id", "to_location_id")),
        "staff": sorted(Location.staff.through.objects.values_list("user_id", "location_id")),
        "customers": sorted(Customer.locations.through.objects.values_list("customer_id", "location_id")),
        "communications": sorted(Communication.objects.values_list("pk", "location_id")),
        "applications": sorted(FinanceApplication.objects.values_list("pk", "location_id")),
        "notifications": sorted(Notification.objects.values_list("pk", "location_id")),
    }


def location_permissions() -> dict[str, list[str]]:
    return {
        group.name: sorted(group.permissions.filter(content_type__model="location").values_list("codename", flat=True))
        for group in Group.objects.order_by("name")
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_migrates_forward_with_every_row():
    north, south = LocationFactory(code="NTH"), LocationFactory(code="STH")
    manager = UserFactory(role="manager", locations=[north, south])
    car = CarFactory(location=north)
    Sale.objects.create(car=CarFactory(location=south), location=south, sold_on="2026-11-01", price="5000")
    Transfer.objects.create(car=car, from_location=north, to_location=south, reason="r", planned_on="2026-11-02")
    customer = CustomerFactory(locations=[north, south])
    Communication.objects.create(customer=customer, location=south, channel="note", body="Rang")
    FinanceApplicationFactory(car=CarFactory(location=south), customer=customer)
    Notification.objects.create(recipient=manager, location=north, kind="car_overdue", title="Overdue")
    locations = sorted(Location.objects.values_list("pk", "name", "code", "daily_holding_cost"))
    rows, permissions = pointers(), location_permissions()
    assert all(rows.values()) and permissions["manager"] == ["change_repair_thresholds", "view_location"]

    migrate(BEFORE_THE_MOVE)
    assert ContentType.objects.filter(app_label="inventory", model="location").exists()
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert ContentType.objects.filter(model="location").values_list("app_label", flat=True).get() == "locations"
    assert sorted(Location.objects.values_list("pk", "name", "code", "daily_holding_cost")) == locations
    assert pointers() == rows
    assert location_permissions() == permissions
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA foreign_key_check").fetchall() == []
    assert manager.has_perm("locations.change_repair_thresholds")
