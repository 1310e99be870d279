"""Writes of the auction side. The feeds process stores each batch of events here, in
one transaction, so what is stored and the source's resume point never disagree."""

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ifixit.auctions import alerts
from ifixit.auctions.models import AuctionSource, FeedHealth, Lot, PriceTick

LOT_FIELDS = [
    "lane", "stage", "make", "model", "trim", "year", "mileage", "mileage_unit", "fuel", "transmission",
    "body_type", "colour", "damage", "condition", "region", "currency", "starts_at", "ends_at",
]
UPDATED_FIELDS = [
    *LOT_FIELDS, "current_bid", "bid_count", "buy_now", "has_reserve", "reserve_met", "outcome", "closed_at", "updated_at",
]


BID_FIELDS = ["current_bid", "bid_count", "reserve_met", "ends_at", "stage", "updated_at"]


def _apply_lot(lot: Lot, data: dict) -> None:
    for name in LOT_FIELDS:
        if data.get(name) is not None:
            value = data[name]
            setattr(lot, name, value)  # checked against the column by feeds.messages.check
    lot.current_bid = max(lot.current_bid, data.get("current_bid") or 0)
    lot.bid_count = max(lot.bid_count, data.get("bid_count") or 0)
    lot.buy_now = data.get("buy_now") or None
    lot.has_reserve = bool(data.get("reserve"))


@transaction.atomic
def feed_events_store(*, source_id: int, events: list[dict]) -> list[dict]:
    """Store in-order, de-duplicated events of one source; return the updates to publish.

    Lots are created or updated, every bid becomes a PriceTick (unique per source and
    seq: a duplicate that slipped through is ignored by the database), and the source's
    last stored seq moves forward in the same transaction.
    """
    if not events:
        return []
    now = timezone.now()
    ids = {e["lot_id"] for e in events if e.get("lot_id")}
    lots = {lot.external_id: lot for lot in Lot.objects.filter(source_id=source_id, external_id__in=ids)}
    before = {ext: (lot.current_bid, lot.make == "?") for ext, lot in lots.items()}  # for alert matching
    new_lots: dict[str, Lot] = {}
    for event in events:
        if event["type"] == "lot" and event["lot_id"] not in lots and event["lot_id"] not in new_lots:
            new_lots[event["lot_id"]] = Lot(source_id=source_id, external_id=event["lot_id"], make="", model="", first_seen_at=now)
        elif event.get("lot_id") and event["lot_id"] not in lots and event["lot_id"] not in new_lots:
            # A price for a lot we never saw announced: keep the price, fill the car in later.
            new_lots[event["lot_id"]] = Lot(source_id=source_id, external_id=event["lot_id"], make="?", model="?", first_seen_at=now)

    for lot_id, lot in new_lots.items():
        first = next((e for e in events if e["type"] == "lot" and e["lot_id"] == lot_id), None)
        if first:
            _apply_lot(lot, first["lot"])
    if new_lots:
        Lot.objects.bulk_create(new_lots.values(), batch_size=500)
        created = Lot.objects.filter(source_id=source_id, external_id__in=list(new_lots))
        lots.update({lot.external_id: lot for lot in created})

    ticks, updates, touched = [], [], {}
    for event in events:
        kind = event["type"]
        if kind == "heartbeat":
            continue
        lot = lots[event["lot_id"]]
        touched[lot.external_id] = lot
        if kind == "lot":
            _apply_lot(lot, event["lot"])
        elif kind == "stage":
            lot.stage = event["stage"]
            if event.get("ends_at"):
                lot.ends_at = event["ends_at"]
        elif kind == "bid":
            lot.current_bid = event["amount"]
            lot.bid_count = event["bid_count"]
            lot.reserve_met = bool(event.get("reserve_met", lot.reserve_met))
            if event.get("ends_at"):
                lot.ends_at = event["ends_at"]
            if lot.stage == Lot.Stage.PREBID and event.get("stage") == "live":
                lot.stage = Lot.Stage.LIVE
            ticks.append(
                PriceTick(source_id=source_id, lot=lot, seq=event["seq"], amount=event["amount"], bid_count=event["bid_count"], at=event["at"], received_at=now)
            )
        elif kind == "end":
            lot.stage = Lot.Stage.CLOSED
            lot.outcome = event["outcome"]
            lot.closed_at = event["at"]
            if event["amount"]:
                lot.current_bid = event["amount"]
        lot.updated_at = now
        updates.append(_update(source_id, lot, event))
    if touched:
        # Most batches are only bids: updating only what bids change keeps the SQL small.
        kinds = {e["type"] for e in events}
        fields = BID_FIELDS if kinds <= {"bid", "heartbeat"} else UPDATED_FIELDS
        _update_lots(list(touched.values()), fields)
    if ticks:
        PriceTick.objects.bulk_create(ticks, batch_size=1000, ignore_conflicts=True)
    last_seq = max(e["seq"] for e in events)
    FeedHealth.objects.filter(source_id=source_id, last_seq__lt=last_seq).update(last_seq=last_seq)
    alerts.feed_batch_stored(touched.values(), before)  # matched by a task after commit, off the feed's path
    return updates


