"""Every write on customers, their communication log, follow-ups and surveys.

Pages, the API, the SMS webhook and the tasks all call these. Each validates fully
before it writes, inside one transaction, so bad input leaves nothing half-written;
sending happens after commit, claimed with a conditional update so a retried or
duplicated task never sends twice.
"""

import base64
import datetime
import hashlib
import hmac
import logging
import re
import secrets
import zoneinfo
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts import audit, roles
from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.extensions import customers_merged
from ifixit.crm.models import Communication, Customer, FollowUp, FollowUpRule, Survey, Tag
from ifixit.errors import conflict
from ifixit.inventory.models import Car, Sale
from ifixit.locations.models import Location
from ifixit.locations.selectors import locations_visible_to
from ifixit.notifications import sms
from ifixit.notifications.errors import DeliveryError
from ifixit.notifications.services import STALE_CLAIM, STALE_QUEUE, claimable, notify, send_email
from ifixit.phones import is_mobile, normalise_phone

log = logging.getLogger(__name__)

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
SMS_MAX_LENGTH = 480  # three segments
# Replies that withdraw or give SMS consent: the keywords carriers and Twilio honour,
# and only as the whole reply ("Cancel Tuesday please" is a message, not an opt-out; a
# "Yes" answers a question, it gives no consent).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "UNSTOP"}
# Sends of one message give up after this many claims (a worker dying mid-send each time).
MAX_ATTEMPTS = 8
FOLLOW_UP_HOUR = datetime.time(10, 0)  # automatic follow-ups fall due at ten, local time


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


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
        raise conflict("customer", f"Customer #{customer.pk} was erased at their request; add them again as a new customer if they come back.")


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
            {"email": ValidationError("A customer with this email or phone number is already on file.", code="duplicate")}
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
def customer_share_with_location(*, user: User, customer_id: int, location: Location, email: str = "", phone: str = "") -> Customer:
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


# --- Sales ---------------------------------------------------------------------------


def after_sale(*, sale: Sale) -> None:
    """What a sale means to customer care: the customer is now the location's, the
    location's automatic follow-ups are made, the survey is scheduled. On inventory's
    sale_recorded (crm.sales), inside the sale's transaction."""
    if sale.customer_id is None:
        return
    sale.customer.locations.add(sale.location)
    follow_ups_from_rules(sales=[sale])
    survey_schedule(sale=sale)


def sale_unwound(*, sale: Sale, user: User, note: str) -> None:
    """A sale is being undone (its finance fell through): the reminders and survey it
    made go with it, follow-ups people wrote by hand stay (about the car, not the sale),
    and the customer's log says what happened. On inventory's sale_unwinding (crm.sales),
    inside its transaction, before the sale row is deleted."""
    sale.follow_ups.filter(rule__isnull=True).update(sale=None)
    if sale.customer_id is None:
        return
    Communication.objects.create(
        customer_id=sale.customer_id,
        location=sale.location,
        car=sale.car,
        channel=Communication.Channel.NOTE,
        direction=Communication.Direction.INTERNAL,
        purpose=Communication.Purpose.SERVICE,
        subject=f"Sale undone: {sale.car}",
        body=note,
        user=user,
        status=Communication.Status.LOGGED,
    )


# --- Communication log -----------------------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    channel: str
    purpose: str
    subject: str
    body: str


def _customer_location(user: User, customer: Customer, car: Car | None) -> Location | None:
    return selectors.follow_up_location(user=user, customer=customer, car=car)


def _customer_car(customer: Customer, car_id: int | None) -> Car | None:
    if not car_id:
        return None
    car = selectors.customer_cars(customer=customer).select_related("sale__location").filter(pk=car_id).first()
    if car is None:
        raise ValidationError({"car": "Choose one of the cars this customer bought."})
    return car


