"""The notification centre's writes. Every feature notifies people through `notify`."""

import datetime
import logging
import smtplib
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.jobs import outbox
from ifixit.notifications import events, kinds, selectors, sms
from ifixit.notifications.errors import DeliveryError
from ifixit.notifications.models import Delivery, Digest, DigestSetting, Notification, Preference
from ifixit.phones import normalise_phone

log = logging.getLogger(__name__)

# A delivery claimed this long ago whose worker never reported back is taken again:
# the worker died mid-send, and the broker has handed its task to another.
STALE_CLAIM = timedelta(minutes=10)
# A delivery still queued this long after it was made never reached the broker.
STALE_QUEUE = timedelta(minutes=5)


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
    location=None,
) -> Notification | None:
    """Tell one user something, through the channels they chose for this kind.

    Returns the notification, or None when one with the same dedupe key was already
    made for this user (by this call's twin on another worker, or an earlier run).
    Outbound deliveries are queued once the caller's transaction commits.
    """
    choice = selectors.choice_for(recipient, kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:200],
                body=body,
                link=link,
                dedupe_key=dedupe_key,
                location=location,
                in_app=choice.in_app,
            )
            deliveries = []
            for channel in kinds.OUTBOUND_CHANNELS:
                if not choice.wants(channel):
                    continue
                address = recipient.email if channel == kinds.EMAIL else recipient.mobile
                if not address:
                    # Chosen once, the address removed since: visible as failed, never silent.
                    deliveries.append(
                        Delivery(
                            notification=notification,
                            channel=channel,
                            status=Delivery.Status.FAILED,
                            last_error=f"no {'email address' if channel == kinds.EMAIL else 'mobile number'} on the account",
                        )
                    )
                    continue
                status = Delivery.Status.WAITING_FOR_DIGEST if choice.timing == kinds.DIGEST else Delivery.Status.QUEUED
                deliveries.append(Delivery(notification=notification, channel=channel, address=address, status=status))
            Delivery.objects.bulk_create(deliveries)
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
            return None
        raise

    queued = [d.pk for d in Delivery.objects.filter(notification=notification, status=Delivery.Status.QUEUED)]
    if queued:
        from ifixit.notifications.tasks import deliver

        for pk in queued:
            outbox.enqueue(deliver, [pk], about=f"notifications.delivery:{pk}")
    if choice.in_app:
        events.publish_unread_count(recipient)
    return notification


def deliveries_requeue_stuck(*, now: datetime.datetime | None = None) -> tuple[list[int], list[int]]:
    """Queue again what never reached a worker (the broker was down when it was made)
    or whose worker died mid-send. The claim in delivery_send / digest_send makes a
    second queueing harmless. Returns (delivery ids, digest ids)."""
    now = now or timezone.now()
    deliveries = list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.QUEUED, notification__created_at__lt=now - STALE_QUEUE)
            | Q(status=Delivery.Status.SENDING, digest__isnull=True, claimed_at__lt=now - STALE_CLAIM)
        ).values_list("pk", flat=True)
    )
    digests = list(
        Digest.objects.filter(
            Q(status=Digest.Status.QUEUED, created_at__lt=now - STALE_QUEUE)
            | Q(status=Digest.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
        ).values_list("pk", flat=True)
    )
    return deliveries, digests


def notify_many(*, recipients, **kwargs) -> list[Notification]:
    made = [notify(recipient=user, **kwargs) for user in recipients]
    return [n for n in made if n is not None]


# --- Reading -----------------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = selectors.notifications_for(user).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        events.publish_unread_count(user)
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    count = selectors.notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())
    if count:
        events.publish_unread_count(user)
    return count


# --- Preferences -------------------------------------------------------------------


