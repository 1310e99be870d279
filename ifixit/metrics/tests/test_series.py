"""The series /metrics exposes after the system did something: HTTP requests by view name with
their latency and queries, cache hits and misses, report runs, the feed's messages, gaps and
lag, and open WebSocket connections."""

import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ifixit.auctions.feeds.consumer import SourceConsumer
from ifixit.auctions.models import AuctionSource, FeedHealth
from ifixit.metrics.tests.scraping import scrape
from ifixit.notifications.consumers import NotificationsConsumer
from ifixit.reports import services as reports
from ifixit.reports.models import Run
from ifixit.reports.tests.builders import schedule_of
from ifixit.testing.factories import CarFactory

pytestmark = pytest.mark.django_db


def test_requests_are_counted_by_view_name_never_by_path(metrics_delta, manager, north):
    client = Client()
    client.force_login(manager)
    cars = [CarFactory(location=north), CarFactory(location=north)]
    delta = metrics_delta()
    for car in cars:
        assert client.get(f"/cars/{car.pk}/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert delta("ifixit_http_requests_total", view="car_detail", method="GET", status="200") == 2
    assert delta("ifixit_http_request_duration_seconds_count", view="car_detail", method="GET") == 2
    assert delta("ifixit_http_request_duration_seconds_sum", view="car_detail", method="GET") > 0
    assert delta("ifixit_http_requests_total", view="unrouted", method="GET", status="404") == 1
    paths = [label for key in scrape() for label in key[1] if label[0] == "view" and "/" in label[1]]
    assert paths == []  # no raw path ever becomes a label


def test_an_unknown_method_is_one_series(metrics_delta):
    delta = metrics_delta()
    Client().generic("BREW", "/login/")
    assert delta("ifixit_http_requests_total", view="login", method="other", status="405") == 1


def test_queries_per_request_are_those_the_request_ran(metrics_delta, manager, north):
    client = Client()
    client.force_login(manager)
    car = CarFactory(location=north)
    delta = metrics_delta()
    with CaptureQueriesContext(connection) as ran:
        assert client.get(f"/cars/{car.pk}/").status_code == 200
    queries = len(ran)
    assert queries > 0
    assert delta("ifixit_http_request_queries_count", view="car_detail") == 1
    assert delta("ifixit_http_request_queries_sum", view="car_detail") == queries
    assert delta("ifixit_http_request_queries_bucket", view="car_detail", le="0.0") == 0


def test_cache_hits_and_misses_are_counted_per_cache(metrics_delta):
    key = f"metrics-test:{uuid.uuid4().hex}"
    delta = metrics_delta()
    assert cache.get(key) is None
    cache.set(key, "there", 60)
    assert cache.get(key) == "there"
    assert cache.get_many([key, key + ":absent"]) == {key: "there"}
    assert cache.get_or_set(key + ":made", "made", 60) == "made"  # a miss, written, then read back: a hit
    caches["throttle"].get(key)
    assert delta("ifixit_cache_hits_total", cache="ifixit") == 3
    assert delta("ifixit_cache_misses_total", cache="ifixit") == 3
    assert delta("ifixit_cache_misses_total", cache="ifixit-throttle") == 1


def test_report_runs_are_counted_by_report_and_outcome(metrics_delta, manager, smtp_server):
    manager.email = "nina@example.com"
    manager.save()
    sent = reports.schedule_send_now(user=manager, schedule_id=schedule_of(manager).pk)
    failing = reports.schedule_send_now(user=manager, schedule_id=schedule_of(manager, name="Second").pk)
    delta = metrics_delta()
    assert reports.run_execute(run_id=sent.pk).status == Run.Status.SENT
    manager.is_active = False  # the owner left: the run cannot be made, and is not retried
    manager.save()
    assert reports.run_execute(run_id=failing.pk).status == Run.Status.FAILED
    assert delta("ifixit_report_runs_total", report="sales", outcome="sent") == 1
    assert delta("ifixit_report_runs_total", report="sales", outcome="failed") == 1
    assert delta("ifixit_report_run_duration_seconds_count", report="sales") == 1


def lot_frame(seq: int, at: datetime) -> dict:
    lot = {"id": f"L{seq}", "make": "Ford", "model": "Focus", "year": 2018, "stage": "live", "current_bid": 500}
    return {"type": "lot", "seq": seq, "at": at.isoformat().replace("+00:00", "Z"), "lot": lot}


class RecordedSource:
    """A stand-in for an auction site: frames to stream, and its record to replay a gap from."""

    def __init__(self, frames: list[dict], record: list[dict]):
        self.stream, self.record = frames, record

    @asynccontextmanager
    async def frames(self, after: int):
        async def stream():
            for frame in self.stream:
                yield json.dumps(frame)

        yield stream()

    async def replay(self, after: int) -> list[dict]:
        return [dict(event) for event in self.record if event["seq"] > after]


@pytest.fixture
def feed_source(transactional_db):
    source = AuctionSource.objects.create(name=f"Metrics {uuid.uuid4().hex[:6]}", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    return source


@pytest.mark.django_db(transaction=True)
async def test_feed_messages_gaps_and_lag_are_counted_by_source(metrics_delta, feed_source):
    delta = await sync_to_async(metrics_delta)()
    behind = datetime.now(UTC) - timedelta(seconds=3)
    record = [lot_frame(seq, behind) for seq in (1, 2, 3, 4)]
    source = RecordedSource([record[0], record[2], record[3], "not json at all"], record)  # 2 is missing: a gap
    consumer = SourceConsumer(feed_source)
    consumer.high = 0

    await consumer._consume(source, asyncio.Event())
    await consumer.flush()
    await consumer._report()  # what the consumer does every second
    assert consumer.high == 4
    name = feed_source.name
    grown = await sync_to_async(
        lambda: {
            series: delta(series, source=name)
            for series in (
                "ifixit_feed_messages_total",
                "ifixit_feed_gaps_total",
                "ifixit_feed_errors_total",
                "ifixit_feed_lag_seconds_count",
                "ifixit_feed_lag_seconds_sum",
            )
        }
    )()
    assert grown["ifixit_feed_messages_total"] == 4  # three events and the malformed frame
    assert grown["ifixit_feed_gaps_total"] == 1
    assert grown["ifixit_feed_errors_total"] == 1
    assert grown["ifixit_feed_lag_seconds_count"] >= 1
    assert 3 <= grown["ifixit_feed_lag_seconds_sum"] / grown["ifixit_feed_lag_seconds_count"] < 60


@pytest.mark.django_db(transaction=True)
async def test_open_websockets_are_counted_while_open(manager):
    def open_now() -> float:
        return scrape().get(("ifixit_websocket_connections", frozenset({("consumer", "notifications")})), 0.0)

    before = await sync_to_async(open_now)()
    communicator = WebsocketCommunicator(NotificationsConsumer.as_asgi(), "/ws/notifications/")
    communicator.scope["user"] = manager
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from()  # the unread count it sends first
    assert await sync_to_async(open_now)() == before + 1
    await communicator.disconnect()
    assert await sync_to_async(open_now)() == before