@transaction.atomic
def communication_log(
    *,
    user: User,
    customer_id: int,
    channel: str,
    body: str,
    direction: str = Communication.Direction.OUTBOUND,
    subject: str = "",
    occurred_at: datetime.datetime | None = None,
    car_id: int | None = None,
) -> Communication:
    """Record a call, a visit or a note made outside the system."""
    _require(user, "crm.add_communication")
    customer = _locked_customer(user, customer_id)
    errors = {}
    if channel not in (Communication.Channel.CALL, Communication.Channel.VISIT, Communication.Channel.NOTE):
        errors["channel"] = "Log a call, a visit or a note here; emails and SMS are sent from the message form."
    if channel == Communication.Channel.NOTE:
        direction = Communication.Direction.INTERNAL
    elif direction not in (Communication.Direction.OUTBOUND, Communication.Direction.INBOUND):
        errors["direction"] = "Say whether the customer or we made contact."
    if not (body or "").strip():
        errors["body"] = "Say what was said or done."
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["occurred_at"] = "A call or visit cannot be logged in the future."
    if errors:
        raise ValidationError(errors)
    car = _customer_car(customer, car_id)
    return Communication.objects.create(
        customer=customer,
        location=_customer_location(user, customer, car),
        car=car,
        channel=channel,
        direction=direction,
        purpose=Communication.Purpose.SERVICE,
        subject=subject.strip()[:200],
        body=body.strip(),
        user=user,
        occurred_at=occurred_at,
        status=Communication.Status.LOGGED,
    )


def _check_outbound(customer: Customer, message: Outbound) -> str:
    """The address to send to, or ValidationError saying why this may not be sent."""
    errors = {}
    if message.channel == Communication.Channel.EMAIL:
        address = customer.email
        if not address:
            errors["channel"] = f"{customer.name} has no email address on file."
        if not message.subject.strip():
            errors["subject"] = "An email needs a subject."
        elif "\n" in message.subject or "\r" in message.subject:
            errors["subject"] = "A subject is one line."
    elif message.channel == Communication.Channel.SMS:
        address = customer.phone
        if not address:
            errors["channel"] = f"{customer.name} has no phone number on file."
        elif not is_mobile(address):
            errors["channel"] = f"{customer.phone} is not a mobile number, so it cannot take an SMS."
        if len(message.body) > SMS_MAX_LENGTH:
            errors["body"] = f"An SMS can be at most {SMS_MAX_LENGTH} characters ({len(message.body)} now)."
    else:
        raise ValidationError({"channel": "Send an email or an SMS."})
    if not message.body.strip():
        errors["body"] = "Write the message."
    if message.purpose == Communication.Purpose.MARKETING:
        consented = customer.email_marketing if message.channel == Communication.Channel.EMAIL else customer.sms_marketing
        if not consented:
            errors["purpose"] = (
                f"{customer.name} has not agreed to marketing by {'email' if message.channel == 'email' else 'SMS'}; "
                "only messages about their own purchase may be sent."
            )
    elif message.purpose == Communication.Purpose.SERVICE:
        if not Sale.objects.filter(customer=customer).exists():
            errors["purpose"] = f"{customer.name} has bought nothing yet, so a service message has nothing to be about."
    else:
        errors["purpose"] = "Choose whether this is about their purchase or marketing."
    if errors:
        raise ValidationError(errors)
    return address


@transaction.atomic
def communication_send(
    *, user: User, customer_id: int, channel: str, purpose: str, body: str, subject: str = "", car_id: int | None = None
) -> Communication:
    """Send an email or SMS to a customer. Marketing only with their consent for that
    channel; a service message must be about something they bought."""
    _require(user, "crm.add_communication")
    customer = _locked_customer(user, customer_id)
    message = Outbound(channel=channel, purpose=purpose, subject=(subject or "").strip(), body=(body or "").strip())
    address = _check_outbound(customer, message)
    car = _customer_car(customer, car_id)
    body = message.body
    if channel == Communication.Channel.SMS and purpose == Communication.Purpose.MARKETING and "STOP" not in body.upper():
        body = f"{body}\nReply STOP to opt out"
    communication = Communication.objects.create(
        customer=customer,
        location=_customer_location(user, customer, car),
        car=car,
        channel=channel,
        direction=Communication.Direction.OUTBOUND,
        purpose=purpose,
        subject=message.subject[:200],
        body=body,
        user=user,
        address=address,
        status=Communication.Status.QUEUED,
    )
    _queue_send(communication.pk)
    return communication


def _queue_send(communication_id: int) -> None:
    def queue():
        from ifixit.crm.tasks import send_communication

        try:
            send_communication.delay(communication_id)
        except Exception:  # broker down: the row stays queued and the sweep queues it again
            log.warning("could not queue communication %s; the sweep will retry", communication_id, exc_info=True)

    transaction.on_commit(queue)