def _update_lots(lots: list[Lot], fields: list[str]) -> None:
    """One UPDATE per lot, sent with executemany: Django's bulk_update builds a CASE
    expression per field and lot, which cost most of the feed's CPU at a few thousand
    updates a second (bench/feeds.py)."""
    meta = Lot._meta
    columns = [meta.get_field(name) for name in fields]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        connection.ops.quote_name(meta.db_table),
        ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns),
        connection.ops.quote_name(meta.pk.column),
    )
    rows = [[f.get_db_prep_save(getattr(lot, f.attname), connection) for f in columns] + [lot.pk] for lot in lots]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _update(source_id: int, lot: Lot, event: dict) -> dict:
    """What a live screen needs to redraw the lot (JSON-ready)."""
    return {
        "type": event["type"],
        "seq": event["seq"],
        "source": source_id,
        "lot": lot.pk,
        "external_id": lot.external_id,
        "stage": lot.stage,
        "current_bid": lot.current_bid,
        "bid_count": lot.bid_count,
        "reserve_met": lot.reserve_met,
        "outcome": lot.outcome,
        "ends_at": lot.ends_at.isoformat() if lot.ends_at else None,
        "at": event["at"].isoformat(),
    }


def feed_health_update(*, source_id: int, **fields) -> None:
    fields["updated_at"] = timezone.now()
    counters = {k: F(k) + v for k, v in fields.items() if k in ("messages", "reconnects", "gaps", "duplicates", "errors") and v}
    plain = {k: v for k, v in fields.items() if k not in ("messages", "reconnects", "gaps", "duplicates", "errors")}
    FeedHealth.objects.filter(source_id=source_id).update(**plain, **counters)


def feed_resync_take(*, source_id: int) -> bool:
    """True once per "resync now" click (a conditional update: two feeds never both take it)."""
    return bool(FeedHealth.objects.filter(source_id=source_id, resync_requested=True).update(resync_requested=False))


def source_set_paused(*, source_id: int, paused: bool) -> AuctionSource:
    source = AuctionSource.objects.get(pk=source_id)
    source.paused = paused
    source.save(update_fields=["paused"])
    if paused:
        FeedHealth.objects.filter(source=source).update(state=FeedHealth.State.PAUSED, updated_at=timezone.now())
    return source


def source_request_resync(*, source_id: int) -> None:
    FeedHealth.objects.get_or_create(source_id=source_id)
    FeedHealth.objects.filter(source_id=source_id).update(resync_requested=True)


# --- The opportunity queue ------------------------------------------------------------------


@transaction.atomic
def opportunity_decide(*, user, lot_id: int, decision: str, max_bid: int | None = None, note: str = "") -> "Opportunity":
    from django.core.exceptions import ValidationError

    from ifixit.auctions.models import Opportunity

    lot = Lot.objects.select_for_update().get(pk=lot_id)
    if decision not in (Opportunity.Decision.WATCH, Opportunity.Decision.BID, Opportunity.Decision.PASS, Opportunity.Decision.LOST):
        raise ValidationError({"decision": "Choose watch, bid, pass or lost (a win is recorded with the car's details)."})
    if decision == Opportunity.Decision.BID and not max_bid:
        raise ValidationError({"max_bid": "Say the most we bid."})
    existing = Opportunity.objects.filter(lot=lot).first()
    if existing and existing.decision == Opportunity.Decision.WON:
        raise ValidationError({"decision": "This lot was won and is a car in stock now."})
    opportunity, _ = Opportunity.objects.update_or_create(
        lot=lot, defaults={"decision": decision, "max_bid": max_bid, "note": note.strip(), "decided_by": user, "decided_at": timezone.now()}
    )
    return opportunity


@transaction.atomic
def opportunity_win(
    *, user, lot_id: int, location, vin: str, registration: str = "", price: int, auction_fees, transport_cost=0
) -> "Opportunity":
    """A won lot becomes a car in stock, purchased at the lot's price with its fees, and the
    two are linked. Runs inventory's own car_create, so every car rule applies."""
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from ifixit.auctions.models import Opportunity
    from ifixit.inventory.services import car_create

    lot = Lot.objects.select_for_update().get(pk=lot_id)
    existing = Opportunity.objects.filter(lot=lot).first()
    if existing and existing.car_id:
        raise ValidationError({"decision": "This lot was already turned into a car."})
    if lot.outcome not in (Lot.Outcome.SOLD, Lot.Outcome.BOUGHT_NOW, Lot.Outcome.ON_APPROVAL):
        raise ValidationError({"decision": "Record a win once the lot has ended sold (or on approval, accepted)."})
    body = lot.body_type if lot.body_type in {"hatchback", "saloon", "estate", "suv", "coupe", "convertible", "mpv", "van", "pickup"} else "hatchback"
    car = car_create(
        user=user,
        location=location,
        phase="purchased",
        note=f"Won at {lot.source.name}, lot {lot.external_id}",
        vin=vin,
        registration=registration,
        make=lot.make,
        model=lot.model,
        trim=lot.trim,
        year=lot.year or timezone.localdate().year,
        mileage=(lot.mileage or 0) if lot.mileage_unit == "mi" else round((lot.mileage or 0) / 1.609344),
        fuel=lot.fuel if lot.fuel in {"petrol", "diesel", "hybrid", "electric"} else "other",
        transmission=lot.transmission if lot.transmission in {"manual", "automatic"} else "manual",
        colour=lot.colour[:30],
        body_type=body,
        purchase_price=Decimal(price),
        auction_fees=Decimal(auction_fees),
        transport_cost=Decimal(transport_cost),
    )
    opportunity, _ = Opportunity.objects.update_or_create(
        lot=lot, defaults={"decision": Opportunity.Decision.WON, "car": car, "decided_by": user, "decided_at": timezone.now()}
    )
    return opportunity
