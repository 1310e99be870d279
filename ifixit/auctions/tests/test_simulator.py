"""The auction simulator: the auction rules, repeatable runs, and the protocol of
docs/auction-feed-protocol.md as a real client sees it, faults included. No database."""

import asyncio
import hmac
import json
import os
import re
import select
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen

import aiohttp
import pytest
from aiohttp import web

from ifixit.auctions.simulator import Market, SimulatorConfig, SimulatorServer, increment, next_bid, proxy_price
from ifixit.auctions.simulator.market import SOFT_CLOSE_MS, Bidder, Lot, format_time, to_epoch_ms
from ifixit.auctions.simulator.webhook import signature

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]

# Every field the protocol shows for each event, checked independently of the simulator.
EVENT_FIELDS = {
    "lot": {"type", "seq", "at", "lot"},
    "stage": {"type", "seq", "at", "lot_id", "stage", "ends_at"},
    "bid": {"type", "seq", "at", "lot_id", "amount", "bid_count", "ends_at", "reserve_met"},
    "end": {"type", "seq", "at", "lot_id", "outcome", "amount"},
    "heartbeat": {"type", "seq", "at"},
}
LOT_FIELDS = {
    "id", "lane", "stage", "make", "model", "trim", "year", "mileage", "mileage_unit", "fuel", "transmission",
    "body_type", "colour", "damage", "condition", "region", "starts_at", "ends_at", "currency", "reserve", "buy_now",
    "current_bid", "bid_count",
}  # fmt: skip


def as_event(frame: str) -> dict | None:
    """The frame as an event, or None when it is not a complete one."""
    try:
        event = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(event, dict) or set(event) != EVENT_FIELDS.get(event.get("type"), set()):
        return None
    if not isinstance(event["seq"], int) or (event["type"] == "lot" and set(event["lot"]) != LOT_FIELDS):
        return None
    return event


def ms(text: str) -> int:
    return to_epoch_ms(datetime.fromisoformat(text.replace("Z", "+00:00")))


def lot(**fields) -> Lot:
    defaults = dict(
        id="SIM-000001", lane="A", vehicle={}, value=5_000, opening=500, reserve=None, buy_now=None,
        starts_at=0, ends_at=60_000, stage="live",
    )  # fmt: skip
    return Lot(**(defaults | fields))


# -- the auction rules


@pytest.mark.parametrize(
    "amount, step",
    [(0, 25), (975, 25), (1_000, 25), (1_025, 50), (5_000, 50), (5_050, 100), (25_000, 100), (25_100, 250)],
)
def test_it_raises_bids_by_the_increment_table(amount, step):
    assert increment(amount) == step
    assert next_bid(amount) == amount + step


def test_it_prices_proxy_bids_one_increment_over_the_runner_up():
    assert proxy_price([], opening=100) == 0
    assert proxy_price([3_000], opening=100) == 100  # alone: the opening bid
    assert proxy_price([2_000, 3_000], opening=100) == 2_050
    assert proxy_price([3_000, 2_980, 500], opening=100) == 3_000  # capped at the leader's maximum
    assert proxy_price([4_000, 4_000], opening=100) == 4_000  # a tie: the first bidder holds at the maximum


def test_it_takes_pre_bids_by_proxy_and_refuses_those_under_the_asking_price():
    auction = lot(stage="prebid", opening=500)
    first, second = Bidder(max_bid=3_000, valuation=3_500), Bidder(max_bid=2_000, valuation=2_500)
    assert auction.place_proxy_bid(first)
    assert (auction.current_bid, auction.leader) == (500, first)
    assert auction.place_proxy_bid(second)
    assert (auction.current_bid, auction.leader, auction.bid_count) == (2_050, first, 2)
    assert not auction.place_proxy_bid(Bidder(max_bid=2_050, valuation=2_100))  # the asking price is 2,100
    assert auction.bid_count == 2


