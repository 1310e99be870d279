"""Job health: probes that make one round trip through the job system.

A probe is queued by a web node (or by beat), travels through Redis, and is run by
a worker, which records when and where. They answer the operator's questions
"do queued jobs run?", "how long do they wait?" and "which workers take work?".

An `OpsAlert` is one episode of an operations problem the admins were alerted to
(ifixit.dashboard.ops_alerts).
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


class OpsAlert(models.Model):
    """One episode of an operations problem (ifixit.dashboard.ops_alerts): opened when the
    condition starts, which alerts the admins once; closed with the all-clear when it ends. Kept
    in the database so that a restarted beat or worker knows what it already told them."""

    class Kind(models.TextChoices):
        FEED_DOWN = "feed_down", "Feed down"
        BACKLOG = "backlog", "Work waiting"
        TASK_FAILING = "task_failing", "Task failing repeatedly"
        SCHEDULE_MISSED = "schedule_missed", "Schedule missed its run"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200, help_text='What is failing: "source:3", "outbox", "queue:celery", a task or schedule name.')
    title = models.CharField(max_length=200)
    details = models.CharField(max_length=500, blank=True)
    link = models.CharField(max_length=300, blank=True, help_text="The page that shows the problem.")
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # Two checks running at once (beat queued it twice, a redelivery) cannot both open
            # an episode, so the admins hear of it once.
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=models.Q(closed_at__isnull=True), name="opsalert_one_open_episode"
            ),
        ]
        indexes = [models.Index(fields=["-opened_at"], condition=models.Q(closed_at__isnull=True), name="opsalert_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} ({'open' if self.closed_at is None else 'closed'})"
