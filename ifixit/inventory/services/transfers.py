"""Transfers of cars between the group's locations: requested, approved or rejected by the
sending location, dispatched (the car goes in transit) and received (only then does its location
change), or cancelled; each step tells the people it concerns."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.inventory import events, selectors
from ifixit.inventory.models import Car, Phase, Transfer
from ifixit.inventory.services.cars import _locked_car, _require
from ifixit.inventory.services.phases import _move
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.money import format_money

# --- Transfers between the group's locations -------------------------------------------------


def _locked_transfer(user: User, transfer_id: int) -> Transfer:
    try:
        return (
            selectors.transfers_visible_to(user)
            .select_for_update(of=("self",))
            .select_related("car", "from_location", "to_location")
            .get(pk=transfer_id)
        )
    except Transfer.DoesNotExist:
        raise Transfer.DoesNotExist(f"No transfer {transfer_id} that you may see.") from None


def _expect_status(transfer: Transfer, *allowed: str, action: str) -> None:
    if transfer.status not in allowed:
        raise ValidationError(
            {
                "status": ValidationError(
                    f"This transfer is {transfer.get_status_display().lower()}, so it cannot be {action}.",
                    code="conflict",
                )
            }
        )


def _may_act_for(user: User, location: Location) -> bool:
    return locations_visible_to(user).filter(pk=location.pk).exists()


def _tell_location(location: Location, *, roles_: list[str], exclude: User | None, **message) -> None:
    from ifixit.notifications.services import notify

    staff = User.objects.filter(is_active=True, role__in=roles_, locations=location).exclude(
        pk=getattr(exclude, "pk", None)
    )
    for person in staff:
        notify(recipient=person, location=location, **message)


@transaction.atomic
def transfer_request(
    *,
    user: User,
    car_id: int,
    to_location_id: int,
    reason: str,
    planned_on: date,
    transport_cost: Decimal = Decimal(0),
) -> Transfer:
    _require(user, "inventory.add_transfer")
    car = _locked_car(user, car_id)
    errors: dict[str, str | ValidationError] = {}
    destination = Location.objects.filter(pk=to_location_id).first()
    if car.phase == Phase.SOLD:
        errors["car"] = ValidationError("A sold car cannot be transferred.", code="conflict")
    elif car.phase == Phase.IN_TRANSIT:
        errors["car"] = ValidationError(
            "This car is already in transit; transfer it once it has arrived.", code="conflict"
        )
    elif car.transfers.filter(status__in=Transfer.OPEN).exists():
        errors["car"] = ValidationError(
            "This car already has an open transfer; finish or cancel that one first.", code="conflict"
        )
    else:
        try:  # finance: not while an application for the car is open
            events.transfer_requesting.send(sender=Transfer, car=car, user=user)
        except ValidationError as refusal:
            errors.update(refusal.error_dict)
    if destination is None:
        errors["to_location"] = "Choose a location of the group."
    elif destination.pk == car.location_id:
        errors["to_location"] = f"The car is already at {destination.name}."
    elif not destination.is_active:
        errors["to_location"] = f"{destination.name} is not active and cannot receive cars."
    if not (reason or "").strip():
        errors["reason"] = "Say why the car should move."
    if planned_on is None or planned_on < timezone.localdate():
        errors["planned_on"] = "The planned date cannot be in the past."
    if transport_cost is None or transport_cost < 0:
        errors["transport_cost"] = "Transport cost cannot be negative."
    if errors:
        raise ValidationError(errors)
    transfer = Transfer(
        car=car,
        from_location=car.location,
        to_location=destination,
        reason=reason.strip(),
        planned_on=planned_on,
        transport_cost=transport_cost,
        requested_by=user,
    )
    transfer.full_clean()
    transfer.save()
    _tell_location(
        car.location,
        roles_=["manager"],
        exclude=user,
        kind="transfer",
        title=f"Transfer requested: {car.make} {car.model} {car.registration_display} to {destination.name}",
        body=f"{user.get_full_name() or user.username}: {transfer.reason}. Planned {planned_on:%d %b}; transport {format_money(transport_cost, 2)}.",
        link=reverse("transfer_detail", args=[transfer.pk]),
        dedupe_key=f"transfer:{transfer.pk}:requested",
    )
    return transfer


def _decide(user: User, transfer_id: int, *, approve: bool, note: str) -> Transfer:
    _require(user, "inventory.approve_transfer")
    transfer = _locked_transfer(user, transfer_id)
    if not _may_act_for(user, transfer.from_location):
        raise PermissionDenied(f"Only a manager of {transfer.from_location.name} can decide on this transfer.")
    _expect_status(transfer, Transfer.Status.REQUESTED, action="approved or rejected")
    if not approve and not note.strip():
        raise ValidationError({"note": "Say why the transfer is rejected."})
    transfer.status = Transfer.Status.APPROVED if approve else Transfer.Status.REJECTED
    transfer.decided_at = timezone.now()
    transfer.decided_by = user
    transfer.note = note.strip()
    transfer.save()
    if transfer.requested_by and transfer.requested_by != user:
        from ifixit.notifications.services import notify

        notify(
            recipient=transfer.requested_by,
            kind="transfer",
            title=f"Transfer {transfer.get_status_display().lower()}: {transfer.car.make} {transfer.car.model} to {transfer.to_location.name}",
            body=transfer.note,
            link=reverse("transfer_detail", args=[transfer.pk]),
            location=transfer.from_location,
            dedupe_key=f"transfer:{transfer.pk}:{transfer.status}",
        )
    return transfer


@transaction.atomic
def transfer_approve(*, user: User, transfer_id: int, note: str = "") -> Transfer:
    return _decide(user, transfer_id, approve=True, note=note)


@transaction.atomic
def transfer_reject(*, user: User, transfer_id: int, note: str) -> Transfer:
    return _decide(user, transfer_id, approve=False, note=note)


@transaction.atomic
def transfer_dispatch(*, user: User, transfer_id: int) -> Transfer:
    """The car leaves: it goes in transit; its location stays the sender's until receipt."""
    _require(user, "inventory.change_phase")
    transfer = _locked_transfer(user, transfer_id)
    if not _may_act_for(user, transfer.from_location):
        raise PermissionDenied(f"Only staff of {transfer.from_location.name} can dispatch this car.")
    _expect_status(transfer, Transfer.Status.APPROVED, action="dispatched")
    car = Car.objects.select_for_update().get(pk=transfer.car_id)
    if car.phase in (Phase.SOLD, Phase.IN_TRANSIT):
        raise ValidationError({"status": f"The car is {Phase(car.phase).label.lower()} now and cannot be dispatched."})
    transfer.phase_before = car.phase
    transfer.status = Transfer.Status.DISPATCHED
    transfer.dispatched_at = timezone.now()
    transfer.dispatched_by = user
    transfer.save()
    _move(car, Phase.IN_TRANSIT, user, f"Dispatched to {transfer.to_location.name} (transfer #{transfer.pk})")
    _tell_location(
        transfer.to_location,
        roles_=["manager"],
        exclude=user,
        kind="transfer",
        title=f"On its way to you: {car.make} {car.model} {car.registration_display} from {transfer.from_location.name}",
        link=reverse("transfer_detail", args=[transfer.pk]),
        dedupe_key=f"transfer:{transfer.pk}:dispatched",
    )
    return transfer


