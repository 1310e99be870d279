"""The notification centre: what each user was told, how it reached them, and how
they want to be reached."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ifixit.notifications import kinds


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="Where the notification leads, a path inside the site.")
    # The location the notification is about, if any: a user moved off a location no
    # longer sees its notifications.
    location = models.ForeignKey("locations.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # False when the user turned in-app off for this kind: kept for the record and for
    # deduplication, left out of the bell and the list.
    in_app = models.BooleanField(default=True)
    # The same event told twice to the same person is the same row: the unique
    # constraint below, not a read-then-write, keeps concurrent checks from doubling it.
    dedupe_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "in_app", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        kind = kinds.KINDS.get(self.kind)
        return kind.label if kind else self.kind


class Digest(models.Model):
    """One digest message per user, channel and local day: the row is the claim, so a
    duplicate beat or a retried task never sends a day's digest twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=[(kinds.EMAIL, "Email"), (kinds.SMS, "SMS")])
    local_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    item_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "channel", "local_date"], name="digest_once_a_day"),
        ]


class Delivery(models.Model):
    """A notification on its way out by email or SMS, and what became of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING_FOR_DIGEST = "digest", "Waiting for digest"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=[(kinds.EMAIL, "Email"), (kinds.SMS, "SMS")])
    address = models.CharField(max_length=254, help_text="The email address or phone number it went to.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True, help_text="The provider's id for the message (SMS).")
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "channel"], name="delivery_status")]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]


class Preference(models.Model):
    """A user's choice for one kind. Without a row, the kind's defaults apply."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=50)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)
    timing = models.CharField(
        max_length=10, choices=[(kinds.IMMEDIATE, "Immediately"), (kinds.DIGEST, "Daily digest")], default=kinds.IMMEDIATE
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")]


class DigestSetting(models.Model):
    """When a user's daily digest goes out, in the time zone of their location."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_setting")
    send_at = models.TimeField(default=datetime.time(7, 30))