def test_it_extends_the_end_on_a_late_bid_only():
    auction = lot(ends_at=60_000, current_bid=1_000, bid_count=3)
    auction.place_live_bid(Bidder(max_bid=9_000, valuation=9_000), at=45_000)
    assert (auction.current_bid, auction.ends_at) == (1_025, 60_000)
    auction.place_live_bid(Bidder(max_bid=9_000, valuation=9_000), at=50_000)  # exactly 10 s before the end
    assert (auction.current_bid, auction.ends_at) == (1_075, 60_000 + SOFT_CLOSE_MS)


@pytest.mark.parametrize(
    "reserve, current_bid, bid_count, outcome",
    [
        (5_000, 4_000, 6, ("on_approval", 4_000)),
        (5_000, 5_000, 9, ("sold", 5_000)),
        (None, 150, 1, ("sold", 150)),
        (5_000, 0, 0, ("unsold", 0)),
    ],
)
def test_it_ends_on_approval_when_the_reserve_is_not_met(reserve, current_bid, bid_count, outcome):
    assert lot(reserve=reserve, current_bid=current_bid, bid_count=bid_count).outcome() == outcome


def test_a_whole_sale_keeps_the_rules():
    events = list(Market(seed=5, lots=300, lanes=4, start=START).events())
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(set(e) == EVENT_FIELDS[e["type"]] for e in events)

    lots, live_in_lane = {}, {}
    for event in events:
        at = ms(event["at"])
        if event["type"] == "lot":
            listed = event["lot"]
            assert set(listed) == LOT_FIELDS and listed["stage"] == "prebid" and listed["bid_count"] == 0
            assert 2_010 <= listed["year"] <= 2026 and listed["mileage"] > 0 and listed["currency"] == "GBP"
            lots[listed["id"]] = {**listed, "ends_at": ms(listed["ends_at"]), "ladder": None, "reserve_met": False}
            continue
        state = lots[event["lot_id"]]
        if event["type"] == "stage":
            assert state["stage"] == "prebid" and event["stage"] == "live"
            assert state["lane"] not in live_in_lane, "one live lot per lane"
            live_in_lane[state["lane"]] = state["id"]
            state.update(stage="live", ends_at=ms(event["ends_at"]))
            assert 30_000 <= state["ends_at"] - at <= 90_000
        elif event["type"] == "bid":
            amount, previous = event["amount"], state["current_bid"]
            assert amount > previous and event["bid_count"] == state["bid_count"] + 1
            if state["ladder"] is None:  # every price is on the ladder that starts at the first bid
                state["ladder"] = [amount]
                while state["ladder"][-1] < 100_000:
                    state["ladder"].append(next_bid(state["ladder"][-1]))
                state["ladder"] = set(state["ladder"])
            assert amount in state["ladder"]
            if state["stage"] == "live" and previous:
                assert amount == next_bid(previous)
            late = state["stage"] == "live" and state["ends_at"] - at <= SOFT_CLOSE_MS
            assert ms(event["ends_at"]) == state["ends_at"] + (SOFT_CLOSE_MS if late else 0)
            assert event["reserve_met"] or state["reserve"]
            state.update(current_bid=amount, bid_count=event["bid_count"], ends_at=ms(event["ends_at"]))
            state["reserve_met"] = event["reserve_met"]
        elif event["type"] == "end":
            outcome, amount = event["outcome"], event["amount"]
            if outcome == "bought_now":
                assert state["stage"] == "prebid" and amount == state["buy_now"] > state["current_bid"]
            else:
                assert state["stage"] == "live" and at >= state["ends_at"]
                del live_in_lane[state["lane"]]
            if outcome == "unsold":
                assert state["bid_count"] == 0 and amount == 0
            if outcome == "on_approval":
                assert state["reserve"] and not state["reserve_met"] and amount == state["current_bid"]
            if outcome == "sold":
                assert state["bid_count"] and state["reserve_met"] and amount == state["current_bid"]
            state.update(stage="closed", outcome=outcome)

    assert len(lots) == 300 and all(state["stage"] == "closed" for state in lots.values())
    assert set(Counter(state["outcome"] for state in lots.values())) == {"sold", "on_approval", "unsold", "bought_now"}
    assert 0.5 < sum(state["reserve"] for state in lots.values()) / 300 < 0.7
    assert 0.08 < sum(state["buy_now"] is not None for state in lots.values()) / 300 < 0.22


