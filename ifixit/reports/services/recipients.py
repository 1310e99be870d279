"""Who receives a report: a colleague only if they could run it themselves (its permission
and every location it covers), an address typed in that belongs to someone who works here
with that person's rights, checked when a schedule is saved and again when its run is sent."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ifixit.accounts.models import User
from ifixit.locations.selectors import locations_visible_to
from ifixit.reports import catalogue
from ifixit.reports.models import Run


def normalise_emails(text: str, errors: dict) -> str:
    emails = []
    for raw in (text or "").replace(",", "\n").replace(";", "\n").splitlines():
        address = raw.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors["recipient_emails"] = f"{raw.strip()} is not an email address."
            continue
        if address not in emails:
            emails.append(address)
    return "\n".join(emails)


def scope_location_ids(owner: User, params: catalogue.Params) -> set[int]:
    if params.locations:
        return set(params.locations)
    return set(locations_visible_to(owner).values_list("pk", flat=True))


def check_typed_addresses(
    owner: User, report: catalogue.Report, params: catalogue.Params, emails: list[str], errors: dict
) -> None:
    """An address typed in that belongs to someone who works here gets that person's rights."""
    needed = scope_location_ids(owner, params) if catalogue.LOCATIONS in report.accepts else set()
    people = User.objects.filter(email__in=emails).prefetch_related("locations")
    refused = sorted({p.email.lower() for p in people if not may_receive(p, report, needed)})
    if refused:
        errors["recipient_emails"] = (
            f"{', '.join(refused)} belongs to someone who may not see every location of this report."
        )


def check_recipients(
    owner: User, report: catalogue.Report, params: catalogue.Params, users: list[User], errors: dict
) -> None:
    """A colleague receives a report only if they could run it themselves: its permission,
    and every location it covers."""
    needed = scope_location_ids(owner, params) if catalogue.LOCATIONS in report.accepts else set()
    refused = [user for user in users if not may_receive(user, report, needed)]
    if refused:
        names = ", ".join(u.get_full_name() or u.username for u in refused)
        errors["recipient_users"] = (
            f"{names} may not see every location of this report; choose fewer locations or other people."
        )


def run_recipients(run: Run) -> list[str]:
    """Where a scheduled run goes: its colleagues who may still see it, and the outside
    addresses that are not the address of a colleague who may not."""
    schedule = run.schedule
    if schedule is None:
        return []
    report = catalogue.get(run.report_key)
    params = catalogue.Params.from_json(run.params)
    needed = scope_location_ids(schedule.owner, params) if catalogue.LOCATIONS in report.accepts else set()
    addresses = []
    for user in schedule.recipient_users.filter(is_active=True).exclude(email="").prefetch_related("locations"):
        if may_receive(user, report, needed):
            addresses.append(user.email.lower())
    typed = schedule.emails
    staff = (
        {u.email.lower(): u for u in User.objects.filter(email__in=typed).prefetch_related("locations")}
        if typed
        else {}
    )
    for address in typed:
        person = staff.get(address)
        if person is not None and not may_receive(person, report, needed):
            continue  # a colleague's (or former colleague's) address typed in: their rights apply
        if address not in addresses:
            addresses.append(address)
    return addresses


def may_receive(user: User, report: catalogue.Report, needed: set[int]) -> bool:
    if not user.is_active or not user.has_perm(report.permission):
        return False
    return not needed or user.is_group_wide or not (needed - {loc.pk for loc in user.locations.all()})
