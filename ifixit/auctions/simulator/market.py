"""The simulated salvage auction: lots listed in lanes, a pre-bid (proxy) stage, a live
stage with soft close, reserves and buy-now, and the protocol events all that produces
(docs/auction-feed-protocol.md).

Pure and repeatable: a seeded random.Random, a simulated clock in whole milliseconds
that only moves from one scheduled action to the next, no I/O. The same seed and start
give the same events, byte for byte; how fast they reach the network is the server's
business (server.py), not the market's.
"""

import heapq
import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ifixit.auctions.simulator import catalogue

# (up to and including this price, the next bid is this much more); above the last, TOP_INCREMENT.
BID_INCREMENTS = ((1_000, 25), (5_000, 50), (25_000, 100))
TOP_INCREMENT = 250

SOFT_CLOSE_MS = 10_000  # a bid this close to the end moves the end this much later
LIVE_SECONDS = (30, 90)
PREBID_LEAD_MS = 30_000  # the first lots of a sale take pre-bids this long before the lanes open
LOT_GAP_SECONDS = (2.0, 5.0)  # the auctioneer's pause between two lots of a lane
RESERVE_SHARE = 0.6
BUY_NOW_SHARE = 0.15

PREBIDDERS = {0: 15, 1: 20, 2: 25, 3: 20, 4: 12, 5: 8}
LIVE_BIDDERS = {0: 10, 1: 20, 2: 30, 3: 25, 4: 15}

_EPOCH = datetime(1970, 1, 1)


def increment(amount: int) -> int:
    """The step from `amount` to the next acceptable bid."""
    for up_to, step in BID_INCREMENTS:
        if amount <= up_to:
            return step
    return TOP_INCREMENT


def next_bid(amount: int) -> int:
    return amount + increment(amount)


def proxy_price(max_bids: Sequence[int], *, opening: int) -> int:
    """The visible price when bidders have left maximum bids: one increment over the
    runner-up's maximum, but never more than the leader's; a lone bidder pays the opening
    bid. Ties go to whoever bid first, at their (shared) maximum."""
    if not max_bids:
        return 0
    ordered = sorted(max_bids, reverse=True)
    if len(ordered) == 1:
        return opening
    return min(ordered[0], next_bid(ordered[1]))


def format_time(epoch_ms: int) -> str:
    return (_EPOCH + timedelta(milliseconds=epoch_ms)).isoformat(timespec="milliseconds") + "Z"


def to_epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("the simulated clock starts at an aware (UTC) datetime")
    return round(moment.timestamp() * 1000)


def lane_name(index: int) -> str:
    """A, B, ... Z, AA, AB, ...: lane letters as the yards paint them."""
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(ord("A") + remainder) + name
    return name


@dataclass(eq=False)
class Bidder:
    max_bid: int  # the most this bidder will bid at auction, on the bid ladder
    valuation: int  # what the car is worth to them (buy-now decisions)


