"""Report schedules and runs.

A schedule says which report, with which parameters, goes to whom, in which format,
and when (daily, weekly on a day, monthly on a day or the last day, at a time in a time
zone). Beat queues one Run per due slot: the (schedule, scheduled_for) pair is unique,
so a duplicate beat cannot queue a slot twice. A run is claimed with a conditional
update before it works and records when its email went, so a retried task or a
redelivered one after a worker died never sends the same report twice.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Format(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PDF = "pdf", "PDF"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a time zone (use a name such as Europe/London).", params={"value": value}
        )


class Schedule(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_schedules")
    name = models.CharField(max_length=120)
    report_key = models.CharField(max_length=40)
    # catalogue.Params.to_json(): a relative period ("last_week") or fixed dates, locations, phase, make.
    params = models.JSONField(default=dict)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.XLSX)

    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    # 1-31 (a 31st runs on the last day of shorter months), or null with on_last_day.
    day_of_month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    on_last_day = models.BooleanField(default=False)
    time_of_day = models.TimeField()
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])

    recipient_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="report_subscriptions")
    # Outside addresses, one per line, normalised to lower case.
    recipient_emails = models.TextField(blank=True)

    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)  # UTC; null while paused
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "next_run_at"], name="report_schedule_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(frequency="weekly") | Q(weekday__isnull=False), name="report_schedule_weekly_has_a_day"
            ),
            models.CheckConstraint(
                condition=~Q(frequency="monthly") | Q(day_of_month__isnull=False) | Q(on_last_day=True),
                name="report_schedule_monthly_has_a_day",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def emails(self) -> list[str]:
        return [line.strip() for line in self.recipient_emails.splitlines() if line.strip()]

    @property
    def cadence(self) -> str:
        """'Weekly on Monday at 07:00 (Europe/London)'."""
        at = f"at {self.time_of_day:%H:%M} ({self.time_zone})"
        if self.frequency == self.Frequency.DAILY:
            return f"Daily {at}"
        if self.frequency == self.Frequency.WEEKLY:
            return f"Weekly on {self.get_weekday_display()} {at}"
        day = "the last day" if self.on_last_day else f"day {self.day_of_month}"
        return f"Monthly on {day} {at}"


class Run(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Scheduled"
        SEND_NOW = "send_now", "Sent now"
        ON_DEMAND = "on_demand", "Generated on demand"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Failed, will retry"
        READY = "ready", "Ready"  # on demand: the file is there to download
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    DONE = (Status.READY, Status.SENT, Status.FAILED)

    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # The slot this run is for (scheduled runs): one run per schedule and slot.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    report_key = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    format = models.CharField(max_length=4, choices=Format.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, for the on-demand page
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # a live worker keeps its claim fresh
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)  # the addresses it went to
    # The day the report is for (its "today"), fixed at the first attempt.
    report_date = models.DateField(null=True, blank=True)
    # Set just before the email is handed to the mail server, and emailed_at once it took it.
    sending_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)  # when a failed attempt is due to be retried
    sent_as_link = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_money_reports", "Can run reports of prices, costs and profit")]
        indexes = [
            models.Index(fields=["schedule", "-created_at"], name="report_run_schedule"),
            models.Index(fields=["status", "claimed_at"], name="report_run_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "scheduled_for"],
                condition=Q(scheduled_for__isnull=False),
                name="report_run_once_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"Report run #{self.pk} ({self.report_key}, {self.get_status_display()})"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE
