"""Writes on the customer record: adding one (refusing a duplicate unless asked), changing
their details, tags and consent, serving an existing customer at another location, and
merging two records into one."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ifixit.accounts import audit
from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.extensions import customers_merged
from ifixit.crm.models import Communication, Customer, FollowUp, Survey, Tag
from ifixit.crm.services.access import _locked_customer, _refuse_if_erased, _require
from ifixit.inventory.models import Sale
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.phones import normalise_phone

CUSTOMER_FIELDS = [
    "kind",
    "name",
    "contact_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "notes",
    "email_marketing",
    "sms_marketing",
]


def normalise_email(value: str) -> str:
    """' Jo.Bloggs@Example.COM ' -> 'jo.bloggs@example.com'. Empty stays empty."""
    value = (value or "").strip().lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError("Enter a valid email address, such as jo@example.com.", code="email") from None
    return value


def normalise_postcode(value: str) -> str:
    value = re.sub(r"\s+", "", (value or "").upper())
    return f"{value[:-3]} {value[-3:]}" if len(value) > 4 else value


def _clean_contact(fields: dict) -> dict:
    """Normalise email and phone, collecting both errors at once."""
    errors = {}
    for name, normalise in (("email", normalise_email), ("phone", normalise_phone)):
        if name in fields:
            try:
                fields[name] = normalise(fields[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    if "postcode" in fields:
        fields["postcode"] = normalise_postcode(fields["postcode"])
    for name in ("name", "contact_name", "address_line1", "address_line2", "town"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    return fields


class DuplicateCustomer(ValidationError):
    """Raised instead of creating a second record for someone already on file; carries
    the matching records so the page can offer them."""

    def __init__(self, matches: list[Customer]):
        self.matches = matches
        super().__init__(
            {
                "email": ValidationError(
                    "A customer with this email or phone number is already on file.", code="duplicate"
                )
            }
        )


def _tags_from(names: list[str]) -> list[Tag]:
    tags = []
    for name in {n.strip()[:40] for n in names if n and n.strip()}:
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        tags.append(tag)
    return tags


def _set_consent_times(customer: Customer, before: Customer | None, now: datetime.datetime) -> None:
    for channel in ("email_marketing", "sms_marketing"):
        was = getattr(before, channel) if before else False
        if getattr(customer, channel) != was or (before is None and getattr(customer, channel)):
            setattr(customer, f"{channel}_changed_at", now)


@transaction.atomic
def customer_create(
    *, user: User, location: Location, tags: list[str] | None = None, allow_duplicate: bool = False, **fields
) -> Customer:
    _require(user, "crm.add_customer")
    if not locations_visible_to(user).filter(pk=location.pk, is_active=True).exists():
        raise ValidationError({"location": "Choose one of your active locations."})
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    fields = _clean_contact(dict(fields))
    if not fields.get("email") and not fields.get("phone"):
        raise ValidationError({"email": "Give an email address or a phone number, so the customer can be reached."})
    matches = list(selectors.customer_duplicates(email=fields.get("email", ""), phone=fields.get("phone", "")))
    if matches and not allow_duplicate:
        raise DuplicateCustomer(matches)
    now = timezone.now()
    customer = Customer(created_by=user, created_at=now, **fields)
    _set_consent_times(customer, None, now)
    customer.full_clean()
    customer._history_user = user
    customer.save()
    customer.locations.add(location)
    if tags:
        customer.tags.set(_tags_from(tags))
    return customer


@transaction.atomic
def customer_update(
    *, user: User, customer_id: int, tags: list[str] | None = None, allow_duplicate: bool = False, **fields
) -> Customer:
    _require(user, "crm.change_customer")
    customer = _locked_customer(user, customer_id)
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    fields = _clean_contact(dict(fields))
    changed_contact = {k: v for k, v in fields.items() if k in ("email", "phone") and v and v != getattr(customer, k)}
    if changed_contact and not allow_duplicate:
        matches = list(
            selectors.customer_duplicates(
                email=changed_contact.get("email", ""), phone=changed_contact.get("phone", ""), exclude_pk=customer.pk
            )
        )
        if matches:
            raise DuplicateCustomer(matches)
    before = Customer(**{f: getattr(customer, f) for f in ("email_marketing", "sms_marketing")})
    for name, value in fields.items():
        setattr(customer, name, value)
    if not customer.email and not customer.phone:
        raise ValidationError({"email": "Keep an email address or a phone number, so the customer can be reached."})
    _set_consent_times(customer, before, timezone.now())
    customer.full_clean()
    customer._history_user = user
    customer.save()
    if tags is not None:
        customer.tags.set(_tags_from(tags))
    return customer


@transaction.atomic
def customer_share_with_location(
    *, user: User, customer_id: int, location: Location, email: str = "", phone: str = ""
) -> Customer:
    """Serve an existing customer of another location here: the user proves they know
    the customer by the email or phone they typed (which matched this record), so no
    one can pull a stranger's record into their location by its number alone."""
    _require(user, "crm.add_customer")
    if not locations_visible_to(user).filter(pk=location.pk, is_active=True).exists():
        raise ValidationError({"location": "Choose one of your active locations."})
    contact = _clean_contact({"email": email, "phone": phone})
    matches = selectors.customer_duplicates(email=contact["email"], phone=contact["phone"]).filter(pk=customer_id)
    customer = Customer.objects.select_for_update().filter(pk__in=matches.values("pk")).first()
    if customer is None:
        raise Customer.DoesNotExist("No customer on file matches that email or phone number.")
    customer.locations.add(location)
    return customer


