"""The fault test: the simulator runs a few hundred lots while dropping the connection,
duplicating, reordering and corrupting messages; the real feeds process (`manage.py
run_feeds`, its own process) consumes it into the test database. Afterwards every lot's
ticks equal what the simulator sent, no more, no fewer."""

import json
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from ifixit.auctions.models import AuctionSource, FeedHealth, Lot, PriceTick
from ifixit.auctions.simulator import SimulatorConfig, SimulatorServer
from ifixit.testing.processes import BIN, ROOT, process_env, start, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def all_events(base: str) -> list[dict]:
    events, after = [], 0
    while True:
        page = fetch(f"{base}/events?after={after}&limit=1000")["events"]
        if not page:
            return events
        events += page
        after = page[-1]["seq"]


@pytest.mark.parametrize("kind", ["websocket", "polling"])
def test_every_price_arrives_once_through_drops_duplicates_reordering_and_garbage(tmp_path: Path, kind):
    faults = dict(drop_every=400, duplicate=0.05, reorder=0.05, malformed=0.02) if kind == "websocket" else {}
    config = SimulatorConfig(seed=7, lots=300, lanes=6, rate=0, **faults)
    with SimulatorServer(config) as simulator:
        source = AuctionSource.objects.create(name=f"Simulator ({kind})", kind=kind, url=simulator.url)
        FeedHealth.objects.create(source=source)
        feeds = start("feeds", [str(BIN / "python"), "manage.py", "run_feeds"], tmp_path, process_env())
        try:
            assert simulator.wait_finished(120), "the simulator did not finish its lots"
            final_seq = fetch(f"{simulator.url}/stats")["seq"]
            wait_for(
                lambda: FeedHealth.objects.get(source=source).last_seq >= final_seq or feeds.popen.poll() is not None,
                120,
                f"the feed to store up to seq {final_seq}",
            )
            assert feeds.popen.poll() is None, feeds.log()
            if kind == "websocket":  # the faults really happened, and were handled (health is written each second)
                wait_for(
                    lambda: (h := FeedHealth.objects.get(source=source)).duplicates and h.gaps and h.errors and h.reconnects,
                    15,
                    "the feed to report the faults it handled",
                )
            stats = fetch(f"{simulator.url}/stats")
            events = all_events(simulator.url)
        finally:
            feeds.kill()

    sent = {lot_id: n for lot_id, n in stats["bids_sent"].items() if n}
    stored = Counter(PriceTick.objects.filter(source=source).values_list("lot__external_id", flat=True))
    assert dict(stored) == sent  # per lot: no more, no fewer
    bids = sorted((e["seq"], e["amount"]) for e in events if e["type"] == "bid")
    assert list(PriceTick.objects.filter(source=source).order_by("seq").values_list("seq", "amount")) == bids
    assert Lot.objects.filter(source=source).count() == stats["lots"]
    assert not Lot.objects.filter(source=source).exclude(stage="closed").exists()  # every end arrived too
