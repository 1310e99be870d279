"""Customers, everything said to and by them, the follow-ups owed to them and what
they thought of their purchase."""

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ifixit.phones import validate_phone


# Declared on Customer (Meta.permissions); checked by the data-rights pages (ifixit.privacy).
ERASE_PERMISSION = "crm.erase_customer"


class Tag(models.Model):
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person or business the group sells to. One record per customer across the
    group: a repeat buyer at another location is the same row, shared with it."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        BUSINESS = "business", "Business"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200, help_text="Full name, or the business's name.")
    contact_name = models.CharField(max_length=200, blank=True, help_text="Who to ask for at a business.")
    # Normalised by the services: emails lower-cased, phones in E.164. Not unique: a
    # couple may share an address; duplicates are offered, not refused (services).
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True, validators=[validate_phone])
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    notes = models.TextField(blank=True)

    # Consent to marketing, per channel, with when it was last given or withdrawn.
    # Service messages about the customer's own purchase need no consent.
    email_marketing = models.BooleanField("marketing by email", default=False)
    email_marketing_changed_at = models.DateTimeField(null=True, blank=True)
    sms_marketing = models.BooleanField("marketing by SMS", default=False)
    sms_marketing_changed_at = models.DateTimeField(null=True, blank=True)

    # Where they bought or were served: a user sees a customer of any of these.
    locations = models.ManyToManyField("locations.Location", related_name="customers")
    # Set when an admin merged this record into another; the survivor holds everything.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records")

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the customer's personal data was erased at their request (UK GDPR art. 17,
    # privacy.data_rights): the row stays, anonymised, because sales and finance point at it.
    erased_at = models.DateTimeField(null=True, blank=True)
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[tags])

    class Meta:
        ordering = ["name", "id"]
        permissions = [
            ("merge_customer", "Can merge two customer records"),
            ("erase_customer", "Can erase a customer's personal data"),
        ]
        indexes = [models.Index(Lower("name"), name="customer_name_ci")]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="customer_has_a_name"),
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="customer_not_merged_into_itself"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Communication(models.Model):
    """One entry of a customer's communication log: an email or SMS sent from the
    system (with its delivery), an inbound SMS, or a call, visit or note logged by hand."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        CALL = "call", "Call"
        VISIT = "visit", "Visit"
        NOTE = "note", "Note"

    class Direction(models.TextChoices):
        OUTBOUND = "out", "To the customer"
        INBOUND = "in", "From the customer"
        INTERNAL = "internal", "Internal"

    class Purpose(models.TextChoices):
        SERVICE = "service", "About their purchase"
        MARKETING = "marketing", "Marketing"

    class Status(models.TextChoices):
        LOGGED = "logged", "Logged"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"
        RECEIVED = "received", "Received"

    SENT_BY_SYSTEM = (Channel.EMAIL, Channel.SMS)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="communications")
    location = models.ForeignKey("locations.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    car = models.ForeignKey("inventory.Car", null=True, blank=True, on_delete=models.SET_NULL, related_name="communications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.SERVICE)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Who sent or logged it."
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    # Delivery, for what the system sends (same claim-and-retry rules as notifications).
    address = models.CharField(max_length=254, blank=True, help_text="The email address or phone number used.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LOGGED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="communication_timeline"),
            models.Index(fields=["status", "channel"], name="communication_status"),
        ]
        constraints = [
            # The provider retries a webhook it thinks failed: one log entry per message and record.
            models.UniqueConstraint(
                fields=["customer", "provider_id"], condition=Q(direction="in") & ~Q(provider_id=""), name="communication_inbound_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display().lower()}: {self.subject or self.body[:40]}"


class FollowUpRule(models.Model):
    """A location's standing instruction, e.g. "call 3 days after a sale": every sale
    there gets the follow-up by itself."""

    class AssignTo(models.TextChoices):
        SELLER = "seller", "The salesperson who sold the car"
        MANAGER = "manager", "The location's manager"

    location = models.ForeignKey("locations.Location", on_delete=models.CASCADE, related_name="follow_up_rules")
    name = models.CharField(max_length=100, help_text="e.g. “Check-in call” or “Warranty renewal”.")
    months_after_sale = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(60)])
    days_after_sale = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(365)])
    note = models.TextField(blank=True, help_text="What the follow-up is for; copied onto each reminder.")
    assign_to = models.CharField(max_length=10, choices=AssignTo.choices, default=AssignTo.SELLER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location", "months_after_sale", "days_after_sale", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(months_after_sale__gt=0) | Q(days_after_sale__gt=0), name="follow_up_rule_after_the_sale"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def offset_label(self) -> str:
        parts = []
        if self.months_after_sale:
            parts.append(f"{self.months_after_sale} month{'s' if self.months_after_sale != 1 else ''}")
        if self.days_after_sale:
            parts.append(f"{self.days_after_sale} day{'s' if self.days_after_sale != 1 else ''}")
        return " and ".join(parts) + " after a sale"


class FollowUp(models.Model):
    """A reminder to get back to a customer, by a date, for someone."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        SPOKE = "spoke", "Spoke to them"
        MESSAGE = "message", "Left a message"
        NO_ANSWER = "no_answer", "No answer"
        BOOKED = "booked", "Booked a visit or sale"
        NOT_INTERESTED = "not_interested", "Not interested"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    location = models.ForeignKey("locations.Location", on_delete=models.PROTECT, related_name="+")
    car = models.ForeignKey("inventory.Car", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups")
    due_at = models.DateTimeField()
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The due time the assignee was last reminded of: snoozing moves due_at, so the
    # reminder fires again at the new time, and never twice for the same time.
    reminded_for = models.DateTimeField(null=True, blank=True)
    rule = models.ForeignKey(FollowUpRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    sale = models.ForeignKey("inventory.Sale", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="follow_up_due")]
        constraints = [
            # A rule makes one follow-up per sale, however often it is applied.
            models.UniqueConstraint(fields=["rule", "sale"], condition=Q(rule__isnull=False), name="follow_up_once_per_rule_and_sale"),
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False) | ~Q(status="done"), name="follow_up_done_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow up {self.customer} by {self.due_at:%Y-%m-%d}"

    def is_overdue(self, now=None) -> bool:
        return self.status == self.Status.OPEN and self.due_at < (now or timezone.now())


class Survey(models.Model):
    """The satisfaction survey after a sale: sent once, by a link that works once."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        NO_CONTACT = "no_contact", "Not sent: no email or mobile"
        CANCELLED = "cancelled", "Cancelled"

    sale = models.OneToOneField("inventory.Sale", on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    location = models.ForeignKey("locations.Location", on_delete=models.PROTECT, related_name="+")
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    send_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    # The link's token is derived from SECRET_KEY and this random nonce (so a resend
    # carries the same link); only the token's SHA-256 is kept to look it up.
    token_nonce = models.CharField(max_length=32, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    invitation = models.ForeignKey(Communication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    recommend_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [
            models.Index(fields=["status", "send_on"], name="survey_due"),
            models.Index(fields=["location", "answered_at"], name="survey_answers"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(recommend_score__lte=10), name="survey_recommend_0_10"),
            models.CheckConstraint(condition=Q(satisfaction__gte=1, satisfaction__lte=5) | Q(satisfaction__isnull=True), name="survey_satisfaction_1_5"),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(recommend_score__isnull=False, satisfaction__isnull=False, answered_at__isnull=False),
                name="survey_answered_has_scores",
            ),
        ]

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def nps_group(self) -> str:
        if self.recommend_score is None:
            return ""
        if self.recommend_score >= 9:
            return "promoter"
        return "passive" if self.recommend_score >= 7 else "detractor"
