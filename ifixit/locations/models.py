"""The group's sites (yards, showrooms, workshops): what every other app hangs its rows on,
and so the bottom of the stack beside accounts (docs/architecture.md)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    code = models.CharField(max_length=10, unique=True, help_text="Short code shown in lists, e.g. LDN.")
    address = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    is_active = models.BooleanField(default=True)
    # Repair-time alerts: a car in fixing this many days is at risk, then overdue.
    repair_at_risk_days = models.PositiveSmallIntegerField(
        default=21, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="Days in fixing before a car is at risk."
    )
    repair_overdue_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="Days in fixing before a car is overdue."
    )
    daily_holding_cost = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("12.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000"))],
        help_text="What a car in stock costs per day (finance, insurance, space, depreciation).",
    )
    # Customer care (crm): how long after a sale its satisfaction survey goes out.
    survey_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=7,
        validators=[MaxValueValidator(90)],
        help_text="Days after a sale that the customer is sent the satisfaction survey; empty: no surveys.",
    )

    class Meta:
        db_table = "inventory_location"  # its table since it lived in inventory; moved without a copy
        ordering = ["name"]
        permissions = [("change_repair_thresholds", "Can set a location's repair-time thresholds and holding cost")]
        constraints = [
            models.CheckConstraint(
                condition=Q(repair_at_risk_days__lt=F("repair_overdue_days")), name="location_at_risk_before_overdue"
            ),
            models.CheckConstraint(condition=Q(daily_holding_cost__gte=0), name="location_holding_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.repair_at_risk_days and self.repair_overdue_days and self.repair_at_risk_days >= self.repair_overdue_days:
            raise ValidationError(
                {"repair_at_risk_days": "A car must be at risk before it is overdue: make this fewer days than overdue."}
            )