def test_the_same_seed_gives_the_same_events():
    def run(seed):
        return list(Market(seed=seed, lots=40, lanes=3, start=START).events())

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_a_sale_without_end_keeps_listing_lots():
    market = Market(seed=1, lots=0, lanes=2, start=START)
    events = [event for _, event in zip(range(5_000), market.events(), strict=False)]
    assert market.lots_listed > 100 and not market.finished
    assert len({e["lot"]["id"] for e in events if e["type"] == "lot"}) == market.lots_listed


# -- the web site


@pytest.fixture
def simulator():
    """Starts SimulatorServers (heartbeats every 0.1 s unless told), stops them afterwards."""
    servers = []

    def start(**settings) -> SimulatorServer:
        server = SimulatorServer(SimulatorConfig(**({"start": START, "heartbeat_seconds": 0.1} | settings)))
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


async def finished(server: SimulatorServer) -> None:
    assert await asyncio.to_thread(server.wait_finished, 20), "the sale did not end"


async def get_json(session: aiohttp.ClientSession, url: str, **params) -> dict:
    async with session.get(url, params=params) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def all_events(session, server, *, page=250) -> list[dict]:
    events, after = [], 0
    while batch := (await get_json(session, server.url + "/events", after=after, limit=page))["events"]:
        events += batch
        after = batch[-1]["seq"]
    return events


async def receive(ws, *, until_seq: int) -> list[dict]:
    """Events from a fault-free stream until `until_seq`; heartbeats left out."""
    events = []
    while not events or events[-1]["seq"] < until_seq:
        event = as_event(await ws.receive_str(timeout=10))
        assert event is not None
        if event["type"] != "heartbeat":
            events.append(event)
    return events


async def test_websocket_clients_each_get_every_event_in_seq_order(simulator):
    server = simulator(lots=20, rate=2_000)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(server.ws_url) as live, session.ws_connect(server.ws_url + "?after=0") as full:
            await finished(server)
            stats = await get_json(session, server.url + "/stats")
            from_live = await receive(live, until_seq=stats["seq"])
            from_start = await receive(full, until_seq=stats["seq"])
            heartbeat = as_event(await full.receive_str(timeout=5))
        events = await all_events(session, server)

    assert [e["seq"] for e in from_start] == list(range(1, stats["seq"] + 1))
    first = from_live[0]["seq"]
    assert [e["seq"] for e in from_live] == list(range(first, stats["seq"] + 1))
    assert from_start == events and from_live == events[first - 1 :]
    assert heartbeat["type"] == "heartbeat" and heartbeat["seq"] == stats["seq"]


async def test_stats_count_the_bids_sent_per_lot(simulator):
    server = simulator(lots=25, rate=0)
    await finished(server)
    async with aiohttp.ClientSession() as session:
        stats = await get_json(session, server.url + "/stats")
        events = await all_events(session, server)

    bids = Counter(e["lot_id"] for e in events if e["type"] == "bid")
    assert stats["bids_sent"] == {lot_id: bids[lot_id] for lot_id in stats["bids_sent"]}
    assert len(stats["bids_sent"]) == stats["lots"] == 25
    assert stats["seq"] == stats["events_sent"] == len(events) == events[-1]["seq"]
    made_at = [server.made_at(seq) for seq in range(1, stats["seq"] + 1)]
    assert made_at == sorted(made_at) and made_at[-1] <= time.time()


async def test_replay_after_a_seq_continues_with_live_events(simulator):
    server = simulator(lots=20, rate=2_000)
    async with aiohttp.ClientSession() as session:
        while (await get_json(session, server.url + "/stats"))["seq"] < 100:
            await asyncio.sleep(0.01)
        async with session.ws_connect(server.ws_url, params={"after": 40}) as ws:
            await finished(server)
            stats = await get_json(session, server.url + "/stats")
            received = await receive(ws, until_seq=stats["seq"])
        events = await all_events(session, server)
    assert received == events[40:]


