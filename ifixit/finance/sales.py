"""What finance does when inventory sells a car: the receivers of inventory.events, connected in
FinanceConfig.ready. Each runs inside the sale's transaction; one that refuses (ValidationError)
or fails undoes the whole write (docs/architecture.md)."""

from django.core.exceptions import ValidationError

from ifixit.errors import conflict
from ifixit.finance.selectors import car_finance_open, car_funded
from ifixit.finance.services import applications_withdraw_for_car
from ifixit.inventory.models import Payment


def withdraw_for_cash_sale(sender, *, sale, user, **kwargs) -> None:
    """Paid another way after all: the finance asked for meanwhile is no longer needed."""
    if sale.payment == Payment.CASH:
        applications_withdraw_for_car(user=user, car_id=sale.car_id, note="The car was sold for cash.")


def refuse_delivery_until_funded(sender, *, sale, user, **kwargs) -> None:
    """A car sold on finance is handed over once the lender has paid for it."""
    if sale.payment == Payment.FINANCE and not car_funded(car_id=sale.car_id):
        raise ValidationError(
            {"sale": "This car was sold on finance: it can be delivered once its finance application is funded, "
                     "or after the sale is switched to cash."}
        )


def withdraw_for_switch_to_cash(sender, *, sale, user, note, **kwargs) -> None:
    """Funded finance is money the lender has paid: that sale stays on finance. Otherwise the
    car's open applications are withdrawn."""
    if car_funded(car_id=sale.car_id):
        raise conflict("note", "The finance for this car is already funded; it cannot become a cash sale.")
    applications_withdraw_for_car(user=user, car_id=sale.car_id, note=f"The sale was switched to cash: {note}")


def refuse_transfer_while_open(sender, *, car, user, **kwargs) -> None:
    # The application is the selling site's deal, seen and worked there.
    if car_finance_open(car_id=car.pk):
        raise ValidationError(
            {"car": ValidationError(
                "A finance application for this car is in progress here; finish or withdraw it first.", code="conflict"
            )}
        )
