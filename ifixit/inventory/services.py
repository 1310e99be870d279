"""Every write on inventory. Pages and the API call these; neither re-implements them.

Each service validates fully before it writes, inside one transaction, so bad
input leaves nothing half-written. Phase changes lock the car's row, so two
people moving the same car at once are serialised and the second one is told.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.errors import conflict
from ifixit.inventory import events, extensions
from ifixit.inventory.events import publish_phase_changed
from ifixit.inventory.models import (
    MIN_AMOUNT_FINANCED,
    TRANSITIONS,
    Car,
    CarPhoto,
    Payment,
    Phase,
    PhaseChange,
    RepairItem,
    Sale,
    Transfer,
    normalise_plate,
    normalise_vin,
)
from ifixit.locations.models import Location
from ifixit.inventory import selectors
from ifixit.inventory.selectors import cars_visible_to
from ifixit.locations.selectors import locations_visible_to
from ifixit.money import format_money
from ifixit.uploads import check_image

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


def _stale(car: Car, *, field: str) -> ValidationError:
    return conflict(field, f"This car was moved to {Phase(car.phase).label} by someone else meanwhile. Reload and try again.")



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
    PhaseChange.objects.create(car=car, from_phase="", to_phase=phase, changed_at=now, changed_by=user, note=note or "Registered")
    if phase != Phase.SOURCED:
        events.car_bought.send(sender=Car, car=car)
    return car


@transaction.atomic
def car_update(*, user: User, car_id: int, **fields) -> Car:
    _require(user, "inventory.change_car")
    car = _locked_car(user, car_id)
    unknown = set(fields) - set(CAR_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    if car.phase == Phase.SOLD and {"purchase_price", "auction_fees", "transport_cost"} & set(fields):
        changed = [f for f in ("purchase_price", "auction_fees", "transport_cost") if fields.get(f, getattr(car, f)) != getattr(car, f)]
        if changed:
            raise ValidationError({changed[0]: "Costs of a sold car are closed."})
    for name, value in fields.items():
        setattr(car, name, value)
    car.vin = normalise_vin(car.vin)
    car.registration = normalise_plate(car.registration)
    car.full_clean(validate_unique=False)
    _check_vin_unique(car.vin, exclude_pk=car.pk)
    car.save()
    return car


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
    PhaseChange.objects.create(car=car, from_phase=from_phase, to_phase=to_phase, changed_at=now, changed_by=user, note=note)
    car.phase = to_phase
    car.phase_changed_at = now
    bought = from_phase == Phase.SOURCED and to_phase != Phase.SOURCED
    if to_phase == Phase.PURCHASED and car.purchased_on is None:
        car.purchased_on = timezone.localdate(now)
    car.save(update_fields=["phase", "phase_changed_at", "purchased_on", "updated_at"])
    if bought:
        events.car_bought.send(sender=Car, car=car)
    publish_phase_changed(car_id=car.pk, from_phase=from_phase, to_phase=to_phase, by=user.get_username())


@transaction.atomic
def repair_item_add(
    *,
    user: User,
    car_id: int,
    description: str,
    category: str = RepairItem.Category.MECHANICAL,
    parts_cost: Decimal = Decimal("0"),
    labour_cost: Decimal = Decimal("0"),
) -> RepairItem:
    _require(user, "inventory.add_repairitem")
    car = _locked_car(user, car_id)
    if car.phase == Phase.SOLD:
        raise ValidationError({"description": "This car is sold: its costs are closed."})
    item = RepairItem(
        car=car, category=category, description=(description or "").strip(), parts_cost=parts_cost, labour_cost=labour_cost, created_by=user
    )
    item.full_clean()
    if item.total == 0:
        raise ValidationError({"parts_cost": "Enter the parts or the labour cost."})
    item.save()
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


@transaction.atomic
def car_photo_add(*, user: User, car_id: int, image: UploadedFile, caption: str = "") -> CarPhoto:
    _require(user, "inventory.add_carphoto")
    car = _locked_car(user, car_id)
    checked = check_image(image)
    photo = CarPhoto(car=car, caption=caption.strip(), uploaded_by=user, width=checked.width, height=checked.height)
    photo.full_clean(exclude=["image"])  # everything is checked before a byte is stored
    # The stored name is generated (car_photo_path) with the extension of the detected
    # format; the uploader's file name is not kept anywhere.
    photo.image.save(f"photo.{checked.extension}", ContentFile(checked.data), save=False)
    photo.width, photo.height = checked.width, checked.height  # the field's own re-read of the file may not see it
    photo.save()
    return photo


@transaction.atomic
def sale_record(
    *,
    user: User,
    car_id: int,
    sold_on: date,
    price: Decimal,
    customer_id: int | None = None,
    buyer_name: str = "",
    note: str = "",
    expected_phase: str | None = None,
    payment: str = Payment.CASH,
    part_exchange_allowance: Decimal = Decimal("0"),
    part_exchange_registration: str = "",
    part_exchange_description: str = "",
) -> Sale:
    """Sell a car, to a customer on file (whom customer care then follows up and
    surveys) or, for old records and scripts, to a name only.

    A cash sale is handed over at once; a sale on finance waits for its application to
    be funded before the car can be delivered (sale_deliver).
    """
    _require(user, "inventory.add_sale")
    car = _locked_car(user, car_id)
    customer = None
    if customer_id is not None:
        customer = extensions.customer_for_sale(user=user, customer_id=customer_id)
        if customer is None:
            raise ValidationError({"customer": "Choose a customer of your locations."})
    if expected_phase and car.phase != expected_phase:
        raise _stale(car, field="price")
    if Phase.SOLD not in TRANSITIONS[car.phase]:
        raise conflict("price", f"A {Phase(car.phase).label.lower()} car cannot be sold; list or reserve it first.")
    if sold_on > timezone.localdate():
        raise ValidationError({"sold_on": "The sale date cannot be in the future."})
    if car.purchased_on and sold_on < car.purchased_on:
        raise ValidationError({"sold_on": "The sale date cannot be before the purchase date."})
    _check_payment(
        payment=payment,
        price=price,
        part_exchange_allowance=part_exchange_allowance,
        part_exchange_registration=part_exchange_registration,
        part_exchange_description=part_exchange_description,
        customer=customer,
    )
    repair_total = sum((item.total for item in car.repair_items.all()), Decimal("0"))
    sale = Sale(
        car=car,
        sold_on=sold_on,
        price=price,
        location=car.location,
        buyer_name=buyer_name.strip() or (customer.name if customer else ""),
        customer=customer,
        sold_by=user,
        cost_at_sale=car.acquisition_cost + repair_total,
        payment=payment,
        part_exchange_allowance=part_exchange_allowance or Decimal("0"),
        part_exchange_registration=normalise_plate(part_exchange_registration),
        part_exchange_description=part_exchange_description.strip(),
    )
    if payment == Payment.CASH:
        sale.delivered_at, sale.delivered_by = timezone.now(), user
    sale.full_clean()
    sale.save()
    _move(car, Phase.SOLD, user, note or f"Sold for {format_money(price, 2)} ({sale.payment_display.lower()})")
    # A car sold where it stands no longer moves.
    car.transfers.filter(status__in=[Transfer.Status.REQUESTED, Transfer.Status.APPROVED]).update(
        status=Transfer.Status.CANCELLED, cancelled_at=timezone.now(), cancelled_by=user, note="The car was sold."
    )
    # Customer care's follow-ups and survey; a cash sale's finance asked for meanwhile withdrawn.
    events.sale_recorded.send(sender=Sale, sale=sale, user=user)
    return sale


def _check_payment(
    *, payment, price, part_exchange_allowance, part_exchange_registration, part_exchange_description, customer
) -> None:
    errors = {}
    if payment not in Payment.values:
        errors["payment"] = "Say how the customer paid: cash (or card or bank transfer) or finance."
    elif payment == Payment.FINANCE and customer is None:
        errors["payment"] = "A sale on finance needs the customer on file: the application is made in their name."
    allowance = part_exchange_allowance or Decimal("0")
    if allowance < 0:
        errors["part_exchange_allowance"] = "The part-exchange allowance cannot be negative."
    elif price > 0 and allowance > price:  # a bad price is the model's to refuse
        errors["part_exchange_allowance"] = (
            f"The part-exchange allowance ({format_money(allowance, 2)}) cannot be more than the price ({format_money(price, 2)})."
        )
    elif payment == Payment.FINANCE and price > 0 and price - allowance < MIN_AMOUNT_FINANCED:
        errors["payment"] = (
            f"After the part-exchange only {format_money(price - allowance, 2)} is left to pay; lenders finance at least "
            f"{format_money(MIN_AMOUNT_FINANCED)}, so this is a cash sale."
        )
    elif allowance > 0 and not (part_exchange_registration.strip() or part_exchange_description.strip()):
        errors["part_exchange_registration"] = "Say which car was taken in part-exchange (its registration or a description)."
    if errors:
        raise ValidationError(errors)


def _locked_sale(user: User, car_id: int) -> Sale:
    car = _locked_car(user, car_id)
    sale = Sale.objects.select_for_update().filter(car=car).first()
    if sale is None:
        raise conflict("sale", "This car has not been sold.")
    sale.car = car
    return sale


@transaction.atomic
def sale_deliver(*, user: User, car_id: int) -> Sale:
    """Hand a sold car over to its buyer. A sale on finance waits until the lender has
    paid: its application must be funded first (or the sale switched to cash), which finance
    says by refusing sale_delivering."""
    _require(user, "inventory.deliver_sale")
    sale = _locked_sale(user, car_id)
    if sale.delivered_at:
        raise ValidationError({"sale": f"This car was already delivered on {timezone.localdate(sale.delivered_at):%d %b %Y}."})
    events.sale_delivering.send(sender=Sale, sale=sale, user=user)
    sale.delivered_at, sale.delivered_by = timezone.now(), user
    sale.save(update_fields=["delivered_at", "delivered_by"])
    return sale


@transaction.atomic
def sale_switch_to_cash(*, user: User, car_id: int, note: str) -> Sale:
    """The customer pays another way after all: the sale becomes a cash sale, its open
    finance applications are withdrawn (by finance, on sale_switched_to_cash, which it refuses
    once the finance is funded), and the car can be delivered."""
    _require(user, "inventory.add_sale")
    sale = _locked_sale(user, car_id)
    if not note.strip():
        raise ValidationError({"note": "Say why the sale is now paid in cash (e.g. the customer paid by bank transfer)."})
    if sale.payment != Payment.FINANCE:
        raise ValidationError({"note": "This sale is not on finance."})
    if sale.delivered_at:
        raise conflict("note", "A delivered car's payment cannot change.")
    sale.payment = Payment.CASH
    sale.payment_changed_at, sale.payment_changed_by, sale.payment_note = timezone.now(), user, note.strip()[:500]
    sale.save(update_fields=["payment", "payment_changed_at", "payment_changed_by", "payment_note"])
    events.sale_switched_to_cash.send(sender=Sale, sale=sale, user=user, note=note.strip())
    return sale


UNWIND_TO = (Phase.RESERVED, Phase.LISTED)


def sale_unwind(*, user: User, car_id: int, to_phase: str, note: str) -> Car:
    """Undo a sale that never completed (its finance was declined or withdrawn): the
    car goes back to reserved or listed and stops counting as sold. The sale row goes,
    with the follow-ups and survey it made; the car's history and the customer's log
    keep the record. Call inside the caller's transaction, with the car locked."""
    if to_phase not in UNWIND_TO:
        raise ValidationError({"car_outcome": "A car whose sale is undone goes back to reserved or listed."})
    sale = _locked_sale(user, car_id)
    if sale.delivered_at:
        raise ValidationError({"car_outcome": "The car was delivered; its sale cannot be undone here."})
    car = sale.car
    # Before the row goes: customer care and the warehouse forget what the sale made them keep.
    events.sale_unwinding.send(sender=Sale, sale=sale, user=user, note=note)
    sale.delete()
    _move(car, to_phase, user, f"Sale undone: {note}")
    return car


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
    rows = [row for row in selectors.repair_rows(Car.objects.all(), now=now) if row.state != selectors.RepairState.ON_TIME]
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


