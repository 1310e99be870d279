"""Job health: probes that make one round trip through the job system.

A probe is queued by a web node (or by beat), travels through Redis, and is run by
a worker, which records when and where. They answer the operator's questions
"do queued jobs run?", "how long do they wait?" and "which workers take work?".
"""

import uuid

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone


class JobProbe(models.Model):
    class Origin(models.TextChoices):
        BEAT = "beat", "Beat heartbeat"
        MANUAL = "manual", "Sent by an operator"
        HEALTH = "health", "Health check (/healthz?processes=1)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    queued_at = models.DateTimeField(default=timezone.now)
    queued_from = models.CharField(max_length=200, help_text="Host that queued it.")
    # How long the worker holds the probe, to check that long jobs survive a worker
    # dying mid-job (acks_late redelivers them).
    hold_seconds = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(300)])
    runs = models.PositiveIntegerField(default=0, help_text="Deliveries that started it; more than one means a redelivery.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="Worker that last started it, then the one that finished it.")

    class Meta:
        ordering = ["-queued_at"]
        indexes = [models.Index(fields=["origin", "-queued_at"], name="jobprobe_origin_time")]

    @property
    def wait_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.started_at - self.queued_at).total_seconds()
