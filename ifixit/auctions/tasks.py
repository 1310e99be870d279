"""Celery tasks of the auction side: they only call a service."""

from celery import shared_task

from ifixit.auctions import webhooks
from ifixit.auctions.models import WebhookEvent


@shared_task(acks_late=True)
def process_webhook_inbox(source_id: int) -> int:
    return webhooks.webhook_inbox_process(source_id=source_id)


@shared_task
def sweep_webhook_inboxes() -> int:
    """Queued by beat every minute: stores what waited for a missing event, fetching it."""
    source_ids = set(WebhookEvent.objects.values_list("source_id", flat=True).distinct())
    for source_id in source_ids:
        process_webhook_inbox.delay(source_id)
    return len(source_ids)
