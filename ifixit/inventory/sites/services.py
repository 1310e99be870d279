"""Every write on the group's locations: create, edit, deactivate, reactivate, delete.

Pages call these (and an API would call the same ones). Each validates fully before it
writes, inside one transaction, so bad input leaves nothing half-written. Only admins
hold inventory.add/change/delete_location (see accounts/roles.py), so the permission
check here is what makes location management admin-only.
"""

import re
from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, RestrictedError

from ifixit import caching
from ifixit.accounts.models import User
from ifixit.inventory.models import Car, Sale, Transfer
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.money import format_money

CODE_RE = re.compile(r"^[A-Z0-9]{2,10}$")
MAX_HOLDING_COST = Decimal(10000)

# Names the tz database lists that are no place a dealership can be: "localtime" is
# whatever this server is set to, "Factory" is a placeholder meaning "not set".
NOT_A_PLACE = {"localtime", "Factory", "posixrules"}


@cache
def time_zone_names() -> tuple[str, ...]:
    """The time zones a location may be in, sorted (read once: it walks the tz database)."""
    return tuple(sorted(available_timezones() - NOT_A_PLACE))


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"Only admins manage locations ({perm}).")


def _locked_location(user: User, location_id: int) -> Location:
    try:
        return locations_visible_to(user).select_for_update().get(pk=location_id)
    except Location.DoesNotExist:
        raise Location.DoesNotExist(f"No location {location_id} that you may see.") from None


def normalise_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def _validated(
    *, location: Location, name: str, code: str, address: str, time_zone: str, daily_holding_cost: Decimal
) -> Location:
    """Set the fields on `location` and check every rule, raising one field-keyed error."""
    location.name = (name or "").strip()
    location.code = normalise_code(code)
    location.address = (address or "").strip()
    location.time_zone = (time_zone or "").strip()
    location.daily_holding_cost = daily_holding_cost

    errors: dict[str, str] = {}
    others = Location.objects.exclude(pk=location.pk)
    if not location.name:
        errors["name"] = "Give the location a name."
    elif others.filter(name__iexact=location.name).exists():
        errors["name"] = f"There is already a location called {location.name}."
    if not CODE_RE.match(location.code):
        errors["code"] = "A code is 2 to 10 letters or digits, e.g. LDN or LEEDS2."
    elif others.filter(code__iexact=location.code).exists():
        errors["code"] = f"The code {location.code} is already used by another location."
    if location.time_zone not in time_zone_names():
        errors["time_zone"] = (
            f"“{location.time_zone}” is not a time zone we know. Pick one from the list, e.g. Europe/London."
        )
    if daily_holding_cost is None:
        errors["daily_holding_cost"] = "Enter the daily holding cost (0 if there is none)."
    elif daily_holding_cost < 0:
        errors["daily_holding_cost"] = "A holding cost cannot be negative."
    elif daily_holding_cost > MAX_HOLDING_COST:
        errors["daily_holding_cost"] = f"A holding cost above {format_money(MAX_HOLDING_COST)} a day is surely a typo."
    if errors:
        raise ValidationError(errors)
    # The model's own rules (lengths, decimal places, repair thresholds); uniqueness is
    # checked above with friendlier words and backed by the database's unique indexes.
    location.full_clean(validate_unique=False)
    return location


def _save(location: Location) -> None:
    # Two admins creating the same code at once both pass the check above; the unique
    # index stops the second, and they get the same message as if they had been slower.
    try:
        with transaction.atomic():
            location.save()
    except IntegrityError:
        raise ValidationError(
            {"code": "That name or code was just taken by another location. Choose another."}
        ) from None
    caching.changed("locations")  # names and holding costs are in advice and placement


@transaction.atomic
def location_create(
    *, user: User, name: str, code: str, time_zone: str, daily_holding_cost: Decimal, address: str = ""
) -> Location:
    _require(user, "locations.add_location")
    location = _validated(
        location=Location(),
        name=name,
        code=code,
        address=address,
        time_zone=time_zone,
        daily_holding_cost=daily_holding_cost,
    )
    _save(location)
    return location


@transaction.atomic
def location_update(
    *,
    user: User,
    location_id: int,
    name: str,
    code: str,
    time_zone: str,
    daily_holding_cost: Decimal,
    address: str = "",
) -> Location:
    _require(user, "locations.change_location")
    location = _validated(
        location=_locked_location(user, location_id),
        name=name,
        code=code,
        address=address,
        time_zone=time_zone,
        daily_holding_cost=daily_holding_cost,
    )
    _save(location)
    return location


@transaction.atomic
def location_deactivate(*, user: User, location_id: int) -> Location:
    """An inactive location keeps its cars and history but receives no new cars or
    transfers (the car and transfer services check is_active)."""
    _require(user, "locations.change_location")
    location = _locked_location(user, location_id)
    if location.is_active:
        location.is_active = False
        location.save(update_fields=["is_active"])
        caching.changed("locations")  # placement ranks the active locations only
    return location


@transaction.atomic
def location_reactivate(*, user: User, location_id: int) -> Location:
    _require(user, "locations.change_location")
    location = _locked_location(user, location_id)
    if not location.is_active:
        location.is_active = True
        location.save(update_fields=["is_active"])
        caching.changed("locations")  # placement ranks the active locations only
    return location


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@transaction.atomic
def location_delete(*, user: User, location_id: int) -> None:
    """Delete a location that never had anything to do with a car; anything with a
    history is deactivated instead, so sales reports and transfer records stay whole."""
    _require(user, "locations.delete_location")
    location = _locked_location(user, location_id)
    cars = Car.objects.filter(location=location).count()
    sales = Sale.objects.filter(location=location).count()
    transfers = Transfer.objects.filter(Q(from_location=location) | Q(to_location=location)).count()
    if cars or sales or transfers:
        held = [_plural(n, word) for n, word in ((cars, "car"), (sales, "sale"), (transfers, "transfer")) if n]
        raise ValidationError(
            f"{location.name} cannot be deleted: it has {', '.join(held)} on record. Deactivate it instead.",
            code="in_use",
        )
    caching.changed("locations")  # renewed after commit, only if the delete commits
    try:
        location.delete()
    except (ProtectedError, RestrictedError):
        # A car or sale added by someone else since the counts above (or a new kind of
        # record that protects locations): refuse the same way.
        raise ValidationError(
            f"{location.name} cannot be deleted: records refer to it. Deactivate it instead.", code="in_use"
        ) from None
