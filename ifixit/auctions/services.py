"""Writes of the auction side. The feeds process stores each batch of events here, in
one transaction, so what is stored and the source's resume point never disagree. A user's
bidding preferences, lot watches and alert channels are written here too (the pages and the
API share these): only ever the signed-in user's own."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ifixit import caching, vocabulary
from ifixit.accounts.models import User
from ifixit.auctions import alerts, selectors
from ifixit.auctions.models import AuctionSource, BiddingPreference, FeedHealth, Lot, LotWatch, Opportunity, PriceTick
from ifixit.jobs import outbox
from ifixit.notifications import selectors as notification_selectors
from ifixit.notifications import services as notification_services

MAX_PRICE = 10_000_000  # feeds.messages.MAX_AMOUNT: no lot is ever dearer
MAX_MILEAGE = 5_000_000
YEAR_MIN = 1900
MAX_REMINDER_MINUTES = 120

LOT_FIELDS = [
    "lane",
    "stage",
    "make",
    "model",
    "trim",
    "year",
    "mileage",
    "mileage_unit",
    "fuel",
    "transmission",
    "body_type",
    "colour",
    "damage",
    "condition",
    "region",
    "currency",
    "starts_at",
    "ends_at",
]
UPDATED_FIELDS = [
    *LOT_FIELDS,
    "current_bid",
    "bid_count",
    "buy_now",
    "has_reserve",
    "reserve_met",
    "outcome",
    "closed_at",
    "updated_at",
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
            new_lots[event["lot_id"]] = Lot(
                source_id=source_id, external_id=event["lot_id"], make="", model="", first_seen_at=now
            )
        elif event.get("lot_id") and event["lot_id"] not in lots and event["lot_id"] not in new_lots:
            # A price for a lot we never saw announced: keep the price, fill the car in later.
            new_lots[event["lot_id"]] = Lot(
                source_id=source_id, external_id=event["lot_id"], make="?", model="?", first_seen_at=now
            )

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
                PriceTick(
                    source_id=source_id,
                    lot=lot,
                    seq=event["seq"],
                    amount=event["amount"],
                    bid_count=event["bid_count"],
                    at=event["at"],
                    received_at=now,
                )
            )
        elif kind == "end":
            lot.stage = Lot.Stage.CLOSED
            lot.outcome = event["outcome"]
            lot.closed_at = event["at"]
            if event["amount"]:
                lot.current_bid = event["amount"]
        lot.updated_at = now
        updates.append(_update(source_id, lot, event))
    if new_lots or "lot" in {e["type"] for e in events}:
        caching.changed("lots")  # the preference editor's makes, models and regions (not bids: too often)
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
    counters = {
        k: F(k) + v for k, v in fields.items() if k in ("messages", "reconnects", "gaps", "duplicates", "errors") and v
    }
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


def webhook_accept(*, source: AuctionSource, body: bytes, timestamp: str, signature_header: str) -> None:
    """Check and keep one event a platform pushed (raises webhooks.Refused), then, after
    commit, have a task store the source's inbox: the platform is answered at once."""
    # Imported here: both import this module (webhooks stores through feed_events_store).
    from ifixit.auctions import webhooks
    from ifixit.auctions.tasks import process_webhook_inbox

    webhooks.webhook_receive(source=source, body=body, timestamp=timestamp, signature_header=signature_header)
    outbox.enqueue(process_webhook_inbox, [source.pk], about=source)


# --- The opportunity queue ------------------------------------------------------------------


