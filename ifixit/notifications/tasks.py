"""Celery tasks of the notification centre: they load and call a service, and retry
transient failures with capped exponential backoff and full jitter. A failure the provider
will never get over is recorded as failed and not retried; a fault of ours is a dead letter
(ifixit.notifications.services._let_go)."""

import random

from celery import shared_task

from ifixit.notifications import services
from ifixit.notifications.errors import DeliveryError

MAX_RETRIES = 6  # about an hour and a half of trying, in all, before a delivery fails for good
BACKOFF_BASE = 30  # seconds
BACKOFF_CAP = 30 * 60


def backoff(retries: int) -> float:
    """Full jitter (AWS architecture blog): spread retries so a recovering provider is
    not hit by every waiting message at the same instant."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**retries))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def deliver(self, delivery_id: int) -> None:
    """Queued through the outbox by notify, and by the sweep below. Safe twice: the send is
    claimed by a conditional update from queued or retrying to sending, so a second run (or a
    twin at once) finds it claimed or sent and sends nothing."""
    try:
        services.delivery_send(delivery_id=delivery_id, final_attempt=self.request.retries >= self.max_retries)
    except DeliveryError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def send_digest(self, digest_id: int) -> None:
    """Queued by the two sweeps below. Safe twice: the digest is claimed by a conditional
    update from queued or retrying to sending, as a delivery is, so it goes out once."""
    try:
        services.digest_send(digest_id=digest_id, final_attempt=self.request.retries >= self.max_retries)
    except DeliveryError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))


@shared_task
def send_due_digests() -> int:
    """Queued by beat every few minutes: opens the digests that are due and queues them. Safe
    twice: a digest is opened by inserting its row, unique per user, channel and local day, so
    a second run opens none."""
    digest_ids = services.digests_claim_due()
    for digest_id in digest_ids:
        # Not through the outbox: a digest whose publish is lost stays queued, and the sweep
        # below queues it again five minutes on.
        send_digest.delay(digest_id)
    return len(digest_ids)


@shared_task
def requeue_stuck_deliveries() -> int:
    """Queued by beat every few minutes: nothing made is ever left unsent because the
    broker was down at the time or a worker died mid-send. Safe twice: it only queues deliver
    and send_digest, whose claims let one run send."""
    # Not through the outbox: this sweep re-finds what is stuck, and a publish lost here is
    # found again on its next round.
    delivery_ids, digest_ids = services.deliveries_requeue_stuck()
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    for digest_id in digest_ids:
        send_digest.delay(digest_id)
    return len(delivery_ids) + len(digest_ids)