# --- Transfers between the group's locations -------------------------------------------------


def _dispatched_transfer(car: Car) -> Transfer | None:
    return car.transfers.filter(status=Transfer.Status.DISPATCHED).select_related("to_location").first()


def _refuse_if_on_the_road(car: Car, field: str) -> None:
    transfer = _dispatched_transfer(car)
    if transfer is not None:
        raise conflict(field, f"This car is on its way to {transfer.to_location.name} (transfer #{transfer.pk}); receive it there first.")


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
            {"status": ValidationError(f"This transfer is {transfer.get_status_display().lower()}, so it cannot be {action}.", code="conflict")}
        )


def _may_act_for(user: User, location: Location) -> bool:
    return locations_visible_to(user).filter(pk=location.pk).exists()


def _tell_location(location: Location, *, roles_: list[str], exclude: User | None, **message) -> None:
    from ifixit.notifications.services import notify

    staff = User.objects.filter(is_active=True, role__in=roles_, locations=location).exclude(pk=getattr(exclude, "pk", None))
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
    transport_cost: Decimal = Decimal("0"),
) -> Transfer:
    _require(user, "inventory.add_transfer")
    car = _locked_car(user, car_id)
    errors: dict[str, str | ValidationError] = {}
    destination = Location.objects.filter(pk=to_location_id).first()
    if car.phase == Phase.SOLD:
        errors["car"] = ValidationError("A sold car cannot be transferred.", code="conflict")
    elif car.phase == Phase.IN_TRANSIT:
        errors["car"] = ValidationError("This car is already in transit; transfer it once it has arrived.", code="conflict")
    elif car.transfers.filter(status__in=Transfer.OPEN).exists():
        errors["car"] = ValidationError("This car already has an open transfer; finish or cancel that one first.", code="conflict")
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
