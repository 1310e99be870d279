"""Celery tasks of the auction side: they only call a service. Their errors are sorted as every
task's are (ifixit.jobs.recording): the database, Redis or a platform not answering is retried
with backoff, anything else is a dead letter."""

from celery import shared_task

from ifixit.auctions import alerts, webhooks
from ifixit.auctions.models import WebhookEvent


@shared_task
def process_webhook_inbox(source_id: int) -> int:
    """Queued through the outbox when a webhook delivers events, and by the sweep below. Safe
    twice: it stores only the inbox's events after the source's last stored seq, under a lock
    on the source's FeedHealth row, and deletes them in the same transaction; a second run
    finds nothing after that seq (and a bid stored twice would meet PriceTick's unique source
    and seq)."""
    return webhooks.webhook_inbox_process(source_id=source_id)


@shared_task
def sweep_webhook_inboxes() -> int:
    """Queued by beat every minute: stores what waited for a missing event, fetching it. Safe
    twice: it only queues the inbox processing above, which is safe twice."""
    source_ids = set(WebhookEvent.objects.values_list("source_id", flat=True).distinct())
    for source_id in source_ids:
        # Not through the outbox: the events stay in the inbox until stored, so a publish lost
        # here is found again by the next minute's sweep.
        process_webhook_inbox.delay(source_id)
    return len(source_ids)


@shared_task
def match_lot_changes(changes: list[list]) -> int:
    """Queued by the feed after a stored batch: [lot id, old bid or None, new bid] per lot.
    Safe twice, even at once on two workers: each user is alerted at most once per lot and
    reason (LotAlert's unique constraint, the notification's dedupe key, written together)."""
    return alerts.lot_changes_alert(changes=[alerts.LotChange(*change) for change in changes])


@shared_task
def send_watch_reminders() -> int:
    """Queued by beat every minute. Safe twice: a watcher is reminded once per lot and reason
    (the LotAlert row, unique, with its notification), whichever run gets there first."""
    return alerts.watch_reminders_send()
