"""Who may use customer care's API (managers, sales staff and admins, by permission), the
error bodies its operations share, and the lookups that answer 404 before anything else
(a customer, a location filter) for what the user may not see."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated

from ifixit.api import DETAIL_ERROR, errors, permission
from ifixit.crm import selectors
from ifixit.crm.models import Customer
from ifixit.locations.selectors import locations_visible_to

# --- Who may use it -----------------------------------------------------------------------


CUSTOMER_CARE_ROLES = "Customer care is for managers, sales staff and admins."
CanViewCustomers = permission("crm.view_customer", CUSTOMER_CARE_ROLES)
CanViewFollowUps = permission("crm.view_followup", CUSTOMER_CARE_ROLES)
CanViewSatisfaction = permission("crm.view_survey", CUSTOMER_CARE_ROLES)


CUSTOMER_CARE = [IsAuthenticated, CanViewCustomers]
FOLLOW_UPS = [IsAuthenticated, CanViewFollowUps]
SATISFACTION = [IsAuthenticated, CanViewSatisfaction]


# --- Error bodies, for the schema ----------------------------------------------------------

ERRORS = errors(
    forbidden="The user's role does not deal with customers or allow this.",
    not_found="No such customer among the locations the user may see.",
)
LOCATION_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="The location filter is not one the user may see."
)


def visible_location_id(request, location_id: int | None) -> int | None:
    """A location filter must name a location the user may see, as on the pages."""
    if location_id and not locations_visible_to(request.user).filter(pk=location_id).exists():
        raise NotFound("No such location among those you may see.")
    return location_id


def visible_customer(request, customer_id: int) -> Customer:
    """The customer, or 404 before anything else, so a bad body never tells a user of
    another location that the record exists."""
    return selectors.customer_get(user=request.user, pk=customer_id)
