"""Selling a car (cash or finance, with any part-exchange), handing it over, switching a sale on
finance to cash and undoing a sale that never completed; and which of these steps the car's page
may offer. What a sale means to the apps above is announced (inventory.events)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.errors import conflict
from ifixit.inventory import events, extensions
from ifixit.inventory.models import (
    MIN_AMOUNT_FINANCED,
    TRANSITIONS,
    Car,
    Payment,
    Phase,
    Sale,
    Transfer,
    normalise_plate,
)
from ifixit.inventory.services.cars import _locked_car, _require
from ifixit.inventory.services.phases import _move, _stale
from ifixit.money import format_money


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
    part_exchange_allowance: Decimal = Decimal(0),
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
    repair_total = sum((item.total for item in car.repair_items.all()), Decimal(0))
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
        part_exchange_allowance=part_exchange_allowance or Decimal(0),
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
    allowance = part_exchange_allowance or Decimal(0)
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
        errors["part_exchange_registration"] = (
            "Say which car was taken in part-exchange (its registration or a description)."
        )
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
        raise ValidationError(
            {"sale": f"This car was already delivered on {timezone.localdate(sale.delivered_at):%d %b %Y}."}
        )
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
        raise ValidationError(
            {"note": "Say why the sale is now paid in cash (e.g. the customer paid by bank transfer)."}
        )
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


@dataclass(frozen=True)
class SaleNextSteps:
    can_deliver: bool
    can_switch_to_cash: bool


def sale_next_steps(*, user: User, sale: Sale | None, holds_delivery: bool) -> SaleNextSteps:
    """Which of sale_deliver and sale_switch_to_cash would go through now, so a page offers only
    those. `holds_delivery`: an app above says the sale waits for its money before the car is
    handed over (finance: the lender has not paid yet; inventory.extensions.car_panels)."""
    undelivered = sale is not None and sale.delivered_at is None
    on_finance = undelivered and sale.payment == Payment.FINANCE
    return SaleNextSteps(
        # A cash sale, or finance the lender has paid out.
        can_deliver=undelivered and not holds_delivery and user.has_perm("inventory.deliver_sale"),
        # Finance still waiting for its money: the customer may pay another way instead.
        can_switch_to_cash=on_finance and holds_delivery and user.has_perm("inventory.add_sale"),
    )
