"""Moving a car from phase to phase: the move every write that changes a car's phase makes (a
timeline row, the purchase date, car_bought, the live update), refused while the car is on the
road or when someone else moved it first."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ifixit import caching
from ifixit.accounts.models import User
from ifixit.errors import conflict
from ifixit.inventory import events
from ifixit.inventory.events import publish_phase_changed
from ifixit.inventory.models import TRANSITIONS, Car, Phase, PhaseChange, Transfer
from ifixit.inventory.services.cars import _locked_car, _require


def _stale(car: Car, *, field: str) -> ValidationError:
    return conflict(
        field, f"This car was moved to {Phase(car.phase).label} by someone else meanwhile. Reload and try again."
    )


@transaction.atomic
def car_change_phase(
    *, user: User, car_id: int, to_phase: str, note: str = "", expected_phase: str | None = None
) -> Car:
    """Move a car to its next phase.

    `expected_phase` is the phase the user saw when they chose the move. If someone
    else moved the car in the meantime, the move is refused rather than applied to a
    state the user never saw.
    """
    _require(user, "inventory.change_phase")
    car = _locked_car(user, car_id)
    if to_phase not in Phase.values:
        raise ValidationError({"to_phase": f"Unknown phase {to_phase!r}."})
    if expected_phase and car.phase != expected_phase:
        raise _stale(car, field="to_phase")
    if to_phase == Phase.SOLD:
        raise ValidationError({"to_phase": "Record the sale to mark a car sold."})
    _refuse_if_on_the_road(car, "to_phase")
    if to_phase not in TRANSITIONS[car.phase]:
        raise conflict("to_phase", f"A car cannot go from {Phase(car.phase).label} to {Phase(to_phase).label}.")
    _move(car, to_phase, user, note)
    return car


def _move(car: Car, to_phase: str, user: User, note: str) -> None:
    now = timezone.now()
    from_phase = car.phase
    PhaseChange.objects.create(
        car=car, from_phase=from_phase, to_phase=to_phase, changed_at=now, changed_by=user, note=note
    )
    car.phase = to_phase
    car.phase_changed_at = now
    bought = from_phase == Phase.SOURCED and to_phase != Phase.SOURCED
    if to_phase == Phase.PURCHASED and car.purchased_on is None:
        car.purchased_on = timezone.localdate(now)
    car.save(update_fields=["phase", "phase_changed_at", "purchased_on", "updated_at"])
    caching.changed("stock")  # every phase move: sales, transfers and repairs end here too
    if bought:
        events.car_bought.send(sender=Car, car=car)
    publish_phase_changed(car_id=car.pk, from_phase=from_phase, to_phase=to_phase, by=user.get_username())


def _dispatched_transfer(car: Car) -> Transfer | None:
    return car.transfers.filter(status=Transfer.Status.DISPATCHED).select_related("to_location").first()


def _refuse_if_on_the_road(car: Car, field: str) -> None:
    transfer = _dispatched_transfer(car)
    if transfer is not None:
        raise conflict(
            field,
            f"This car is on its way to {transfer.to_location.name} (transfer #{transfer.pk}); receive it there first.",
        )