@transaction.atomic
def preferences_save(*, user: User, choices: dict[str, dict], digest_time: datetime.time, mobile: str) -> None:
    """Save the user's channels per kind, their digest time and mobile number, all or
    nothing. `choices` maps kind -> {"in_app", "email", "sms", "timing"}."""
    errors: dict[str, list[str]] = defaultdict(list)
    try:
        mobile = normalise_phone(mobile)
    except ValidationError as exc:
        errors["mobile"].extend(exc.messages)
    for key, choice in choices.items():
        kind = kinds.KINDS.get(key)
        if kind is None:
            errors["__all__"].append(f"Unknown notification kind {key!r}.")
            continue
        if choice.get("sms") and not mobile:
            errors[f"{key}-sms"].append(f"Add a mobile number above to get “{kind.label}” by SMS.")
        if choice.get("email") and not user.email:
            errors[f"{key}-email"].append(f"Your account has no email address, so “{kind.label}” cannot go by email.")
        if choice.get("timing", kinds.IMMEDIATE) not in (kinds.IMMEDIATE, kinds.DIGEST):
            errors[f"{key}-timing"].append("Choose immediately or daily digest.")
    if errors:
        raise ValidationError(dict(errors))

    user.mobile = mobile
    user.save(update_fields=["mobile"])
    DigestSetting.objects.update_or_create(user=user, defaults={"send_at": digest_time})
    for key, choice in choices.items():
        Preference.objects.update_or_create(
            user=user,
            kind=key,
            defaults={
                "in_app": bool(choice.get("in_app")),
                "email": bool(choice.get("email")),
                "sms": bool(choice.get("sms")),
                "timing": choice.get("timing", kinds.IMMEDIATE),
            },
        )


# --- Sending -----------------------------------------------------------------------


def claimable(now) -> Q:
    """Rows a sender may claim: waiting, or claimed by a worker that died long ago."""
    return Q(status__in=["queued", "retrying"]) | Q(status="sending", claimed_at__lt=now - STALE_CLAIM)


def delivery_send(*, delivery_id: int, final_attempt: bool) -> Delivery | None:
    """Send one queued delivery, at most once: the conditional update is the claim.

    Raises DeliveryError for a transient failure that should be retried (after
    recording it); a permanent failure, or a transient one on the final attempt, is
    recorded as failed and not raised.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(claimable(now), pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None  # sent already, failed for good, or being sent right now
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    notification = delivery.notification
    try:
        if delivery.channel == kinds.EMAIL:
            send_email(
                to=delivery.address,
                subject=notification.title,
                body=render_to_string(
                    "notifications/email.txt", {"notification": notification, "site_url": settings.SITE_URL}
                ),
            )
        else:
            delivery.provider_id = sms.get_backend().send(to=delivery.address, body=_sms_text(notification))
    except DeliveryError as exc:
        give_up = final_attempt or not exc.transient
        delivery.status = Delivery.Status.FAILED if give_up else Delivery.Status.RETRYING
        delivery.last_error = exc.reason
        delivery.save(update_fields=["status", "last_error", "provider_id"])
        log.warning("delivery %s (%s) failed: %s", delivery.pk, delivery.channel, exc.reason)
        if not give_up:
            raise
        return delivery
    except Exception as exc:
        _let_go(delivery, exc)
        raise
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["status", "sent_at", "last_error", "provider_id"])
    return delivery


def _let_go(row: Delivery | Digest, exc: Exception) -> None:
    """Not the provider's answer but a fault of ours (bad data, a bug, our database or disk):
    the claim is let go, as retrying, so that the task's retry of a transient error or an
    admin's "retry now" of the dead letter can claim it again, while the sweep (which takes
    only rows stuck queued or sending) never does: a permanent fault cannot loop."""
    row.status = row.Status.RETRYING
    row.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
    row.save(update_fields=["status", "last_error"])
    log.warning("%s %s could not be sent: %s", row._meta.model_name, row.pk, row.last_error)


def _sms_text(notification: Notification) -> str:
    text = notification.title
    if notification.link:
        text += f" {settings.SITE_URL}{notification.link}"
    return text[:480]  # three SMS segments at most


def send_email(*, to: str, subject: str, body: str, reply_to: str = "") -> None:
    """Send one email through Django's mail framework, raising DeliveryError (transient
    or not) on failure. The customer log (crm) sends through here too."""
    try:
        EmailMessage(subject=subject, body=body, to=[to], reply_to=[reply_to] if reply_to else None).send()
    except smtplib.SMTPResponseException as exc:
        # 4xx: the server asks us to try again later; 5xx: it will never take it.
        raise DeliveryError(f"mail server answered {exc.smtp_code}: {_smtp_text(exc)}", transient=exc.smtp_code < 500)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"mail server refused the address {to}", transient=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"mail server unreachable: {exc.__class__.__name__}: {exc}", transient=True)


def _smtp_text(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    return error.decode(errors="replace") if isinstance(error, bytes) else str(error)


# --- Digests -----------------------------------------------------------------------


def digests_claim_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Open today's digest for every user whose digest time has passed in their time
    zone and who has deliveries waiting; the unique (user, channel, local day) row is
    the claim, so a second beat, or a second worker, opens none. Returns digest ids."""
    now = now or timezone.now()
    waiting = (
        Delivery.objects.filter(status=Delivery.Status.WAITING_FOR_DIGEST, notification__created_at__lte=now)
        .values_list("notification__recipient", "channel")
        .distinct()
    )
    pairs = sorted(set(waiting))
    users = User.objects.in_bulk({user_id for user_id, _ in pairs})
    opened = []
    for user_id, channel in pairs:
        user = users[user_id]
        local_now = now.astimezone(selectors.time_zone_for(user))
        if local_now.time() < selectors.digest_time_for(user):
            continue
        try:
            with transaction.atomic():
                digest = Digest.objects.create(recipient=user, channel=channel, local_date=local_now.date())
                count = Delivery.objects.filter(
                    status=Delivery.Status.WAITING_FOR_DIGEST,
                    channel=channel,
                    notification__recipient=user,
                    notification__created_at__lte=now,
                ).update(digest=digest, status=Delivery.Status.SENDING, claimed_at=now)
                if not count:
                    raise IntegrityError("nothing left to send")  # taken by a twin run: undo the claim
                digest.item_count = count
                digest.save(update_fields=["item_count"])
        except IntegrityError:
            continue  # today's digest is out already: these wait for tomorrow's
        opened.append(digest.pk)
    return opened