def communication_deliver(*, communication_id: int, final_attempt: bool) -> Communication | None:
    """Send one queued email or SMS, at most once: the conditional update is the claim.
    Raises DeliveryError for a transient failure to be retried (after recording it)."""
    now = timezone.now()
    claimed = Communication.objects.filter(claimable(now), pk=communication_id).update(
        status=Communication.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    communication = Communication.objects.select_related("customer", "user", "location").get(pk=communication_id)
    customer = communication.customer
    if communication.purpose == Communication.Purpose.MARKETING and not (
        customer.email_marketing if communication.channel == Communication.Channel.EMAIL else customer.sms_marketing
    ):
        # Consent withdrawn (an SMS STOP, an edit) while this waited for a worker or a retry.
        communication.status = Communication.Status.FAILED
        communication.last_error = "Not sent: the customer withdrew consent to marketing on this channel before it went."
        communication.save(update_fields=["status", "last_error"])
        return communication
    try:
        text = _with_survey_link(communication)
    except Exception:
        log.exception("communication %s could not be prepared", communication.pk)
        text = None
    try:
        if text is None:
            raise DeliveryError("could not prepare the message", transient=False)
        if communication.channel == Communication.Channel.EMAIL:
            send_email(
                to=communication.address,
                subject=communication.subject,
                body=render_to_string("crm/customer_email.txt", {"communication": communication, "text": text}),
                reply_to=communication.user.email if communication.user else "",
            )
        else:
            communication.provider_id = sms.get_backend().send(to=communication.address, body=text)
    except Exception as exc:
        if not isinstance(exc, DeliveryError):  # a bug or bad data: record it, never loop on it
            log.exception("communication %s failed unexpectedly", communication.pk)
            exc = DeliveryError(f"{exc.__class__.__name__}: {exc}", transient=False)
        give_up = final_attempt or not exc.transient or communication.attempts >= MAX_ATTEMPTS
        communication.status = Communication.Status.FAILED if give_up else Communication.Status.RETRYING
        communication.last_error = exc.reason
        communication.save(update_fields=["status", "last_error", "provider_id"])
        log.warning("communication %s (%s) failed: %s", communication.pk, communication.channel, exc.reason)
        if not give_up:
            raise
        return communication
    communication.status = Communication.Status.SENT
    communication.sent_at = timezone.now()
    communication.last_error = ""
    communication.save(update_fields=["status", "sent_at", "last_error", "provider_id"])
    return communication


def communications_requeue_stuck(*, now: datetime.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Communication.objects.filter(
            Q(status=Communication.Status.QUEUED, occurred_at__lt=now - STALE_QUEUE)
            | Q(status=Communication.Status.SENDING, claimed_at__lt=now - STALE_CLAIM, attempts__lt=MAX_ATTEMPTS)
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def sms_inbound(*, from_number: str, body: str, provider_id: str = "") -> list[Communication]:
    """An SMS from a customer, as the provider's webhook hands it over. STOP (and its
    synonyms) withdraws SMS marketing consent; START gives it back. Every record with
    the number gets the message on its log; the person who last texted them is told
    of a reply. A provider retrying the webhook does not log it twice."""
    try:
        number = normalise_phone(from_number)
    except ValidationError:
        log.warning("inbound SMS from an unreadable number %r ignored", from_number)
        return []
    keyword = re.sub(r"[^A-Z]", "", (body or "").upper()) if len((body or "").strip()) <= 20 else ""
    now = timezone.now()
    logged = []
    for customer in Customer.objects.select_for_update().filter(phone=number, merged_into__isnull=True):
        last_sms = customer.communications.filter(channel=Communication.Channel.SMS, direction=Communication.Direction.OUTBOUND).first()
        if keyword in STOP_WORDS or keyword in START_WORDS:
            wanted = keyword in START_WORDS
            if customer.sms_marketing != wanted:
                customer.sms_marketing = wanted
                customer.sms_marketing_changed_at = now
                customer._change_reason = f"Replied {keyword} by SMS"
                customer.save(update_fields=["sms_marketing", "sms_marketing_changed_at", "updated_at"])
        try:
            with transaction.atomic():
                entry = Communication.objects.create(
                    customer=customer,
                    location=last_sms.location if last_sms else None,
                    car=last_sms.car if last_sms else None,
                    channel=Communication.Channel.SMS,
                    direction=Communication.Direction.INBOUND,
                    subject="Withdrew SMS consent" if keyword in STOP_WORDS else ("Gave SMS consent" if keyword in START_WORDS else ""),
                    body=(body or "")[:2000],
                    address=number,
                    status=Communication.Status.RECEIVED,
                    provider_id=provider_id[:100],
                    occurred_at=now,
                )
        except IntegrityError:
            continue  # the provider's retry raced this one: logged already
        logged.append(entry)
        if last_sms and last_sms.user and keyword not in STOP_WORDS:
            notify(
                recipient=last_sms.user,
                kind="customer_reply",
                title=f"{customer.name} replied: {(body or '')[:120]}",
                link=reverse("customer_detail", args=[customer.pk]),
                location=last_sms.location,
                dedupe_key=f"sms-reply:{provider_id}" if provider_id else "",
            )
    if not logged:
        log.info("inbound SMS from %s matches no customer", number)
    return logged


# --- Follow-ups ------------------------------------------------------------------------


@transaction.atomic
def follow_up_create(
    *, user: User, customer_id: int, due_at: datetime.datetime, assignee_id: int, note: str = "", car_id: int | None = None
) -> FollowUp:
    _require(user, "crm.add_followup")
    customer = _locked_customer(user, customer_id)
    car = _customer_car(customer, car_id)
    # Filed at the customer's location the user works at (not the car's sale site), so
    # the creator, and the staff the form offers, can always see and act on it.
    location = selectors.follow_up_location(user=user, customer=customer)
    errors = {}
    if due_at < timezone.now() - datetime.timedelta(minutes=5):
        errors["due_at"] = "The follow-up cannot be due in the past."
    if due_at > timezone.now() + datetime.timedelta(days=3 * 366):
        errors["due_at"] = "Set a due date within three years."
    assignee = selectors.assignable_staff(location=location).filter(pk=assignee_id).first() if assignee_id else None
    if assignee is None:
        errors["assignee"] = f"Choose someone who works with customers at {location.name if location else 'their location'}."
    if errors:
        raise ValidationError(errors)
    return FollowUp.objects.create(
        customer=customer, location=location, car=car, assignee=assignee, due_at=due_at, note=note.strip(), created_by=user
    )


def _locked_follow_up(user: User, follow_up_id: int) -> FollowUp:
    try:
        return selectors.follow_ups_visible_to(user).select_for_update().get(pk=follow_up_id)
    except FollowUp.DoesNotExist:
        raise FollowUp.DoesNotExist(f"No follow-up {follow_up_id} that you may see.") from None


def _expect_open(follow_up: FollowUp, action: str) -> None:
    if follow_up.status != FollowUp.Status.OPEN:
        raise ValidationError(
            {"status": ValidationError(f"This follow-up is {follow_up.get_status_display().lower()}, so it cannot be {action}.", code="conflict")}
        )


@transaction.atomic
def follow_up_complete(*, user: User, follow_up_id: int, outcome: str, note: str = "") -> FollowUp:
    _require(user, "crm.change_followup")
    follow_up = _locked_follow_up(user, follow_up_id)
    _expect_open(follow_up, "marked done")
    if outcome not in FollowUp.Outcome.values:
        raise ValidationError({"outcome": "Say how it went."})
    follow_up.status = FollowUp.Status.DONE
    follow_up.outcome = outcome
    follow_up.outcome_note = note.strip()
    follow_up.done_at = timezone.now()
    follow_up.done_by = user
    follow_up.save(update_fields=["status", "outcome", "outcome_note", "done_at", "done_by"])
    return follow_up


@transaction.atomic
def follow_up_snooze(*, user: User, follow_up_id: int, until: datetime.datetime) -> FollowUp:
    _require(user, "crm.change_followup")
    follow_up = _locked_follow_up(user, follow_up_id)
    _expect_open(follow_up, "snoozed")
    if until <= timezone.now():
        raise ValidationError({"until": "Snooze to a time in the future."})
    if until > timezone.now() + datetime.timedelta(days=366):
        raise ValidationError({"until": "Snooze for at most a year."})
    follow_up.due_at = until
    follow_up.save(update_fields=["due_at"])
    return follow_up


@transaction.atomic
def follow_up_cancel(*, user: User, follow_up_id: int, note: str = "") -> FollowUp:
    _require(user, "crm.change_followup")
    follow_up = _locked_follow_up(user, follow_up_id)
    _expect_open(follow_up, "cancelled")
    follow_up.status = FollowUp.Status.CANCELLED
    follow_up.outcome_note = note.strip()
    follow_up.done_at = timezone.now()  # when it was closed, done or not: the timeline places it there
    follow_up.done_by = user
    follow_up.save(update_fields=["status", "outcome_note", "done_at", "done_by"])
    return follow_up


def follow_ups_remind_due(*, now: datetime.datetime | None = None) -> int:
    """Remind each assignee of their follow-ups that have fallen due, once per due time:
    the conditional update on reminded_for is the claim (a duplicate beat reminds no one
    twice), and a snoozed follow-up reminds again at its new time."""
    now = now or timezone.now()
    due = FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_at__lte=now).exclude(reminded_for=F("due_at"))
    reminded = 0
    for follow_up in due.select_related("customer", "assignee", "location", "car").order_by("due_at")[:1000]:
        with transaction.atomic():
            claimed = (
                FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.OPEN, due_at=follow_up.due_at)
                .exclude(reminded_for=F("due_at"))
                .update(reminded_for=F("due_at"))
            )
            if not claimed:
                continue
            recipients = [follow_up.assignee]
            if not follow_up.assignee.is_active:  # left the business: their managers pick it up
                recipients = list(User.objects.filter(is_active=True, role=roles.MANAGER, locations=follow_up.location_id))
            what = follow_up.note.splitlines()[0][:80] if follow_up.note else "get back to them"
            for recipient in recipients:
                notify(
                    recipient=recipient,
                    kind="follow_up_due",
                    title=f"Follow up {follow_up.customer.name}: {what}",
                    body=follow_up.note,
                    link=reverse("customer_detail", args=[follow_up.customer_id]),
                    location=follow_up.location,
                    dedupe_key=f"follow-up:{follow_up.pk}:{follow_up.due_at.isoformat()}",
                )
            reminded += 1
    return reminded


def _rule_due_at(rule: FollowUpRule, sold_on: datetime.date, location: Location) -> datetime.datetime:
    day = sold_on + relativedelta(months=rule.months_after_sale, days=rule.days_after_sale)
    return datetime.datetime.combine(day, FOLLOW_UP_HOUR, tzinfo=zoneinfo.ZoneInfo(location.time_zone))


def _rule_assignee(rule: FollowUpRule, sale: Sale, managers: dict[int, User]) -> User | None:
    seller = sale.sold_by
    seller_ok = seller is not None and seller.is_active
    if rule.assign_to == FollowUpRule.AssignTo.SELLER and seller_ok:
        return seller
    return managers.get(sale.location_id) or (seller if seller_ok else None)


def follow_ups_from_rules(*, sales: list[Sale], rules: list[FollowUpRule] | None = None) -> None:
    """Make each active rule's follow-up for each sale (with a customer) that lacks it.
    The unique (rule, sale) constraint makes a second application a no-op."""
    location_ids = {sale.location_id for sale in sales}
    if rules is None:
        rules = list(FollowUpRule.objects.filter(location_id__in=location_ids, is_active=True).select_related("location"))
    if not rules:
        return
    managers: dict[int, User] = {}
    for membership in User.locations.through.objects.filter(
        location_id__in=location_ids, user__is_active=True, user__role=roles.MANAGER
    ).select_related("user").order_by("user_id"):
        managers.setdefault(membership.location_id, membership.user)
    made = []
    for sale in sales:
        if sale.customer_id is None:
            continue
        for rule in rules:
            if rule.location_id != sale.location_id:
                continue
            assignee = _rule_assignee(rule, sale, managers)
            if assignee is None:
                log.warning("rule %s: nobody to follow up sale %s", rule.pk, sale.pk)
                continue
            made.append(
                FollowUp(
                    customer_id=sale.customer_id,
                    location_id=sale.location_id,
                    car_id=sale.car_id,
                    sale=sale,
                    rule=rule,
                    assignee=assignee,
                    due_at=_rule_due_at(rule, sale.sold_on, rule.location),
                    note=rule.note or rule.name,
                )
            )
    FollowUp.objects.bulk_create(made, ignore_conflicts=True)


RULE_FIELDS = ["name", "months_after_sale", "days_after_sale", "note", "assign_to", "is_active"]


def _location_for_settings(user: User, location_id: int) -> Location:
    try:
        return locations_visible_to(user).get(pk=location_id)
    except Location.DoesNotExist:
        raise Location.DoesNotExist(f"No location {location_id} that you may see.") from None


@transaction.atomic
def follow_up_rule_save(*, user: User, location_id: int, rule_id: int | None = None, **fields) -> FollowUpRule:
    """Add or change a location's automatic follow-up. A new or re-activated rule also
    covers the location's past sales whose follow-up would still lie in the future."""
    _require(user, "crm.change_followuprule")
    location = _location_for_settings(user, location_id)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    if rule_id:
        rule = FollowUpRule.objects.select_for_update().filter(location=location, pk=rule_id).first()
        if rule is None:
            raise FollowUpRule.DoesNotExist(f"No rule {rule_id} at {location}.")
    else:
        rule = FollowUpRule(location=location)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.name = (rule.name or "").strip()
    if not rule.months_after_sale and not rule.days_after_sale:
        raise ValidationError({"days_after_sale": "Set how long after the sale: at least one day."})
    rule.full_clean()
    rule.save()
    if rule.is_active:
        earliest = timezone.localdate() - relativedelta(months=rule.months_after_sale, days=rule.days_after_sale)
        recent = list(Sale.objects.filter(location=location, customer__isnull=False, sold_on__gte=earliest).select_related("sold_by"))
        follow_ups_from_rules(sales=recent, rules=[rule])
    return rule


@transaction.atomic
def follow_up_rule_delete(*, user: User, location_id: int, rule_id: int) -> None:
    """Delete a rule; the follow-ups it made stay (they are someone's job now)."""
    _require(user, "crm.change_followuprule")
    location = _location_for_settings(user, location_id)
    deleted, _ = FollowUpRule.objects.filter(location=location, pk=rule_id).delete()
    if not deleted:
        raise FollowUpRule.DoesNotExist(f"No rule {rule_id} at {location}.")


@transaction.atomic
def location_set_survey_delay(*, user: User, location_id: int, days: int | None) -> Location:
    _require(user, "crm.change_followuprule")
    location = _location_for_settings(user, location_id)
    if days is not None and not 0 <= days <= 90:
        raise ValidationError({"survey_after_days": "Send the survey between 0 and 90 days after the sale, or leave it empty for none."})
    location.survey_after_days = days
    location.save(update_fields=["survey_after_days"])
    return location


# --- Surveys ---------------------------------------------------------------------------


def survey_schedule(*, sale: Sale) -> Survey | None:
    """Schedule the satisfaction survey of a sale, if its location sends them and the
    customer can be reached. One per sale (OneToOne)."""
    days = sale.location.survey_after_days
    if days is None or sale.customer_id is None:
        return None
    survey, created = Survey.objects.get_or_create(
        sale=sale,
        defaults={
            "customer_id": sale.customer_id,
            "location_id": sale.location_id,
            "salesperson": sale.sold_by,
            "send_on": sale.sold_on + datetime.timedelta(days=days),
        },
    )
    if created and survey.send_on <= timezone.localdate():
        survey_id = survey.pk

        def queue():
            from ifixit.crm.tasks import send_survey

            try:
                send_survey.delay(survey_id)
            except Exception:
                log.warning("could not queue survey %s; beat will send it", survey_id, exc_info=True)

        transaction.on_commit(queue)
    return survey


def surveys_due(*, today: datetime.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return list(Survey.objects.filter(status=Survey.Status.SCHEDULED, send_on__lte=today).values_list("pk", flat=True))


def survey_link(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('survey_answer', args=[token])}"


# Where the personal link goes in a survey invitation. The log keeps the text with this
# placeholder: the token itself is minted when the message is sent and never stored.
SURVEY_LINK = "[your personal survey link]"


@transaction.atomic
def survey_send(*, survey_id: int) -> Survey | None:
    """Invite the customer to answer, by email if they have one, else by SMS. The
    status change is the claim: a second run finds it sent and does nothing. The
    invitation is an ordinary entry of their communication log, sent like any other."""
    now = timezone.now()
    claimed = Survey.objects.filter(pk=survey_id, status=Survey.Status.SCHEDULED).update(
        status=Survey.Status.SENT,
        sent_at=now,
        expires_at=now + datetime.timedelta(days=settings.CRM_SURVEY_VALID_DAYS),
        token_nonce=secrets.token_hex(16),
    )
    if not claimed:
        return None
    survey = Survey.objects.select_related("customer", "sale__car", "location").get(pk=survey_id)
    survey.token_hash = Survey.hash_token(survey_token(survey))
    survey.save(update_fields=["token_hash"])
    customer = survey.customer
    car = survey.sale.car
    if customer.email:
        channel, address = Communication.Channel.EMAIL, customer.email
        body = render_to_string(
            "crm/survey_invitation.txt", {"survey": survey, "car": car, "link": SURVEY_LINK, "valid_days": settings.CRM_SURVEY_VALID_DAYS}
        )
    elif customer.phone and is_mobile(customer.phone):
        channel, address = Communication.Channel.SMS, customer.phone
        body = f"Thank you for buying your {car.make} {car.model} from {survey.location.name}. How did we do? Two questions: {SURVEY_LINK}"
    else:
        Survey.objects.filter(pk=survey_id).update(status=Survey.Status.NO_CONTACT, token_hash=None, token_nonce="")
        return survey
    survey.invitation = Communication.objects.create(
        customer=customer,
        location=survey.location,
        car=car,
        channel=channel,
        direction=Communication.Direction.OUTBOUND,
        purpose=Communication.Purpose.SERVICE,
        subject=f"How was buying your {car.make} {car.model}?",
        body=body,
        address=address,
        status=Communication.Status.QUEUED,
        occurred_at=now,
    )
    survey.save(update_fields=["invitation"])
    _queue_send(survey.invitation.pk)
    return survey


def survey_token(survey: Survey) -> str:
    """The survey's link token: derived from the site's secret and the survey's random
    nonce, so a resend carries the same working link while the database keeps only the
    nonce and the token's hash (neither is the link)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"survey-link:{survey.pk}:{survey.token_nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _with_survey_link(communication: Communication) -> str:
    """The text to send: for a survey invitation, with its personal link in place."""
    if SURVEY_LINK not in communication.body:
        return communication.body
    survey = Survey.objects.filter(invitation=communication).first()
    if survey is None or not survey.token_nonce:
        return communication.body
    return communication.body.replace(SURVEY_LINK, survey_link(survey_token(survey)))


class SurveyClosed(Exception):
    """The link cannot take an answer; `reason` is one of unknown, answered, expired."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def survey_for_token(token: str) -> Survey:
    """The open survey behind a link, or SurveyClosed saying why not."""
    survey = Survey.objects.select_related("sale__car", "location").filter(token_hash=Survey.hash_token(token or "")).first()
    if survey is None or survey.status not in (Survey.Status.SENT, Survey.Status.ANSWERED):
        raise SurveyClosed("unknown")
    if survey.status == Survey.Status.ANSWERED:
        raise SurveyClosed("answered")
    if survey.expires_at and survey.expires_at <= timezone.now():
        raise SurveyClosed("expired")
    return survey


def survey_answer(*, token: str, recommend_score: int, satisfaction: int, comment: str = "") -> Survey:
    """Take the customer's answer, once. The conditional update is the claim, so a
    double-click or a second tab writes nothing; a low score tells the managers."""
    errors = {}
    if not isinstance(recommend_score, int) or not 0 <= recommend_score <= 10:
        errors["recommend_score"] = "Choose a number from 0 to 10."
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = "Choose from 1 to 5."
    if len(comment or "") > 2000:
        errors["comment"] = "Keep the comment under 2,000 characters."
    survey = survey_for_token(token)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        claimed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.SENT, expires_at__gt=now).update(
            status=Survey.Status.ANSWERED,
            answered_at=now,
            recommend_score=recommend_score,
            satisfaction=satisfaction,
            comment=(comment or "").strip(),
        )
        if not claimed:
            raise SurveyClosed("answered")
        survey.refresh_from_db()
        if recommend_score <= selectors.LOW_RECOMMEND or satisfaction <= selectors.LOW_SATISFACTION:
            _tell_managers_of_low_score(survey)
    return survey


def _tell_managers_of_low_score(survey: Survey) -> None:
    car = survey.sale.car
    managers = User.objects.filter(is_active=True, role=roles.MANAGER, locations=survey.location_id)
    for manager in managers:
        notify(
            recipient=manager,
            kind="low_satisfaction",
            title=f"Low score from {survey.customer.name}: {survey.recommend_score}/10, satisfaction {survey.satisfaction}/5",
            body=f"{car.year} {car.make} {car.model} ({car.registration_display}). {survey.comment}".strip(),
            link=reverse("survey_detail", args=[survey.pk]),
            location=survey.location,
            dedupe_key=f"survey-low:{survey.pk}",
        )