async def test_the_snapshot_is_the_state_the_events_lead_to(simulator):
    server = simulator(lots=30, rate=2_000)
    async with aiohttp.ClientSession() as session:
        while (await get_json(session, server.url + "/stats"))["seq"] < 100:
            await asyncio.sleep(0.01)
        snapshot = await get_json(session, server.url + "/snapshot")
        await finished(server)
        events = await all_events(session, server)

    open_lots = {}
    for event in events[: snapshot["seq"]]:
        if event["type"] == "lot":
            open_lots[event["lot"]["id"]] = dict(event["lot"])
        elif event["type"] == "stage":
            open_lots[event["lot_id"]].update(stage=event["stage"], starts_at=event["at"], ends_at=event["ends_at"])
        elif event["type"] == "bid":
            bid = {key: event[key] for key in ("bid_count", "ends_at")}
            open_lots[event["lot_id"]].update(current_bid=event["amount"], **bid)
        elif event["type"] == "end":
            del open_lots[event["lot_id"]]
    assert snapshot["lots"] and snapshot["lots"] == list(open_lots.values())


async def test_events_pages_are_at_most_a_thousand_and_bad_parameters_are_refused(simulator):
    server = simulator(lots=40, rate=0)
    await finished(server)
    async with aiohttp.ClientSession() as session:
        page = await get_json(session, server.url + "/events", after=10, limit=5_000)
        beyond = await get_json(session, server.url + "/events", after=10**6)
        statuses = []
        for params in ({"after": "x"}, {"after": -1}, {"limit": 0}):
            async with session.get(server.url + "/events", params=params) as response:
                statuses.append(response.status)
        seq = (await get_json(session, server.url + "/stats"))["seq"]

    assert seq > 1_010
    assert [e["seq"] for e in page["events"]] == list(range(11, 1_011)) and page["last_seq"] == 1_010
    assert beyond == {"events": [], "last_seq": seq}
    assert statuses == [400, 400, 400]


async def test_two_runs_with_the_same_seed_serve_the_same_events(simulator):
    first, second = simulator(lots=10, rate=0, seed=7), simulator(lots=10, rate=0, seed=7)
    await finished(first)
    await finished(second)
    async with aiohttp.ClientSession() as session:
        assert await all_events(session, first) == await all_events(session, second)


async def test_a_time_scale_holds_the_simulated_clock_to_the_scaled_wall_clock(simulator):
    began = time.monotonic()
    server = simulator(lots=3, rate=0, time_scale=500)
    events = []
    async with aiohttp.ClientSession() as session, session.ws_connect(server.ws_url, params={"after": 0}) as ws:
        while True:
            event = as_event(await ws.receive_str(timeout=10))
            if event["type"] != "heartbeat":
                # Sent no earlier than its simulated time allows: 500 simulated ms a real ms.
                assert ms(event["at"]) - to_epoch_ms(START) <= 500 * (time.monotonic() - began) * 1000 + 1
                events.append(event)
            elif server.finished.is_set() and events and event["seq"] == events[-1]["seq"]:
                break
    assert ms(events[-1]["at"]) - to_epoch_ms(START) > 60_000  # the sale took over a simulated minute


async def consume_faulty_stream(session, server, total: int) -> dict:
    """A careful consumer: takes what it can, reconnects with ?after= its last
    unbroken seq, and notes every symptom of a fault it sees."""
    seen = Counter()
    received: dict[int, dict] = {}
    unbroken = 0
    gaps = []  # seconds between frames
    while unbroken < total:
        last_seq, last_frame_at = None, None
        async with session.ws_connect(server.ws_url, params={"after": unbroken}) as ws:
            async for message in ws:
                now = time.monotonic()
                if last_frame_at is not None:
                    gaps.append(now - last_frame_at)
                last_frame_at = now
                event = as_event(message.data)
                if event is None:
                    seen["malformed"] += 1
                    continue
                if event["type"] == "heartbeat":
                    continue
                seq = event["seq"]
                seen["duplicate"] += seq in received
                seen["out_of_order"] += last_seq is not None and seq < last_seq
                last_seq = seq
                received[seq] = event
                while unbroken + 1 in received:
                    unbroken += 1
                if unbroken == total:
                    break
            else:
                seen["disconnect"] += 1
    return {"seen": seen, "events": [received[seq] for seq in sorted(received)], "max_gap": max(gaps, default=0)}


