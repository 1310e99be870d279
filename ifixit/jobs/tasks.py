"""Beat's housekeeping of the job system."""

from celery import shared_task

from ifixit.jobs import history, outbox, selectors
from ifixit.jobs.models import QueueSample


@shared_task
def prune_job_history() -> list[int]:
    """Queued by beat once a day. Safe twice: the second finds nothing older to delete."""
    return list(history.history_prune())


@shared_task
def sample_queues() -> int | None:
    """Queued by beat every minute: the queue's depth and the outbox's backlog, for the chart.
    Safe twice: a second run adds one more point to the chart, and counts nothing."""
    backlog, _ = outbox.backlog()
    sample = QueueSample.objects.create(queued=selectors.queue_length(), outbox_backlog=backlog)
    return sample.queued
