"""The webhook adapter: signed pushes are kept once and stored in order; bad ones are
counted and never stored; a missing event is fetched from the platform's replay."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ifixit.auctions import webhooks
from ifixit.auctions.models import AuctionSource, FeedHealth, Lot, PriceTick, WebhookEvent

SECRET = "whsec-test-only"
AT = "2026-11-24T10:00:00Z"


def lot(seq):
    return {"type": "lot", "seq": seq, "at": AT, "lot": {"id": "W1", "make": "Kia", "model": "Ceed", "stage": "live"}}


def bid(seq, amount):
    return {"type": "bid", "seq": seq, "at": AT, "lot_id": "W1", "amount": amount, "bid_count": seq - 1}


@pytest.fixture
def source(db):
    source = AuctionSource.objects.create(name="Pushy", kind="webhook", url="http://127.0.0.1:1", webhook_secret=SECRET)
    FeedHealth.objects.create(source=source)
    return source


def push(client, source, event, *, secret=SECRET, timestamp=None, raw=None):
    body = raw if raw is not None else json.dumps(event).encode()
    ts = str(int(timestamp if timestamp is not None else time.time()))
    return client.post(
        reverse("auction_webhook", args=[source.pk]), data=body, content_type="application/json",
        HTTP_X_IFIXIT_TIMESTAMP=ts, HTTP_X_IFIXIT_SIGNATURE=webhooks.signature(secret, ts, body),
    )


def test_signed_events_are_kept_once_and_stored_in_order(client, source):
    for event in (lot(1), bid(3, 1050), bid(2, 1000), bid(3, 1050)):  # out of order, and a replay
        assert push(client, source, event).status_code == 202
    assert WebhookEvent.objects.count() == 3
    assert webhooks.webhook_inbox_process(source_id=source.pk) == 3
    assert list(PriceTick.objects.values_list("seq", "amount")) == [(2, 1000), (3, 1050)]
    assert Lot.objects.get().current_bid == 1050 and not WebhookEvent.objects.exists()
    assert FeedHealth.objects.get(source=source).last_seq == 3


@pytest.mark.parametrize(
    "kwargs, status, reason",
    [
        ({"secret": "wrong"}, 401, "bad signature"),
        ({"timestamp": time.time() - 3600}, 401, "too old"),
        ({"raw": b"{not json"}, 400, "malformed"),
        ({"raw": b"x" * 70000}, 413, "over the limit"),
    ],
)
def test_bad_pushes_are_refused_counted_and_never_stored(client, source, kwargs, status, reason):
    response = push(client, source, bid(2, 1000), **kwargs)
    assert response.status_code == status and reason in response.json()["detail"]
    assert not WebhookEvent.objects.exists() and not PriceTick.objects.exists()
    health = FeedHealth.objects.get(source=source)
    assert health.errors == 1 and reason in health.last_error


def test_a_missing_event_is_fetched_from_the_platform_after_a_while(client, source):
    replayed = [bid(2, 1000)]

    class Platform(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps({"events": replayed, "last_seq": 2}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source.url = f"http://127.0.0.1:{server.server_address[1]}"
    source.save()
    try:
        push(client, source, lot(1))
        push(client, source, bid(3, 1050))  # 2 never comes
        assert webhooks.webhook_inbox_process(source_id=source.pk) == 1  # only 1: 3 waits for 2
        with time_machine.travel(timezone.now() + timedelta(seconds=webhooks.GAP_PATIENCE_SECONDS + 1)):
            assert webhooks.webhook_inbox_process(source_id=source.pk) == 2
    finally:
        server.shutdown()
    assert list(PriceTick.objects.values_list("seq", "amount")) == [(2, 1000), (3, 1050)]
    assert FeedHealth.objects.get(source=source).gaps == 1


def test_only_webhook_sources_take_pushes(client, db):
    stream = AuctionSource.objects.create(name="Stream", kind="websocket", url="http://127.0.0.1:1", webhook_secret=SECRET)
    assert push(client, stream, bid(2, 1)).status_code == 404
    assert client.get(reverse("auction_webhook", args=[stream.pk])).status_code == 405