@transaction.atomic
def transfer_receive(*, user: User, transfer_id: int) -> Transfer:
    """The car arrives: only now does its location change, in the same transaction."""
    _require(user, "inventory.change_phase")
    transfer = _locked_transfer(user, transfer_id)
    if not _may_act_for(user, transfer.to_location):
        raise PermissionDenied(f"Only staff of {transfer.to_location.name} can receive this car.")
    _expect_status(transfer, Transfer.Status.DISPATCHED, action="received")
    car = Car.objects.select_for_update().get(pk=transfer.car_id)
    transfer.status = Transfer.Status.RECEIVED
    transfer.received_at = timezone.now()
    transfer.received_by = user
    transfer.save()
    car.location = transfer.to_location
    car.transport_cost += transfer.transport_cost
    car.save(update_fields=["location", "transport_cost", "updated_at"])
    back_to = transfer.phase_before if transfer.phase_before not in ("", Phase.IN_TRANSIT) else Phase.PURCHASED
    _move(car, back_to, user, f"Received at {transfer.to_location.name} (transfer #{transfer.pk})")
    return transfer


@transaction.atomic
def transfer_cancel(*, user: User, transfer_id: int, note: str = "") -> Transfer:
    transfer = _locked_transfer(user, transfer_id)
    _expect_status(transfer, Transfer.Status.REQUESTED, Transfer.Status.APPROVED, action="cancelled")
    transfer.status = Transfer.Status.CANCELLED
    transfer.cancelled_at = timezone.now()
    transfer.cancelled_by = user
    transfer.note = note.strip()
    transfer.save()
    return transfer


# Each step of a transfer by name, for the page and the API alike; the ones that take a note.
TRANSFER_STEPS = {
    "approve": transfer_approve,
    "reject": transfer_reject,
    "dispatch": transfer_dispatch,
    "receive": transfer_receive,
    "cancel": transfer_cancel,
}
STEPS_WITH_NOTE = ("approve", "reject", "cancel")