def _later_consent(survivor: Customer, merged: Customer, channel: str) -> tuple[bool, datetime.datetime | None]:
    """The most recent decision wins: a withdrawal after a grant stands, and the reverse."""
    stamp = f"{channel}_changed_at"
    a, b = getattr(survivor, stamp), getattr(merged, stamp)
    if b and (not a or b > a):
        return getattr(merged, channel), b
    return getattr(survivor, channel), a


@transaction.atomic
def customer_merge(*, user: User, survivor_id: int, merged_id: int) -> Customer:
    """Fold one record into another: purchases, the log, follow-ups, surveys, locations
    and tags move to the survivor; its blank details are filled from the other; the
    merged record stays as a pointer to the survivor (old links still lead somewhere)."""
    _require(user, "crm.merge_customer")
    if survivor_id == merged_id:
        raise ValidationError({"merged": "Choose a different record to merge into this one."})
    visible = selectors.customers_visible_to(user).select_for_update()
    records = {c.pk: c for c in visible.filter(pk__in=[survivor_id, merged_id])}
    if len(records) != 2:
        raise Customer.DoesNotExist("Both records must exist and not be merged already.")
    survivor, merged = records[survivor_id], records[merged_id]
    _refuse_if_erased(survivor)
    _refuse_if_erased(merged)

    Sale.objects.filter(customer=merged).update(customer=survivor)
    Communication.objects.filter(customer=merged).update(customer=survivor)
    FollowUp.objects.filter(customer=merged).update(customer=survivor)
    Survey.objects.filter(customer=merged).update(customer=survivor)
    customers_merged.send(sender=Customer, survivor=survivor, merged=merged)  # finance moves its applications
    Customer.objects.filter(merged_into=merged).update(merged_into=survivor)
    survivor.locations.add(*merged.locations.all())
    survivor.tags.add(*merged.tags.all())

    for name in ("contact_name", "email", "phone", "address_line1", "address_line2", "town", "postcode"):
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
    if merged.notes:
        survivor.notes = "\n\n".join(filter(None, [survivor.notes, f"From merged record #{merged.pk}: {merged.notes}"]))
    for channel in ("email_marketing", "sms_marketing"):
        value, stamp = _later_consent(survivor, merged, channel)
        setattr(survivor, channel, value)
        setattr(survivor, f"{channel}_changed_at", stamp)
    survivor._history_user = user
    survivor._change_reason = f"Merged record #{merged.pk} ({merged.name}) into this one"
    survivor.save()
    merged.merged_into = survivor
    merged._history_user = user
    merged._change_reason = f"Merged into #{survivor.pk} ({survivor.name})"
    merged.save(update_fields=["merged_into", "updated_at"])
    Communication.objects.create(
        customer=survivor,
        channel=Communication.Channel.NOTE,
        direction=Communication.Direction.INTERNAL,
        subject="Records merged",
        body=f"{merged.name} (#{merged.pk}) was merged into this record by {user.get_username()}.",
        user=user,
    )
    audit.record(None, audit.CUSTOMER_MERGED, actor=user, detail={"survivor": survivor.pk, "merged": merged.pk})
    return survivor
