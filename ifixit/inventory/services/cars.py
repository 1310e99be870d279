"""Registering a car and changing its facts; the permission check and the car's row lock every
inventory write starts with."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ifixit import caching
from ifixit.accounts.models import User
from ifixit.inventory import events
from ifixit.inventory.models import Car, Phase, PhaseChange, normalise_plate, normalise_vin
from ifixit.inventory.selectors import cars_visible_to
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to

CAR_EDITABLE_FIELDS = [
    "vin",
    "registration",
    "make",
    "model",
    "trim",
    "year",
    "mileage",
    "colour",
    "fuel",
    "transmission",
    "body_type",
    "purchased_on",
    "purchase_price",
    "auction_fees",
    "transport_cost",
    "asking_price",
    "purchase_funding",
    "notes",
]


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


def _locked_car(user: User, car_id: int) -> Car:
    """Lock the car's row for the rest of the transaction (a no-op on SQLite, whose
    IMMEDIATE transactions already serialise writers)."""
    try:
        return cars_visible_to(user).select_for_update().get(pk=car_id)
    except Car.DoesNotExist:
        raise Car.DoesNotExist(f"No car {car_id} that you may see.") from None


def _check_vin_unique(vin: str, exclude_pk: int | None = None) -> None:
    # Checked against every car, not only visible ones: a VIN is one car in the world.
    clash = Car.objects.filter(vin=vin)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"vin": "A car with this VIN is already registered."})


@transaction.atomic
def car_create(*, user: User, location: Location, phase: str = Phase.PURCHASED, note: str = "", **fields) -> Car:
    _require(user, "inventory.add_car")
    if not locations_visible_to(user).filter(pk=location.pk, is_active=True).exists():
        raise ValidationError({"location": "Choose one of your active locations."})
    if phase not in (Phase.SOURCED, Phase.PURCHASED, Phase.IN_TRANSIT, Phase.FIXING, Phase.READY):
        raise ValidationError({"phase": "A new car starts as sourced, purchased, in transit, fixing or ready."})
    unknown = set(fields) - set(CAR_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})

    now = timezone.now()
    car = Car(location=location, phase=phase, phase_changed_at=now, created_by=user, created_at=now, **fields)
    car.vin = normalise_vin(car.vin)
    car.registration = normalise_plate(car.registration)
    if phase != Phase.SOURCED and car.purchased_on is None:
        car.purchased_on = timezone.localdate(now)
    car.full_clean(validate_unique=False)
    _check_vin_unique(car.vin)
    car.save()
    PhaseChange.objects.create(
        car=car, from_phase="", to_phase=phase, changed_at=now, changed_by=user, note=note or "Registered"
    )
    if phase != Phase.SOURCED:
        events.car_bought.send(sender=Car, car=car)
    caching.changed("stock")  # advice and placement built on the stock renew after commit
    return car


@transaction.atomic
def car_update(*, user: User, car_id: int, **fields) -> Car:
    _require(user, "inventory.change_car")
    car = _locked_car(user, car_id)
    unknown = set(fields) - set(CAR_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    if car.phase == Phase.SOLD and {"purchase_price", "auction_fees", "transport_cost"} & set(fields):
        changed = [
            f
            for f in ("purchase_price", "auction_fees", "transport_cost")
            if fields.get(f, getattr(car, f)) != getattr(car, f)
        ]
        if changed:
            raise ValidationError({changed[0]: "Costs of a sold car are closed."})
    for name, value in fields.items():
        setattr(car, name, value)
    car.vin = normalise_vin(car.vin)
    car.registration = normalise_plate(car.registration)
    car.full_clean(validate_unique=False)
    _check_vin_unique(car.vin, exclude_pk=car.pk)
    car.save()
    caching.changed("stock")  # advice and placement built on the stock renew after commit
    return car