@transaction.atomic
def opportunity_decide(
    *, user, lot_id: int, decision: str, max_bid: int | None = None, note: str = ""
) -> "Opportunity":
    lot = Lot.objects.select_for_update().get(pk=lot_id)
    if decision not in (
        Opportunity.Decision.WATCH,
        Opportunity.Decision.BID,
        Opportunity.Decision.PASS,
        Opportunity.Decision.LOST,
    ):
        raise ValidationError(
            {"decision": "Choose watch, bid, pass or lost (a win is recorded with the car's details)."}
        )
    if decision == Opportunity.Decision.BID and not max_bid:
        raise ValidationError({"max_bid": "Say the most we bid."})
    existing = Opportunity.objects.filter(lot=lot).first()
    if existing and existing.decision == Opportunity.Decision.WON:
        raise ValidationError({"decision": "This lot was won and is a car in stock now."})
    opportunity, _ = Opportunity.objects.update_or_create(
        lot=lot,
        defaults={
            "decision": decision,
            "max_bid": max_bid,
            "note": note.strip(),
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    return opportunity


@transaction.atomic
def opportunity_win(
    *, user, lot_id: int, location, vin: str, registration: str = "", price: int, auction_fees, transport_cost=0
) -> "Opportunity":
    """A won lot becomes a car in stock, purchased at the lot's price with its fees, and the
    two are linked. Runs inventory's own car_create, so every car rule applies."""
    from ifixit.inventory.services import car_create

    lot = Lot.objects.select_for_update().get(pk=lot_id)
    existing = Opportunity.objects.filter(lot=lot).first()
    if existing and existing.car_id:
        raise ValidationError({"decision": "This lot was already turned into a car."})
    if lot.outcome not in (Lot.Outcome.SOLD, Lot.Outcome.BOUGHT_NOW, Lot.Outcome.ON_APPROVAL):
        raise ValidationError({"decision": "Record a win once the lot has ended sold (or on approval, accepted)."})
    body = (
        lot.body_type
        if lot.body_type in {"hatchback", "saloon", "estate", "suv", "coupe", "convertible", "mpv", "van", "pickup"}
        else "hatchback"
    )
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
        lot=lot,
        defaults={"decision": Opportunity.Decision.WON, "car": car, "decided_by": user, "decided_at": timezone.now()},
    )
    return opportunity


# --- bidding preferences -------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceInput:
    """A whole preference as the user gave it (the page's form and the API's serializer make one)."""

    name: str
    active: bool = True
    makes: Sequence[str] = ()
    models: Sequence[tuple[str, str]] = ()
    year_min: int | None = None
    year_max: int | None = None
    mileage_max: int | None = None
    price_max: int | None = None
    min_margin: Decimal | None = None
    min_roi: Decimal | None = None
    sources: Sequence[int] = ()
    regions: Sequence[str] = ()


def _clean(data: PreferenceInput) -> dict:
    """Spellings made canonical and every rule checked at once: raises ValidationError keyed by
    field, so all of a form's mistakes show together."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    known = selectors.lot_vocabulary()
    name = " ".join((data.name or "").split())
    if not name:
        fail("name", "Give the preference a name.")
    elif len(name) > 80:
        fail("name", "At most 80 characters.")
    known_makes = {m.casefold() for m in known.makes}
    makes = []
    for raw in data.makes:
        make = vocabulary.make(str(raw))
        if make.casefold() not in known_makes:
            fail("makes", f"“{raw}” is not a make we know.")
        elif make not in makes:
            makes.append(make)
    models = []
    for pair in data.models:
        try:
            raw_make, raw_model = pair
        except (TypeError, ValueError):
            fail("models", "Give each model with its make.")
            continue
        make, model = vocabulary.make(str(raw_make)), vocabulary.model(str(raw_model))
        if make.casefold() not in known_makes:
            fail("models", f"“{raw_make}” is not a make we know.")
        elif not model or len(model) > 50:
            fail("models", f"Give a model of {make} (up to 50 characters).")
        elif [make, model] not in models:
            models.append([make, model])
    this_year = timezone.localdate().year
    for field in ("year_min", "year_max"):
        year = getattr(data, field)
        if year is not None and not YEAR_MIN <= year <= this_year + 1:
            fail(field, f"A year from {YEAR_MIN} to {this_year + 1}.")
    if (
        data.year_min is not None
        and data.year_max is not None
        and data.year_min > data.year_max
        and not errors.get("year_min")
    ):
        fail("year_max", "The latest year cannot be before the earliest.")
    if data.mileage_max is not None and not 0 <= data.mileage_max <= MAX_MILEAGE:
        fail("mileage_max", f"From 0 to {MAX_MILEAGE:,} miles.")
    if data.price_max is not None and not 0 <= data.price_max <= MAX_PRICE:
        fail("price_max", f"From 0 to {MAX_PRICE:,}.")
    if data.min_margin is not None and not Decimal(0) <= data.min_margin <= Decimal(MAX_PRICE):
        fail("min_margin", f"From 0 to {MAX_PRICE:,}.")
    if data.min_roi is not None and not Decimal(-100) <= data.min_roi <= Decimal(1000):
        fail("min_roi", "A percentage from −100 to 1,000.")
    source_ids = sorted({int(s) for s in data.sources})
    found = set(AuctionSource.objects.filter(pk__in=source_ids).values_list("pk", flat=True))
    if set(source_ids) - found:
        fail("sources", "Choose sources from the list.")
    by_key = {alerts.region_key(r): r for r in known.regions}
    regions = []
    for raw in data.regions:
        region = by_key.get(alerts.region_key(str(raw)))
        if region is None:
            fail("regions", f"No lot has come from “{raw}”; choose regions from the list.")
        elif region not in regions:
            regions.append(region)
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "active": bool(data.active),
        "makes": makes,
        "car_models": models,
        "year_min": data.year_min,
        "year_max": data.year_max,
        "mileage_max": data.mileage_max,
        "price_max": data.price_max,
        "min_margin": data.min_margin,
        "min_roi": data.min_roi,
        "regions": regions,
        "sources": source_ids,
    }


def preference_save(*, user: User, data: PreferenceInput, preference_id: int | None = None) -> BiddingPreference:
    """Create (no id) or replace one of the user's preferences, all or nothing."""
    fields = _clean(data)
    sources = fields.pop("sources")
    try:
        with transaction.atomic():
            if preference_id is None:
                preference = BiddingPreference(user=user)
            else:
                preference = BiddingPreference.objects.select_for_update().get(user=user, pk=preference_id)
            for name, value in fields.items():
                setattr(preference, name, value)
            preference.updated_at = timezone.now()
            preference.save()
            preference.sources.set(sources)
            alerts.preferences_changed()
    except IntegrityError:
        if BiddingPreference.objects.filter(user=user, name=fields["name"]).exclude(pk=preference_id).exists():
            raise ValidationError({"name": "You already have a preference of this name."}) from None
        raise
    return preference


@transaction.atomic
def preference_set_active(*, user: User, preference_id: int, active: bool) -> BiddingPreference:
    preference = BiddingPreference.objects.select_for_update().get(user=user, pk=preference_id)
    if preference.active != active:
        preference.active = active
        preference.updated_at = timezone.now()
        preference.save(update_fields=["active", "updated_at"])
        alerts.preferences_changed()
    return preference


@transaction.atomic
def preference_delete(*, user: User, preference_id: int) -> None:
    """Its past alerts stay (they were sent), without the preference's name."""
    deleted, _ = BiddingPreference.objects.filter(user=user, pk=preference_id).delete()
    if not deleted:
        raise BiddingPreference.DoesNotExist
    alerts.preferences_changed()


def preference_input_of(preference: BiddingPreference) -> PreferenceInput:
    """The input that would save the preference as it is (PATCH merges changes into it)."""
    return PreferenceInput(
        name=preference.name,
        active=preference.active,
        makes=list(preference.makes),
        models=[tuple(p) for p in preference.car_models],
        year_min=preference.year_min,
        year_max=preference.year_max,
        mileage_max=preference.mileage_max,
        price_max=preference.price_max,
        min_margin=preference.min_margin,
        min_roi=preference.min_roi,
        sources=[s.pk for s in preference.sources.all()],
        regions=list(preference.regions),
    )


# --- watches ----------------------------------------------------------------------------------


def lot_watch(*, user: User, lot_id: int, remind_before_start: int = 10, remind_before_end: int = 5) -> LotWatch:
    """Watch a lot (or change a watch's reminders): raises Lot.DoesNotExist for no such lot."""
    errors = {}
    for field, minutes in (("remind_before_start", remind_before_start), ("remind_before_end", remind_before_end)):
        if not isinstance(minutes, int) or not 0 <= minutes <= MAX_REMINDER_MINUTES:
            errors[field] = f"Minutes from 0 (no reminder) to {MAX_REMINDER_MINUTES}."
    if errors:
        raise ValidationError(errors)
    lot = Lot.objects.get(pk=lot_id)
    with transaction.atomic():
        watch, _ = LotWatch.objects.update_or_create(
            user=user,
            lot=lot,
            defaults={"remind_before_start": remind_before_start, "remind_before_end": remind_before_end},
        )
    return watch


def lot_unwatch(*, user: User, lot_id: int) -> bool:
    deleted, _ = LotWatch.objects.filter(user=user, lot_id=lot_id).delete()
    return bool(deleted)


# --- channels: the notification centre's choices for the lot-alert kinds --------------------


def alert_channels_save(*, user: User, channels: dict[str, Iterable[str]]) -> None:
    """Set how each lot-alert kind reaches the user, through the notification centre's own
    service (its rules: SMS needs a mobile number, email an address), keeping each kind's
    timing, the user's digest time and mobile as they are."""
    unknown = set(channels) - set(selectors.ALERT_KINDS)
    if unknown:
        raise ValidationError({"channels": f"Unknown alert kind(s): {', '.join(sorted(unknown))}."})
    bad = {c for chosen in channels.values() for c in chosen} - set(selectors.CHANNELS)
    if bad:
        raise ValidationError({"channels": f"Unknown channel(s): {', '.join(sorted(bad))}; use in_app, email or sms."})
    timing = {c.kind.key: c.timing for c in notification_selectors.choices_for(user)}
    notification_services.preferences_save(
        user=user,
        choices={
            kind: {**{c: c in set(chosen) for c in selectors.CHANNELS}, "timing": timing[kind]}
            for kind, chosen in channels.items()
        },
        digest_time=notification_selectors.digest_time_for(user),
        mobile=user.mobile,
    )