@dataclass(eq=False)
class Lot:
    id: str
    lane: str
    vehicle: dict  # make ... region, as sent in the lot object
    value: int  # hidden market value: bidders' valuations scatter around it
    opening: int  # the first acceptable bid
    reserve: int | None
    buy_now: int | None
    starts_at: int  # epoch ms; an estimate until the lot goes live
    ends_at: int
    stage: str = "prebid"
    current_bid: int = 0
    bid_count: int = 0
    bidders: list[Bidder] = field(default_factory=list)
    leader: Bidder | None = None

    @property
    def reserve_met(self) -> bool:
        return self.bid_count > 0 and (self.reserve is None or self.current_bid >= self.reserve)

    def asking(self) -> int:
        return next_bid(self.current_bid) if self.bid_count else self.opening

    def ladder_floor(self, amount: float) -> int:
        """The highest price on this lot's bid ladder (opening, then the increment table)
        not above `amount`; 0 when even the opening bid is too much."""
        if amount < self.opening:
            return 0
        price = self.opening
        while next_bid(price) <= amount:
            price = next_bid(price)
        return price

    def place_proxy_bid(self, bidder: Bidder) -> bool:
        """A pre-bid: the bidder leaves a maximum and the price moves by proxy. False when
        the maximum does not reach the asking price (the platform refuses it)."""
        if bidder.max_bid < self.asking():
            return False
        self.bidders.append(bidder)
        if self.leader is None or bidder.max_bid > self.leader.max_bid:
            self.leader = bidder
        self.current_bid = proxy_price([b.max_bid for b in self.bidders], opening=self.opening)
        self.bid_count += 1
        return True

    def live_candidates(self) -> list[Bidder]:
        asking = self.asking()
        return [b for b in self.bidders if b is not self.leader and b.max_bid >= asking]

    def place_live_bid(self, bidder: Bidder, at: int) -> None:
        """One live bid of one increment; a bid in the last SOFT_CLOSE_MS extends the lot."""
        self.current_bid = self.asking()
        self.bid_count += 1
        self.leader = bidder
        if self.ends_at - at <= SOFT_CLOSE_MS:
            self.ends_at += SOFT_CLOSE_MS

    def outcome(self) -> tuple[str, int]:
        """How a lot that reached its end without a buy-now ends, and at what amount."""
        if not self.bid_count:
            return "unsold", 0
        if not self.reserve_met:
            return "on_approval", self.current_bid  # the seller accepts or refuses later
        return "sold", self.current_bid

    def wire(self) -> dict:
        """The protocol's lot object: the current state, hidden values left out."""
        return {
            "id": self.id,
            "lane": self.lane,
            "stage": self.stage,
            **self.vehicle,
            "starts_at": format_time(self.starts_at),
            "ends_at": format_time(self.ends_at),
            "currency": "GBP",
            "reserve": self.reserve is not None,
            "buy_now": self.buy_now,
            "current_bid": self.current_bid,
            "bid_count": self.bid_count,
        }


@dataclass(eq=False)
class Lane:
    name: str
    tail: int  # epoch ms: the estimated end of the last lot listed in this lane
    queue: deque[Lot] = field(default_factory=deque)  # listed, waiting for the live stage
    live: Lot | None = None
    go_live_planned: bool = False  # a live stage is planned (an action in the queue)


def _weighted(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights)[0]


def _round_to(amount: float, step: int) -> int:
    return int(round(amount / step)) * step


