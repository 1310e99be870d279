"""Lenders and the finance applications made to them for a customer and a car.

An application moves through a fixed workflow (TRANSITIONS); every step is an
ApplicationEvent with its note, time and author, so the application's page shows
its whole history. At most one application per car ends funded: a database
constraint, not only a check in the service.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ifixit.inventory.models import MAX_PRICE, MIN_AMOUNT_FINANCED, money_field
from ifixit.phones import validate_phone

MIN_TERM_MONTHS = 6
MAX_TERM_MONTHS = 84  # seven years: no UK lender finances a used car for longer
MAX_APR = Decimal("49.9")


class Lender(models.Model):
    """A bank or finance house the group sends finance applications to."""

    class Kind(models.TextChoices):
        BANK = "bank", "Bank"
        FINANCE_HOUSE = "finance_house", "Finance house"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.FINANCE_HOUSE)
    contact_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # How long the lender usually takes to answer: an application waiting longer in a
    # state that waits on the lender is flagged.
    typical_decision_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(typical_decision_hours__gte=1) & Q(typical_decision_hours__lte=720),
                name="lender_decision_time_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def typical_decision_time(self) -> timedelta:
        return timedelta(hours=self.typical_decision_hours)


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    REFERRED = "referred", "Referred"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CONTRACT_SIGNED = "contract_signed", "Contract signed"
    FUNDED = "funded", "Funded"


# Every move the workflow allows; anything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.SUBMITTED, Status.WITHDRAWN),
    Status.SUBMITTED: (Status.REFERRED, Status.APPROVED, Status.DECLINED, Status.WITHDRAWN),
    # The lender asked for more (payslips, a bigger deposit): answered by resubmitting,
    # or the lender decides on what it has.
    Status.REFERRED: (Status.SUBMITTED, Status.APPROVED, Status.DECLINED, Status.WITHDRAWN),
    Status.APPROVED: (Status.CONTRACT_SIGNED, Status.WITHDRAWN),
    Status.CONTRACT_SIGNED: (Status.FUNDED, Status.WITHDRAWN),
    Status.DECLINED: (),
    Status.WITHDRAWN: (),
    Status.FUNDED: (),
}
CLOSED = (Status.DECLINED, Status.WITHDRAWN, Status.FUNDED)
OPEN = tuple(s for s in Status if s not in CLOSED)
# The states in which the lender owes the next step (a decision, then the payout), so
# time counts against its typical decision time. Referred and approved wait on the
# dealer and the customer: the page shows how long, without blaming the lender.
WITH_LENDER = (Status.SUBMITTED, Status.CONTRACT_SIGNED)
# Recorded from the lender's answer: the salesperson hears of each.
LENDER_DECISIONS = (Status.REFERRED, Status.APPROVED, Status.DECLINED)
# The states that end an application without funding; the car's fate is the user's call.
ENDINGS = (Status.DECLINED, Status.WITHDRAWN)


class FinanceApplication(models.Model):
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="finance_applications")
    car = models.ForeignKey("inventory.Car", on_delete=models.PROTECT, related_name="finance_applications")
    lender = models.ForeignKey(Lender, on_delete=models.PROTECT, related_name="applications")
    # Where the deal is done: the car's location when the application was made.
    location = models.ForeignKey("locations.Location", on_delete=models.PROTECT, related_name="finance_applications")
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="finance_applications"
    )
    lender_reference = models.CharField(max_length=60, blank=True)

    cash_price = money_field()
    deposit = money_field(default=Decimal("0"))
    part_exchange = money_field(default=Decimal("0"))
    amount_financed = money_field()
    term_months = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_TERM_MONTHS), MaxValueValidator(MAX_TERM_MONTHS)]
    )
    apr = models.DecimalField(
        "APR (%)", max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_APR)]
    )
    # Computed from the figures above by the service (calculator.monthly_payment).
    monthly_payment = money_field()

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # When the current state has waited as long as the lender usually takes; null in
    # states that do not wait on the lender.
    waiting_due_at = models.DateTimeField(null=True, blank=True)
    # Set when the salesperson was told it waits too long; cleared by the next step.
    waiting_flagged_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # first submission
    decided_at = models.DateTimeField(null=True, blank=True)  # first approval or decline
    decision = models.CharField(
        max_length=10, blank=True, choices=[(Status.APPROVED, "Approved"), (Status.DECLINED, "Declined")]
    )
    funded_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "waiting_due_at"], name="finance_app_waiting"),
            models.Index(fields=["location", "status"], name="finance_app_location_status"),
            models.Index(fields=["lender", "decided_at"], name="finance_app_lender_decided"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["car"], condition=Q(status="funded"), name="finance_one_funded_application_per_car"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="finance_application_status_valid"),
            models.CheckConstraint(
                condition=Q(cash_price=F("deposit") + F("part_exchange") + F("amount_financed")),
                name="finance_application_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=MIN_TERM_MONTHS) & Q(term_months__lte=MAX_TERM_MONTHS),
                name="finance_application_term_sane",
            ),
            models.CheckConstraint(condition=Q(apr__gte=0) & Q(apr__lte=MAX_APR), name="finance_application_apr_sane"),
            models.CheckConstraint(
                condition=Q(amount_financed__gte=MIN_AMOUNT_FINANCED) & Q(amount_financed__lte=MAX_PRICE),
                name="finance_application_amount_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"Finance application #{self.pk} ({self.lender}, {self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def allowed_next(self) -> list[Status]:
        return [Status(s) for s in TRANSITIONS[self.status]]

    def waiting(self, now=None) -> timedelta:
        return (now or timezone.now()) - self.status_changed_at

    def waits_too_long(self, now=None) -> bool:
        return self.waiting_due_at is not None and self.waiting_due_at < (now or timezone.now())


class ApplicationEvent(models.Model):
    """One step of an application's workflow, with its note: its history."""

    application = models.ForeignKey(FinanceApplication, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
