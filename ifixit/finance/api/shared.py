"""What every endpoint of the finance API shares: who may use it, the error bodies for the
schema, the currency of every amount, and refusing a field that cannot be set."""

from django.conf import settings
from rest_framework.permissions import IsAuthenticated

from ifixit import serializers
from ifixit.api import errors, permission

# --- Who may use it -----------------------------------------------------------------------


FINANCE_ROLES = "Finance is for managers, sales staff and admins."
CanHandleFinance = permission("finance.view_financeapplication", FINANCE_ROLES)
CanViewLenders = permission("finance.view_lender", FINANCE_ROLES)


FINANCE = [IsAuthenticated, CanHandleFinance]


# --- Error bodies, for the schema ----------------------------------------------------------

ERRORS = errors(
    forbidden="The user's role does not deal with finance or allow this.",
    not_found="No such application among the locations the user may see.",
)


def currency() -> str:
    return settings.CURRENCY


def reject_unknown_fields(serializer: serializers.Serializer, attrs: dict) -> dict:
    """Say so rather than silently ignore a field that cannot be set here."""
    unknown = set(serializer.initial_data) - set(serializer.fields)
    if unknown:
        raise serializers.ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    return attrs
