"""The webhook adapter: platforms that push events to us. The receiver checks the
signature and the timestamp, keeps the event in an inbox and answers at once; a task
stores the inbox in sequence order, fetching from the platform whatever never arrived."""

import hashlib
import hmac
import json
import logging
import time

import httpx
from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ifixit.auctions import services
from ifixit.auctions.feeds import messages
from ifixit.auctions.models import AuctionSource, FeedHealth, WebhookEvent

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 300
GAP_PATIENCE_SECONDS = 10  # a missing seq may still be on its way; after this, ask the platform


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _count_error(source: AuctionSource, reason: str) -> None:
    FeedHealth.objects.filter(source=source).update(errors=F("errors") + 1, last_error=reason[:500], updated_at=timezone.now())


def webhook_receive(*, source: AuctionSource, body: bytes, timestamp: str, signature_header: str) -> bool:
    """Check and keep one pushed event (False for a heartbeat, which carries none).
    Raises Refused (counted on the source's health, never stored) for anything else."""
    try:
        if not source.webhook_secret:
            raise Refused(403, "this source takes no webhooks (no secret set)")
        if len(body) > messages.MAX_MESSAGE_BYTES:
            raise Refused(413, f"body of {len(body)} bytes is over the limit")
        try:
            sent_at = int(timestamp)
        except (TypeError, ValueError):
            raise Refused(401, "missing or bad X-Ifixit-Timestamp") from None
        if abs(time.time() - sent_at) > MAX_AGE_SECONDS:
            raise Refused(401, "timestamp too old or in the future (replayed request?)")
        given = (signature_header or "").encode("utf-8", errors="replace")
        if not hmac.compare_digest(signature(source.webhook_secret, timestamp, body).encode(), given):
            raise Refused(401, "bad signature")
        try:
            event = messages.parse(body)
        except messages.MalformedMessage as exc:
            raise Refused(400, f"malformed webhook event: {exc}") from None
    except Refused as refused:
        _count_error(source, refused.reason)
        raise
    if event["type"] == "heartbeat":
        return False
    # A replay of a kept event hits the unique (source, seq) and is ignored.
    WebhookEvent.objects.bulk_create([WebhookEvent(source=source, seq=event["seq"], body=json.loads(body))], ignore_conflicts=True)
    FeedHealth.objects.filter(source=source).update(
        messages=F("messages") + 1, last_message_at=timezone.now(), state=FeedHealth.State.LIVE, updated_at=timezone.now()
    )
    return True


def webhook_inbox_process(*, source_id: int) -> int:
    """Store the inbox's events that follow the last stored seq, in order (one worker at a
    time per source: the FeedHealth row is locked). Events missing for longer than the
    patience are fetched from the platform outside the transaction, put in the inbox as if
    pushed, and the inbox is processed again. Returns how many were stored."""
    stored = 0
    for _ in range(10):  # each round closes at most one gap
        count, missing = _inbox_store_contiguous(source_id)
        stored += count
        if missing is None:
            return stored
        source = AuctionSource.objects.get(pk=source_id)
        after, until = missing
        fetched = _replay(source, after=after, until=until)  # HTTP: never inside a transaction
        WebhookEvent.objects.bulk_create(
            [WebhookEvent(source=source, seq=e["seq"], body=_as_json(e)) for e in fetched], ignore_conflicts=True
        )
        FeedHealth.objects.filter(source_id=source_id).update(gaps=F("gaps") + 1)
    return stored


def _as_json(event: dict) -> dict:
    return json.loads(json.dumps(event, default=lambda value: value.isoformat().replace("+00:00", "Z")))


def _inbox_store_contiguous(source_id: int) -> tuple[int, tuple[int, int] | None]:
    from ifixit.auctions.feeds.consumer import SourceConsumer

    missing = None
    with transaction.atomic():
        health = FeedHealth.objects.select_for_update().select_related("source").get(source_id=source_id)
        source = health.source
        inbox = list(WebhookEvent.objects.filter(source_id=source_id, seq__gt=health.last_seq).order_by("seq")[:5000])
        events, expected = [], health.last_seq + 1
        for row in inbox:
            if row.seq != expected:
                waited = (timezone.now() - row.received_at).total_seconds()
                if waited >= GAP_PATIENCE_SECONDS:
                    missing = (expected - 1, row.seq - 1)
                break  # store what is contiguous; the gap is fetched (or waited for) first
            events.append(messages.check(dict(row.body)))
            expected += 1
        updates = services.feed_events_store(source_id=source_id, events=events) if events else []
        WebhookEvent.objects.filter(source_id=source_id, seq__lt=expected).delete()
    if updates:
        async_to_sync(SourceConsumer(source).publish)(updates)
    return len(events), missing


def _replay(source: AuctionSource, *, after: int, until: int) -> list[dict]:
    events = []
    headers = {"Authorization": f"Bearer {source.api_key}"} if source.api_key else {}
    while after < until:
        response = httpx.get(f"{source.url.rstrip('/')}/events", params={"after": after, "limit": 1000}, headers=headers, timeout=10)
        response.raise_for_status()
        page = [e for e in response.json().get("events", []) if isinstance(e, dict) and isinstance(e.get("seq"), int) and e["seq"] <= until]
        if not page:
            raise ConnectionError(f"{source.name} could not replay events after {after}")
        for raw in page:
            events.append(messages.check(raw))
            after = raw["seq"]
    return events