class Market:
    """One auction site: `lots` lots (0: without end) run through `lanes` lanes in
    parallel, `listed_ahead` lots per lane open for pre-bids at a time. Call step()
    for the events of the next action, or iterate events()."""

    def __init__(self, *, seed: int, lots: int, lanes: int, start: datetime, listed_ahead: int = 6):
        if lots < 0 or lanes < 1 or listed_ahead < 1:
            raise ValueError("lots must be 0 or more, lanes and listed_ahead at least 1")
        self.rng = random.Random(seed)
        self.lots_wanted = lots
        self.listed_ahead = listed_ahead
        self.now = to_epoch_ms(start)
        self.seq = 0
        self.lots_listed = 0
        self.open_lots: dict[str, Lot] = {}
        self.bids_sent: dict[str, int] = {}
        self.reference_year = start.astimezone(UTC).year
        self._actions: list[tuple] = []
        self._order = 0
        self.lanes = [Lane(lane_name(i), tail=self.now + PREBID_LEAD_MS + i * 1_500) for i in range(lanes)]
        self._schedule(self.now, self._open_sale)

    # -- reading

    @property
    def finished(self) -> bool:
        return not self.open_lots and not self._more_to_list()

    def next_time(self) -> int | None:
        """When (epoch ms) the next action happens; None once every lot has ended."""
        return None if self.finished else self._actions[0][0]

    def snapshot(self) -> dict:
        return {"seq": self.seq, "lots": [lot.wire() for lot in self.open_lots.values()]}

    def stats(self) -> dict:
        return {"seq": self.seq, "bids_sent": dict(self.bids_sent), "events_sent": self.seq, "lots": self.lots_listed}

    # -- running

    def events(self) -> Iterator[dict]:
        while not self.finished:
            yield from self.step()

    def step(self) -> list[dict]:
        """Run the next action; its events (often one, sometimes none or several)."""
        if self.finished:
            return []
        at, _, action, args = heapq.heappop(self._actions)
        self.now = at
        return action(*args)

    def _schedule(self, at: int, action, *args) -> None:
        self._order += 1  # equal times run in the order they were planned: repeatable
        heapq.heappush(self._actions, (at, self._order, action, args))

    def _event(self, kind: str, **fields) -> dict:
        self.seq += 1
        return {"type": kind, "seq": self.seq, "at": format_time(self.now), **fields}

    def _more_to_list(self) -> bool:
        return self.lots_wanted == 0 or self.lots_listed < self.lots_wanted

    # -- lots

    def _list_lot(self, lane: Lane) -> dict:
        rng = self.rng
        self.lots_listed += 1
        starts_at = lane.tail + int(rng.uniform(*LOT_GAP_SECONDS) * 1000)
        ends_at = starts_at + rng.randint(*LIVE_SECONDS) * 1000
        lane.tail = ends_at
        lot = self._new_lot(f"SIM-{self.lots_listed:06d}", lane.name, starts_at, ends_at)
        lane.queue.append(lot)
        self.open_lots[lot.id] = lot
        self.bids_sent[lot.id] = 0

        window = starts_at - self.now
        if window > 2_000:
            for _ in range(_weighted_count(rng, PREBIDDERS)):
                valuation = self._valuation(lot)
                bidder = Bidder(max_bid=lot.ladder_floor(valuation * rng.uniform(0.7, 0.95)), valuation=valuation)
                self._schedule(self.now + rng.randint(1_000, window - 1_000), self._prebid, lot, bidder)
        return self._event("lot", lot=lot.wire())

    def _new_lot(self, lot_id: str, lane: str, starts_at: int, ends_at: int) -> Lot:
        rng = self.rng
        model = rng.choices(catalogue.MODELS, [m.popularity for m in catalogue.MODELS])[0]
        newest = min(model.last_year, self.reference_year)
        oldest = max(model.first_year, newest - 15)
        year = round(rng.triangular(oldest, newest, max(oldest, newest - 6)))
        age = self.reference_year - year
        yearly_miles = rng.uniform(4_000, 12_500) * (0.75 if model.fuels == catalogue.ELECTRIC else 1)
        mileage = int(rng.uniform(30, 6_000) if age == 0 else age * yearly_miles * rng.uniform(0.8, 1.2))
        damage, _, damage_factor, condition_odds = rng.choices(catalogue.DAMAGE, [d[1] for d in catalogue.DAMAGE])[0]
        condition = rng.choices(catalogue.CONDITIONS, condition_odds)[0]
        fuel = _weighted(rng, model.fuels)
        automatic = fuel in ("electric", "hybrid") or rng.random() < model.automatic_share
        vehicle = {
            "make": model.make,
            "model": model.model,
            "trim": rng.choice(model.trims),
            "year": year,
            "mileage": mileage,
            "mileage_unit": "mi",
            "fuel": fuel,
            "transmission": "automatic" if automatic else "manual",
            "body_type": rng.choice(model.body_types),
            "colour": _weighted(rng, catalogue.COLOURS),
            "damage": damage,
            "condition": condition,
            "region": _weighted(rng, catalogue.REGIONS),
        }

        # A clean retail price loses a fifth off the forecourt, then about 13% a year;
        # high miles for the age cost more, low miles add a little; damage and a dead
        # engine take the largest share. Nothing sells below scrap.
        retail = model.new_price * 0.8 * 0.87**age
        expected_miles = max(age, 1) * 7_500
        mileage_factor = min(1.15, max(0.6, 1 - 0.25 * (mileage - expected_miles) / 50_000))
        value = retail * mileage_factor * damage_factor * catalogue.CONDITION_FACTOR[condition]
        value = max(catalogue.SCRAP_VALUE, _round_to(value * rng.uniform(0.85, 1.15), 25))
        opening = max(25, _round_to(value * rng.uniform(0.1, 0.3), 25))
        reserve = _round_to(value * rng.uniform(0.85, 1.15), 50) if rng.random() < RESERVE_SHARE else None
        buy_now = _round_to(value * rng.uniform(1.0, 1.25), 100) if rng.random() < BUY_NOW_SHARE else None
        return Lot(
            id=lot_id,
            lane=lane,
            vehicle=vehicle,
            value=value,
            opening=opening,
            reserve=reserve,
            buy_now=buy_now,
            starts_at=starts_at,
            ends_at=ends_at,
        )

    def _valuation(self, lot: Lot) -> int:
        return round(lot.value * self.rng.lognormvariate(0, 0.18))

    # -- actions

    def _open_sale(self) -> list[dict]:
        """The catalogue goes up: the first lots of every lane, open for pre-bids."""
        events = []
        for _ in range(self.listed_ahead):
            for lane in self.lanes:
                if self._more_to_list():
                    events.append(self._list_lot(lane))
        for lane in self.lanes:
            if lane.queue:
                self._open_lane(lane, at=lane.queue[0].starts_at)
        return events

    def _prebid(self, lot: Lot, bidder: Bidder) -> list[dict]:
        if lot.stage != "prebid":
            return []  # the lane opened early, or the car was bought outright
        if lot.buy_now and lot.current_bid < lot.buy_now and bidder.valuation >= lot.buy_now:
            if self.rng.random() < 0.75:
                return self._end(lot, "bought_now", lot.buy_now)
        if not lot.place_proxy_bid(bidder):
            return []
        return [self._bid_event(lot)]

    def _open_lane(self, lane: Lane, *, at: int) -> None:
        """Plan the next live stage of an idle lane, once: two would run two lots at once."""
        if lane.live is None and lane.queue and not lane.go_live_planned:
            lane.go_live_planned = True
            self._schedule(at, self._go_live, lane)

    def _go_live(self, lane: Lane) -> list[dict]:
        lane.go_live_planned = False
        if not lane.queue:
            return []
        lot = lane.queue.popleft()
        lane.live = lot
        duration = lot.ends_at - lot.starts_at
        lot.stage = "live"
        lot.starts_at = self.now
        lot.ends_at = self.now + duration
        rng = self.rng
        for _ in range(_weighted_count(rng, LIVE_BIDDERS)):
            valuation = self._valuation(lot)
            lot.bidders.append(Bidder(max_bid=lot.ladder_floor(valuation), valuation=valuation))
        self._schedule(self.now + rng.randint(500, 3_000), self._live_bid, lot)
        self._schedule(lot.ends_at, self._close, lot)
        return [self._event("stage", lot_id=lot.id, stage="live", ends_at=format_time(lot.ends_at))]

    def _live_bid(self, lot: Lot) -> list[dict]:
        if lot.stage != "live":
            return []
        candidates = lot.live_candidates()
        if not candidates:
            return []  # nobody goes higher: the hammer falls at ends_at
        lot.place_live_bid(self.rng.choice(candidates), self.now)
        # Bids come quickly while several bidders are in, slowly in the final duel.
        pause = self.rng.uniform(0.3, 1.5) if len(candidates) > 1 else self.rng.uniform(1.0, 4.0)
        self._schedule(self.now + int(pause * 1000), self._live_bid, lot)
        return [self._bid_event(lot)]

    def _close(self, lot: Lot) -> list[dict]:
        if lot.stage != "live":
            return []
        if lot.ends_at > self.now:  # a late bid moved the end
            self._schedule(lot.ends_at, self._close, lot)
            return []
        return self._end(lot, *lot.outcome())

    def _bid_event(self, lot: Lot) -> dict:
        self.bids_sent[lot.id] += 1
        return self._event(
            "bid",
            lot_id=lot.id,
            amount=lot.current_bid,
            bid_count=lot.bid_count,
            ends_at=format_time(lot.ends_at),
            reserve_met=lot.reserve_met,
        )

    def _end(self, lot: Lot, outcome: str, amount: int) -> list[dict]:
        lot.stage = "closed"
        del self.open_lots[lot.id]
        lane = next(lane for lane in self.lanes if lane.name == lot.lane)
        events = [self._event("end", lot_id=lot.id, outcome=outcome, amount=amount)]
        if lane.live is lot:
            lane.live = None
        else:
            lane.queue.remove(lot)  # bought outright before its live stage
        if self._more_to_list():
            if lane.live is None and not lane.queue:
                lane.tail = self.now
            events.append(self._list_lot(lane))
        if lane.queue:
            gap = int(self.rng.uniform(*LOT_GAP_SECONDS) * 1000)
            self._open_lane(lane, at=max(self.now + gap, lane.queue[0].starts_at if outcome == "bought_now" else 0))
        return events


def _weighted_count(rng: random.Random, weights: dict[int, int]) -> int:
    return rng.choices(list(weights), list(weights.values()))[0]
