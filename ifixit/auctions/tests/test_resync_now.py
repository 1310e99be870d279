""""Resync now" from the dashboard: the running feed reconnects, refreshes its lots from the
source's snapshot and replays from what it stored, losing and doubling nothing."""

import asyncio
import json
import threading
import urllib.request
from collections import Counter

import pytest
from django.db import connection

from ifixit.auctions import services
from ifixit.auctions.feeds.consumer import SourceConsumer
from ifixit.auctions.models import AuctionSource, FeedHealth, PriceTick
from ifixit.auctions.simulator import SimulatorConfig, SimulatorServer

pytestmark = pytest.mark.django_db(transaction=True)


def test_resync_now_reconnects_and_keeps_every_price_once():
    with SimulatorServer(SimulatorConfig(seed=5, lots=40, lanes=3, rate=400)) as simulator:
        source = AuctionSource.objects.create(name="Resync", url=simulator.url)
        FeedHealth.objects.create(source=source)
        outcome = {}

        async def feed():
            stop = asyncio.Event()
            consumer = SourceConsumer(source)
            task = asyncio.create_task(consumer.run(stop))
            while consumer.high < 200:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(services.source_request_resync, source_id=source.pk)  # the dashboard button
            while consumer.counters.reconnects == 0 and (await asyncio.to_thread(FeedHealth.objects.get, source=source)).reconnects == 0:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(simulator.wait_finished, 60)
            final = json.load(urllib.request.urlopen(f"{simulator.url}/stats"))
            while consumer.high < final["seq"]:
                await asyncio.sleep(0.05)
            stop.set()
            await task
            outcome["final"] = final

        def run():
            try:
                asyncio.run(feed())
            finally:
                connection.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(120)
    health = FeedHealth.objects.get(source=source)
    assert health.reconnects >= 1 and not health.resync_requested
    sent = {lot: n for lot, n in outcome["final"]["bids_sent"].items() if n}
    assert dict(Counter(PriceTick.objects.filter(source=source).values_list("lot__external_id", flat=True))) == sent
