"""Feed events: what is refused as malformed, and how a batch is stored."""

import json

import pytest

from ifixit.auctions import services
from ifixit.auctions.feeds import messages
from ifixit.auctions.models import AuctionSource, FeedHealth, Lot, PriceTick

AT = "2026-11-24T10:00:00Z"
LOT = {"id": "L1", "make": "Ford", "model": "Focus", "year": 2018, "mileage": 48000, "stage": "prebid",
       "ends_at": "2026-11-24T10:05:00Z", "reserve": True, "buy_now": 6500, "current_bid": 0, "bid_count": 0}


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"type": "gossip", "seq": 1, "at": AT}), "unknown event type"),
        (json.dumps({"type": "bid", "seq": "7", "at": AT, "lot_id": "L1", "amount": 100}), "seq must be an integer"),
        (json.dumps({"type": "bid", "seq": 7, "at": AT, "lot_id": "L1", "amount": -5}), "amount"),
        (json.dumps({"type": "bid", "seq": 7, "at": "yesterday", "lot_id": "L1", "amount": 5}), "ISO 8601"),
        (json.dumps({"type": "bid", "seq": 7, "at": "2026-11-24T10:00:00", "lot_id": "L1", "amount": 5}), "time zone"),
        (json.dumps({"type": "end", "seq": 7, "at": AT, "lot_id": "L1", "outcome": "stolen"}), "unknown outcome"),
        (json.dumps({"type": "lot", "seq": 7, "at": AT, "lot": {"id": "L1"}}), "lot.make"),
        ("x" * (messages.MAX_MESSAGE_BYTES + 1), "over the"),
    ],
)
def test_malformed_messages_are_refused_with_the_reason(raw, reason):
    with pytest.raises(messages.MalformedMessage, match=reason):
        messages.parse(raw)


def event(kind, seq, **fields):
    return messages.check({"type": kind, "seq": seq, "at": AT, **fields})


@pytest.fixture
def source(db):
    source = AuctionSource.objects.create(name="Sim", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    return source


def test_a_batch_creates_the_lot_its_ticks_and_moves_the_resume_point(source):
    updates = services.feed_events_store(
        source_id=source.pk,
        events=[
            event("lot", 1, lot=dict(LOT)),
            event("stage", 2, lot_id="L1", stage="live"),
            event("bid", 3, lot_id="L1", amount=1000, bid_count=1),
            event("bid", 4, lot_id="L1", amount=1050, bid_count=2, reserve_met=True),
            event("end", 5, lot_id="L1", outcome="sold", amount=1050),
        ],
    )
    lot = Lot.objects.get(source=source, external_id="L1")
    assert (lot.make, lot.stage, lot.current_bid, lot.bid_count, lot.outcome, lot.reserve_met) == ("Ford", "closed", 1050, 2, "sold", True)
    assert list(PriceTick.objects.values_list("seq", "amount")) == [(3, 1000), (4, 1050)]
    assert FeedHealth.objects.get(source=source).last_seq == 5
    assert [u["type"] for u in updates] == ["lot", "stage", "bid", "bid", "end"] and updates[-1]["lot"] == lot.pk


def test_a_repeated_batch_stores_no_tick_twice(source):
    batch = [event("lot", 1, lot=dict(LOT)), event("bid", 2, lot_id="L1", amount=500, bid_count=1)]
    services.feed_events_store(source_id=source.pk, events=batch)
    services.feed_events_store(source_id=source.pk, events=[event("bid", 2, lot_id="L1", amount=500, bid_count=1)])
    assert PriceTick.objects.count() == 1 and Lot.objects.count() == 1


def test_a_price_for_an_unannounced_lot_is_kept(source):
    services.feed_events_store(source_id=source.pk, events=[event("bid", 9, lot_id="GHOST", amount=700, bid_count=3)])
    lot = Lot.objects.get(external_id="GHOST")
    assert lot.current_bid == 700 and lot.ticks.count() == 1


def test_the_resume_point_never_goes_back(source):
    services.feed_events_store(source_id=source.pk, events=[event("lot", 10, lot=dict(LOT))])
    services.feed_events_store(source_id=source.pk, events=[event("bid", 4, lot_id="L1", amount=25, bid_count=1)])
    assert FeedHealth.objects.get(source=source).last_seq == 10


def test_credentials_never_show_in_repr_or_str(db):
    source = AuctionSource(name="Copart-ish", url="https://x.example.com", api_key="s3cret-key", webhook_secret="whsec")
    assert "s3cret" not in repr(source) and "s3cret" not in str(source) and "whsec" not in repr(source)


@pytest.mark.parametrize(
    "field, value",
    [("mileage", -1), ("year", "abc"), ("buy_now", "x"), ("colour", "c" * 31), ("mileage_unit", "miles"), ("lane", 7)],
)
def test_a_lot_field_that_would_not_fit_its_column_is_malformed_not_a_failed_batch(field, value):
    lot = dict(LOT, **{field: value})
    with pytest.raises(messages.MalformedMessage, match=f"lot.{field}"):
        messages.check({"type": "lot", "seq": 1, "at": AT, "lot": lot})
