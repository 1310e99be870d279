"""A car's repair items, each location's repair-time thresholds, and the hourly check that alerts
the workshop and the managers to cars at risk or overdue in fixing."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ifixit import caching
from ifixit.accounts.models import User
from ifixit.inventory import selectors
from ifixit.inventory.models import Car, Phase, RepairItem
from ifixit.inventory.services.cars import _locked_car, _require
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.money import format_money


@transaction.atomic
def repair_item_add(
    *,
    user: User,
    car_id: int,
    description: str,
    category: str = RepairItem.Category.MECHANICAL,
    parts_cost: Decimal = Decimal(0),
    labour_cost: Decimal = Decimal(0),
) -> RepairItem:
    _require(user, "inventory.add_repairitem")
    car = _locked_car(user, car_id)
    if car.phase == Phase.SOLD:
        raise ValidationError({"description": "This car is sold: its costs are closed."})
    item = RepairItem(
        car=car,
        category=category,
        description=(description or "").strip(),
        parts_cost=parts_cost,
        labour_cost=labour_cost,
        created_by=user,
    )
    item.full_clean()
    if item.total == 0:
        raise ValidationError({"parts_cost": "Enter the parts or the labour cost."})
    item.save()
    caching.changed("stock")  # advice and placement built on the stock renew after commit
    return item


@transaction.atomic
def repair_item_delete(*, user: User, car_id: int, item_id: int) -> None:
    _require(user, "inventory.delete_repairitem")
    car = _locked_car(user, car_id)
    if car.phase == Phase.SOLD:
        raise ValidationError({"item": "This car is sold: its costs are closed."})
    deleted, _ = RepairItem.objects.filter(car=car, pk=item_id).delete()
    if not deleted:
        raise RepairItem.DoesNotExist(f"No repair item {item_id} on this car.")
    caching.changed("stock")  # advice and placement built on the stock renew after commit


# --- Repair times ----------------------------------------------------------------------


@transaction.atomic
def location_set_repair_thresholds(
    *, user: User, location_id: int, at_risk_days: int, overdue_days: int, daily_holding_cost: Decimal
) -> Location:
    _require(user, "locations.change_repair_thresholds")
    try:
        location = locations_visible_to(user).select_for_update().get(pk=location_id)
    except Location.DoesNotExist:
        raise Location.DoesNotExist(f"No location {location_id} that you may see.") from None
    location.repair_at_risk_days = at_risk_days
    location.repair_overdue_days = overdue_days
    location.daily_holding_cost = daily_holding_cost
    location.full_clean(exclude=["name", "code"])
    location.save(update_fields=["repair_at_risk_days", "repair_overdue_days", "daily_holding_cost"])
    caching.changed("locations")  # the holding cost is in advice
    return location


def _repair_staff(location_ids: set[int]) -> tuple[dict[int, list[User]], dict[int, list[User]]]:
    """Active workshop staff and managers per location, in one query."""
    from ifixit.accounts import roles

    workshop: dict[int, list[User]] = {i: [] for i in location_ids}
    managers: dict[int, list[User]] = {i: [] for i in location_ids}
    memberships = (
        User.locations.through.objects.filter(
            location_id__in=location_ids, user__is_active=True, user__role__in=[roles.WORKSHOP, roles.MANAGER]
        )
        .select_related("user")
        .order_by("user_id")
    )
    for membership in memberships:
        user = membership.user
        (workshop if user.role == roles.WORKSHOP else managers)[membership.location_id].append(user)
    return workshop, managers


def repair_times_check(*, now=None) -> dict[str, int]:
    """Raise repair-time alerts for every car in fixing (run hourly by beat).

    At risk: once, to the location's workshop staff (its managers where it has none). Overdue: once to the workshop and
    the location's managers, then weekly to the workshop (to the managers where the
    location has no workshop staff) while the car stays overdue. Each alert carries a
    dedupe key naming the car, the start of this stay in fixing and the stage, so
    running the check twice, or on two workers at once, tells nobody twice, and a car
    that comes back to fixing later is alerted afresh.
    """
    from ifixit.notifications.models import Notification
    from ifixit.notifications.services import notify

    now = now or timezone.now()
    rows = [
        row for row in selectors.repair_rows(Car.objects.all(), now=now) if row.state != selectors.RepairState.ON_TIME
    ]
    workshop, managers = _repair_staff({row.car.location_id for row in rows})
    sent = {"at_risk": 0, "overdue": 0, "reminder": 0}
    for row in rows:
        car, location = row.car, row.car.location
        episode = f"repair:{car.pk}:{row.fixing_since:%Y%m%dT%H%M%S}"
        link = reverse("car_detail", args=[car.pk])
        details = (
            f"In fixing at {location.name} since {row.fixing_since:%d %b %Y}; repair spend so far "
            f"{format_money(row.repair_spend, 2)}; holding cost so far {format_money(row.cost_of_delay, 2)} at {format_money(location.daily_holding_cost, 2)}/day. "
            f"At risk after {location.repair_at_risk_days} days, overdue after {location.repair_overdue_days}."
        )
        common = {"body": details, "link": link, "location": location}
        team = workshop[location.pk] or managers[location.pk]
        if row.state == selectors.RepairState.AT_RISK:
            for user in team:
                made = notify(
                    recipient=user,
                    kind="repair_at_risk",
                    title=f"{car.registration_display or car.vin} {car.make} {car.model} at risk: {row.days} days in fixing",
                    dedupe_key=f"{episode}:at_risk",
                    **common,
                )
                sent["at_risk"] += made is not None
            continue
        title = f"{car.registration_display or car.vin} {car.make} {car.model} overdue: {row.days} days in fixing"
        for user in {u.pk: u for u in workshop[location.pk] + managers[location.pk]}.values():
            made = notify(recipient=user, kind="repair_overdue", title=title, dedupe_key=f"{episode}:overdue", **common)
            sent["overdue"] += made is not None
        # Reminders count weeks from when each person was first told, so a check that
        # first sees a car weeks late sends one alert now and the reminder a week on.
        first_told = dict(
            Notification.objects.filter(recipient__in=team, dedupe_key=f"{episode}:overdue").values_list(
                "recipient_id", "created_at"
            )
        )
        for user in team:
            told_at = first_told.get(user.pk)
            weeks = (now - told_at).days // 7 if told_at else 0
            if weeks >= 1:
                made = notify(
                    recipient=user,
                    kind="repair_overdue",
                    title=f"Still overdue: {title}",
                    dedupe_key=f"{episode}:overdue:week{weeks}",
                    **common,
                )
                sent["reminder"] += made is not None
    return sent