def digest_send(*, digest_id: int, final_attempt: bool) -> Digest | None:
    """Send one digest message listing its deliveries' notifications, at most once."""
    now = timezone.now()
    claimed = Digest.objects.filter(claimable(now), pk=digest_id).update(
        status=Digest.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    digest = Digest.objects.select_related("recipient").get(pk=digest_id)
    items = list(
        Notification.objects.filter(deliveries__digest=digest).order_by("created_at", "id").distinct()
    )
    try:
        if digest.channel == kinds.EMAIL:
            send_email(
                to=digest.recipient.email,
                subject=f"I-fixit daily digest: {len(items)} notification{'s' if len(items) != 1 else ''}",
                body=render_to_string(
                    "notifications/digest.txt", {"items": items, "user": digest.recipient, "site_url": settings.SITE_URL}
                ),
            )
        else:
            sms.get_backend().send(
                to=digest.recipient.mobile,
                body=f"I-fixit: {len(items)} notification{'s' if len(items) != 1 else ''} since your last digest. "
                f"{settings.SITE_URL}/notifications/",
            )
    except DeliveryError as exc:
        give_up = final_attempt or not exc.transient
        digest.status = Digest.Status.FAILED if give_up else Digest.Status.RETRYING
        digest.last_error = exc.reason
        digest.save(update_fields=["status", "last_error"])
        digest.deliveries.update(status=digest.status, last_error=exc.reason)
        log.warning("digest %s (%s) failed: %s", digest.pk, digest.channel, exc.reason)
        if not give_up:
            raise
        return digest
    except Exception as exc:
        _let_go(digest, exc)
        digest.deliveries.update(status=Delivery.Status.RETRYING, last_error=digest.last_error)
        raise
    digest.status = Digest.Status.SENT
    digest.sent_at = timezone.now()
    digest.last_error = ""
    digest.save(update_fields=["status", "sent_at", "last_error"])
    digest.deliveries.update(status=Delivery.Status.SENT, sent_at=digest.sent_at, last_error="")
    return digest
