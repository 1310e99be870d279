"""What customer-care writes check first: the user's permission, and the rows they act on
(a customer, a car the customer bought, a location's settings) found through what the user
may see and, for a customer, locked for the write."""

from django.core.exceptions import PermissionDenied, ValidationError

from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.models import Customer
from ifixit.errors import conflict
from ifixit.inventory.models import Car
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


def _locked_customer(user: User, customer_id: int) -> Customer:
    try:
        customer = selectors.customers_visible_to(user).select_for_update().get(pk=customer_id)
    except Customer.DoesNotExist:
        raise Customer.DoesNotExist(f"No customer {customer_id} that you may see.") from None
    _refuse_if_erased(customer)
    return customer


def _refuse_if_erased(customer: Customer) -> None:
    """An erased customer's record is kept for its figures only: writing to it would start
    holding personal data again (privacy.data_rights)."""
    if customer.is_erased:
        raise conflict(
            "customer",
            f"Customer #{customer.pk} was erased at their request; add them again as a new customer if they come back.",
        )


def _customer_car(customer: Customer, car_id: int | None) -> Car | None:
    if not car_id:
        return None
    car = selectors.customer_cars(customer=customer).select_related("sale__location").filter(pk=car_id).first()
    if car is None:
        raise ValidationError({"car": "Choose one of the cars this customer bought."})
    return car


def _location_for_settings(user: User, location_id: int) -> Location:
    try:
        return locations_visible_to(user).get(pk=location_id)
    except Location.DoesNotExist:
        raise Location.DoesNotExist(f"No location {location_id} that you may see.") from None
