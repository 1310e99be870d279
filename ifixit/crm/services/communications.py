"""The communication log: calls, visits and notes logged by hand; emails and SMS sent to a
customer (consent for marketing, a purchase for a service message), delivered at most
once after commit by a claim, and requeued when stuck; SMS replies, with STOP and START."""

import datetime
import logging
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.crm import selectors
from ifixit.crm.models import Communication, Customer
from ifixit.crm.services.access import _customer_car, _locked_customer, _require
from ifixit.crm.services.survey_links import _with_survey_link
from ifixit.inventory.models import Car, Sale
from ifixit.jobs import outbox
from ifixit.locations.models import Location
from ifixit.notifications import sms
from ifixit.notifications.errors import DeliveryError
from ifixit.notifications.services import STALE_CLAIM, STALE_QUEUE, claimable, notify, send_email
from ifixit.phones import is_mobile, normalise_phone

log = logging.getLogger(__name__)

SMS_MAX_LENGTH = 480  # three segments
# Replies that withdraw or give SMS consent: the keywords carriers and Twilio honour,
# and only as the whole reply ("Cancel Tuesday please" is a message, not an opt-out; a
# "Yes" answers a question, it gives no consent).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "UNSTOP"}
# Sends of one message give up after this many claims (a worker dying mid-send each time).
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Outbound:
    channel: str
    purpose: str
    subject: str
    body: str


def _customer_location(user: User, customer: Customer, car: Car | None) -> Location | None:
    return selectors.follow_up_location(user=user, customer=customer, car=car)


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
        consented = (
            customer.email_marketing if message.channel == Communication.Channel.EMAIL else customer.sms_marketing
        )
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
    if (
        channel == Communication.Channel.SMS
        and purpose == Communication.Purpose.MARKETING
        and "STOP" not in body.upper()
    ):
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
    """Ask for the send in the caller's transaction (the outbox publishes it after commit)."""
    from ifixit.crm.tasks import send_communication

    outbox.enqueue(send_communication, [communication_id], about=f"crm.communication:{communication_id}")


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
        communication.last_error = (
            "Not sent: the customer withdrew consent to marketing on this channel before it went."
        )
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
        last_sms = customer.communications.filter(
            channel=Communication.Channel.SMS, direction=Communication.Direction.OUTBOUND
        ).first()
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
                    subject="Withdrew SMS consent"
                    if keyword in STOP_WORDS
                    else ("Gave SMS consent" if keyword in START_WORDS else ""),
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
