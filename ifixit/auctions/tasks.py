"""Celery tasks of the auction side: they only call a service."""

from celery import shared_task
from django.db import OperationalError

from ifixit.auctions import alerts, webhooks
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


# Matching and reminders are idempotent (one alert per user, lot and reason), so a task
# retried after a database hiccup, or run twice by the broker, alerts nobody twice.
@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def match_lot_changes(changes: list[list]) -> int:
    """Queued by the feed after a stored batch: [lot id, old bid or None, new bid] per lot."""
    return alerts.lot_changes_alert(changes=[alerts.LotChange(*change) for change in changes])


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def send_watch_reminders() -> int:
    """Queued by beat every minute."""
    return alerts.watch_reminders_send()
