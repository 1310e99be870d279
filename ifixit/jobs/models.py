"""Background jobs as an operator sees them: what was asked for (the outbox), and what ran.

`OutboxMessage` is the intent to run a task, written in the same transaction as the change
that wants it, so a process dying between the commit and the publish to the broker loses
nothing: the relay publishes what is left. Its id is the Celery task id, so a message the
relay published twice (it died after publishing, before recording it) is recognised by the
worker and run once.

`JobRun` is one run of a task (one attempt: a retry is another row with the same task id), with
what it concerned, when it was queued, started and finished, where, and how it ended. A run
that failed for good is a dead letter until someone retries or discards it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="Also the Celery task id.")
    task = models.CharField(max_length=200, help_text="The Celery task's registered name.")
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    about = models.CharField(max_length=120, blank=True, help_text='What the job concerns, as "app.model:pk".')
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now, help_text="Not to run before (a countdown).")
    published_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The relay's question, asked every second: what is still to publish, oldest first.
            models.Index(fields=["created_at"], condition=models.Q(published_at__isnull=True), name="outbox_unpublished"),
            models.Index(fields=["published_at"], name="outbox_published_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task} ({self.about or 'no subject'})"


class JobRun(models.Model):
    class State(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will retry"
        DEAD = "dead", "Failed for good"
        SKIPPED = "skipped", "Skipped (already ran)"

    class Resolution(models.TextChoices):
        RETRIED = "retried", "Retried"
        DISCARDED = "discarded", "Discarded"

    task_id = models.CharField(max_length=64, db_index=True)
    task = models.CharField(max_length=200)
    about = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    attempt = models.PositiveSmallIntegerField(default=1, help_text="1 for the first run, 2 for the first retry...")
    # Frequent tasks record one success in `weight` (see ifixit.jobs.recording): counts are sums.
    weight = models.PositiveSmallIntegerField(default=1)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(db_index=True)
    runtime_ms = models.PositiveIntegerField()
    worker = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True, help_text="The exception, secrets and personal data removed.")
    traceback = models.TextField(blank=True)
    # Only a dead letter keeps its arguments, to be run again; pages show them redacted.
    args = models.JSONField(null=True, blank=True)
    kwargs = models.JSONField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution_note = models.CharField(max_length=500, blank=True)
    retried_as = models.UUIDField(null=True, blank=True, help_text="The task id of the run it was retried as.")

    class Meta:
        ordering = ["-finished_at"]
        indexes = [
            models.Index(fields=["task", "-finished_at"], name="jobrun_task_time"),
            models.Index(fields=["-finished_at"], condition=models.Q(state="dead", resolution=""), name="jobrun_dead_letters"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolution="") | models.Q(state="dead"), name="jobrun_only_dead_letters_resolved"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.task_id} #{self.attempt}: {self.state}"

    @property
    def is_dead_letter(self) -> bool:
        return self.state == self.State.DEAD and not self.resolution


class QueueSample(models.Model):
    """The queue's depth and the outbox's backlog, taken every minute by beat: the operator's
    "is work piling up, since when?"."""

    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    queued = models.PositiveIntegerField(null=True, help_text="Messages waiting in the broker; empty if it did not answer.")
    outbox_backlog = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-taken_at"]