@pytest.mark.parametrize(
    "faults, symptoms",
    [
        ({"duplicate": 0.1}, {"duplicate"}),
        ({"reorder": 0.1}, {"out_of_order"}),
        ({"malformed": 0.1}, {"malformed"}),
        ({"drop_every": 80}, {"disconnect"}),
        ({"delay_ms": 100, "delay_p": 0.01}, set()),
        (
            {"duplicate": 0.05, "reorder": 0.05, "malformed": 0.05, "drop_every": 120},
            {"duplicate", "out_of_order", "malformed", "disconnect"},
        ),
    ],
)
async def test_faults_show_on_the_stream_while_events_stay_exact(simulator, faults, symptoms):
    server = simulator(lots=15, rate=0, **faults)
    await finished(server)
    async with aiohttp.ClientSession() as session:
        stats = await get_json(session, server.url + "/stats")
        result = await consume_faulty_stream(session, server, stats["seq"])
        events = await all_events(session, server)

    assert {symptom for symptom, count in result["seen"].items() if count} == symptoms
    assert result["events"] == events
    assert [e["seq"] for e in events] == list(range(1, stats["seq"] + 1))
    if "delay_ms" in faults:
        assert result["max_gap"] >= 0.1


async def test_webhooks_are_signed_delivered_in_order_and_retried(simulator):
    secret = "whsec-test"
    received, attempts, refused_once = [], Counter(), set()

    async def receive_webhook(request):
        body = await request.read()
        timestamp = request.headers["X-Ifixit-Timestamp"]
        assert hmac.compare_digest(request.headers["X-Ifixit-Signature"], signature(secret, timestamp, body))
        assert abs(time.time() - int(timestamp)) < 300
        event = json.loads(body)
        attempts[event["seq"]] += 1
        if event["seq"] in (3, 40) and event["seq"] not in refused_once:
            refused_once.add(event["seq"])
            return web.Response(status=503)
        received.append(event)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive_webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        server = simulator(lots=4, rate=0, webhook_url=f"http://127.0.0.1:{port}/hook", webhook_secret=secret)
        await finished(server)
        async with aiohttp.ClientSession() as session:
            events = await all_events(session, server)
        deadline = time.monotonic() + 20
        while len(received) < len(events) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()

    assert received == events
    assert refused_once == {3, 40} and attempts[3] == attempts[40] == 2


def test_the_management_command_prints_where_it_listens_and_stops_on_sigterm():
    command = [sys.executable, "manage.py", "auction_simulator", "--port", "0", "--lots", "3", "--rate", "0"]
    process = subprocess.Popen(
        [*command, "--seed", "4", "--start", "2026-11-24T10:00:00Z"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the simulator printed nothing"
        line = process.stdout.readline()
        url = re.search(r"listening on (http://\S+) ", line).group(1)
        deadline = time.monotonic() + 10
        while (stats := json.load(urlopen(url + "/stats", timeout=5)))["lots"] < 3 or not stats["seq"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first = json.load(urlopen(url + "/events?limit=1", timeout=5))["events"][0]
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)

    assert "seed 4" in line and "ws://" in line
    assert first["at"] == format_time(to_epoch_ms(START)) and first["lot"]["id"] == "SIM-000001"
    assert process.returncode == 0, errors


def test_a_config_that_makes_no_sense_is_refused():
    with pytest.raises(ValueError, match="probability"):
        SimulatorConfig(duplicate=1.5)
    with pytest.raises(ValueError, match="secret"):
        SimulatorConfig(webhook_url="http://127.0.0.1:9/hook")
    with pytest.raises(ValueError, match="aware"):
        SimulatorConfig(start=datetime(2026, 1, 1))
