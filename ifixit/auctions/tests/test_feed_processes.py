"""Feeds processes as deployed: two of them never consume one source at once (a Redis lock
per source), a dead one's sources are taken over, and a source that keeps failing is
backed off and shown as failing."""

import json
import signal
import urllib.request
from collections import Counter

import pytest

from ifixit.auctions.models import AuctionSource, FeedHealth, PriceTick
from ifixit.auctions.simulator import SimulatorConfig, SimulatorServer
from ifixit.testing.processes import BIN, free_port, process_env, start, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"FEEDS_LOCK_TTL_SECONDS": "3", "FEEDS_BACKOFF_BASE_MS": "50", "FEEDS_BACKOFF_CAP_MS": "200"}


def feeds_process(name, tmp_path):
    return start(name, [str(BIN / "python"), "manage.py", "run_feeds"], tmp_path, process_env(**FAST))


def stats(url):
    with urllib.request.urlopen(f"{url}/stats", timeout=10) as response:
        return json.load(response)


def test_two_feeds_processes_share_a_source_one_at_a_time_and_take_over(tmp_path):
    with SimulatorServer(SimulatorConfig(seed=11, lots=60, lanes=3, rate=300)) as simulator:
        source = AuctionSource.objects.create(name="Shared", url=simulator.url)
        FeedHealth.objects.create(source=source)
        first = feeds_process("feeds-a", tmp_path)
        second = None
        try:
            owner = wait_for(lambda: FeedHealth.objects.get(source=source).consumer, 30, "a feeds process to take the source")
            second = feeds_process("feeds-b", tmp_path)
            wait_for(lambda: FeedHealth.objects.get(source=source).messages > 100, 30, "events to flow")
            assert FeedHealth.objects.get(source=source).consumer == owner  # the second one waits
            first.kill(signal.SIGKILL)  # the owner's machine goes away mid-stream
            new_owner = wait_for(
                lambda: (c := FeedHealth.objects.get(source=source).consumer) != owner and c, 30, "the other process to take over"
            )
            assert simulator.wait_finished(120)
            final = stats(simulator.url)
            wait_for(lambda: FeedHealth.objects.get(source=source).last_seq >= final["seq"], 60, "the rest to be stored")
        finally:
            first.kill()
            if second is not None:
                second.kill()
    assert new_owner != owner
    sent = {lot: n for lot, n in final["bids_sent"].items() if n}
    assert dict(Counter(PriceTick.objects.filter(source=source).values_list("lot__external_id", flat=True))) == sent


def test_a_source_that_keeps_failing_is_backed_off_and_shown_as_failing(tmp_path):
    source = AuctionSource.objects.create(name="Down", url=f"http://127.0.0.1:{free_port()}")  # nobody listens
    FeedHealth.objects.create(source=source)
    feeds = feeds_process("feeds-down", tmp_path)
    try:
        health = wait_for(
            lambda: (h := FeedHealth.objects.get(source=source)).state == "failing" and h, 30, "the source to show as failing"
        )
    finally:
        feeds.kill()
    assert health.reconnects >= 5 and health.errors >= 5 and "Connect" in health.last_error
    assert not PriceTick.objects.exists()
