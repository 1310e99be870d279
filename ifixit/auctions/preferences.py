"""Bidding preferences, lot watches and alert channels: the writes (services) and the reads
(selectors) that the pages and the API share. Everything here is the signed-in user's own:
another user's preference or watch is not found, never forbidden (no ids are confirmed)."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit import vocabulary
from ifixit.auctions import alerts
from ifixit.auctions.models import AuctionSource, BiddingPreference, Lot, LotAlert, LotWatch
from ifixit.notifications import selectors as notification_selectors
from ifixit.notifications import services as notification_services

MAX_PRICE = 10_000_000  # feeds.messages.MAX_AMOUNT: no lot is ever dearer
MAX_MILEAGE = 5_000_000
YEAR_MIN = 1900
MAX_REMINDER_MINUTES = 120
# The preview on the preferences page: lots first seen this recently, at most this many.
RECENT_DAYS = 7
RECENT_LOTS = 5_000
# Advice is asked for at most this many of the preview's lots (margin and ROI minimums).
RECENT_ADVICE_LOTS = 300
VOCABULARY_KEY = "auctions:lot-vocabulary"
VOCABULARY_SECONDS = 10 * 60

ALERT_KINDS = ("lot_match", "lot_price", "lot_reminder")
CHANNELS = ("in_app", "email", "sms")


# --- what lots have offered (the editor's choices) ------------------------------------------


@dataclass(frozen=True)
class LotVocabulary:
    makes: list[str]
    models: list[tuple[str, str]]  # (make, model)
    regions: list[str]


def lot_vocabulary() -> LotVocabulary:
    """Makes (the known ones and any lot's), make+model pairs and regions lots have come with,
    in vocabulary spelling. Cached for a few minutes: it reads the whole lot table."""
    cached = cache.get(VOCABULARY_KEY)
    if cached is not None:
        return LotVocabulary(cached["makes"], [tuple(p) for p in cached["models"]], cached["regions"])
    seen = Lot.objects.exclude(make="?").values_list("make", "model").distinct()
    pairs = {(vocabulary.make(make), vocabulary.model(model)) for make, model in seen}
    regions = {" ".join(r.split()) for r in Lot.objects.exclude(region="").values_list("region", flat=True).distinct()}
    makes = sorted(set(vocabulary.MAKES) | {make for make, _ in pairs if make})
    result = LotVocabulary(makes, sorted(p for p in pairs if p[0] and p[1]), sorted(regions, key=str.casefold))
    cache.set(VOCABULARY_KEY, {"makes": result.makes, "models": result.models, "regions": result.regions}, VOCABULARY_SECONDS)
    return result


# --- preferences: writes --------------------------------------------------------------------


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

    known = lot_vocabulary()
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
    if data.year_min is not None and data.year_max is not None and data.year_min > data.year_max and not errors.get("year_min"):
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
        "name": name, "active": bool(data.active), "makes": makes, "car_models": models, "year_min": data.year_min,
        "year_max": data.year_max, "mileage_max": data.mileage_max, "price_max": data.price_max,
        "min_margin": data.min_margin, "min_roi": data.min_roi, "regions": regions, "sources": source_ids,
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
        name=preference.name, active=preference.active, makes=list(preference.makes),
        models=[tuple(p) for p in preference.car_models], year_min=preference.year_min, year_max=preference.year_max,
        mileage_max=preference.mileage_max, price_max=preference.price_max, min_margin=preference.min_margin,
        min_roi=preference.min_roi, sources=[s.pk for s in preference.sources.all()], regions=list(preference.regions),
    )


# --- preferences: reads ---------------------------------------------------------------------


def preferences_of(user: User) -> QuerySet[BiddingPreference]:
    return BiddingPreference.objects.filter(user=user).prefetch_related("sources").order_by("name", "id")


def alerts_of(user: User) -> QuerySet[LotAlert]:
    return LotAlert.objects.filter(user=user).select_related("lot__source", "preference").order_by("-created_at", "-id")


def watches_of(user: User) -> QuerySet[LotWatch]:
    return LotWatch.objects.filter(user=user).select_related("lot__source").order_by("-created_at", "-id")


@dataclass
class RecentMatches:
    counts: dict[int, int]  # preference id -> lots matched
    lots: int  # lots looked at
    days: int
    advice_missing: bool  # margin/ROI minimums could not be checked for some lots


def _column(values, dtype, default):
    return np.array([default if v is None else v for v in values], dtype=dtype)


def recent_matches(preferences: Sequence[BiddingPreference], *, now: datetime.datetime | None = None) -> RecentMatches:
    """How many of the lots first seen in the last RECENT_DAYS days (the latest RECENT_LOTS)
    each preference would have matched at their current price, active or not: one query for
    the lots, whatever the number of preferences; the same rules as alerts.decide, evaluated
    a preference at a time over columns of lots (the feed does the transpose)."""
    now = now or timezone.now()
    if not preferences:
        return RecentMatches({}, 0, RECENT_DAYS, False)
    rows = list(
        Lot.objects.filter(first_seen_at__gte=now - datetime.timedelta(days=RECENT_DAYS))
        .exclude(make="?")
        .order_by("-first_seen_at", "-id")
        .values_list("id", "make", "model", "year", "mileage", "mileage_unit", "current_bid", "currency", "source_id", "region")[:RECENT_LOTS]
    )
    specs = alerts.specs_of(preferences)
    counts = {p.pk: 0 for p in preferences}
    if not rows:
        return RecentMatches(counts, 0, RECENT_DAYS, False)
    ids, makes, models, years, mileages, units, bids, currencies, sources, regions = zip(*rows)
    make = np.array([alerts.make_key(m) for m in makes], dtype=object)
    pair = np.array([f"{alerts.make_key(a)}\x1f{alerts.model_key(b)}" for a, b in zip(makes, models)], dtype=object)
    region = np.array([alerts.region_key(r) for r in regions], dtype=object)
    year = _column(years, np.int64, -1)
    mileage = _column([alerts.miles(m, u) for m, u in zip(mileages, units)], np.int64, -1)
    ours = np.array(currencies, dtype=object) == settings.CURRENCY
    price = np.array(bids, dtype=np.int64)
    source = np.array(sources, dtype=np.int64)

    masks = {}
    for spec in specs:
        mask = np.ones(len(rows), dtype=bool)
        if spec.makes or spec.pairs:
            any_model = spec.makes - {m for m, _ in spec.pairs}
            mask &= np.isin(make, list(any_model)) | np.isin(pair, [f"{a}\x1f{b}" for a, b in spec.pairs])
        if spec.sources:
            mask &= np.isin(source, list(spec.sources))
        if spec.regions:
            mask &= np.isin(region, list(spec.regions))
        if spec.year_min is not None or spec.year_max is not None:
            mask &= (year >= 0) & (year >= (spec.year_min or 0)) & (year <= (spec.year_max or 9999))
        if spec.mileage_max is not None:
            mask &= (mileage >= 0) & (mileage <= spec.mileage_max)
        if spec.price_max is not None:
            mask &= ours & (price <= spec.price_max)
        masks[spec.id] = mask

    # Margin and ROI need advice: asked only for lots that passed everything else.
    wanting = [s for s in specs if s.min_margin is not None or s.min_roi is not None]
    advice_missing = False
    if wanting:
        union = np.zeros(len(rows), dtype=bool)
        for spec in wanting:
            union |= masks[spec.id]
        positions = np.flatnonzero(union)[:RECENT_ADVICE_LOTS]
        advice_missing = bool(np.flatnonzero(union).size > positions.size)
        wanted_ids = [ids[i] for i in positions]
        advice = alerts.lots_advice(list(Lot.objects.filter(pk__in=wanted_ids).select_related("source"))) if wanted_ids else {}
        advice_missing = advice_missing or (bool(wanted_ids) and not advice)
        margin = np.full(len(rows), -np.inf)
        roi = np.full(len(rows), -np.inf)
        checked = np.zeros(len(rows), dtype=bool)
        for i in positions:
            item = advice.get(ids[i])
            if item is not None:
                checked[i] = True
                if getattr(item, "expected_margin", None) is not None:
                    margin[i] = float(item.expected_margin)
                if getattr(item, "expected_roi", None) is not None:
                    roi[i] = float(item.expected_roi)
        for spec in wanting:
            mask = masks[spec.id] & checked
            if spec.min_margin is not None:
                mask &= margin >= spec.min_margin
            if spec.min_roi is not None:
                mask &= roi >= spec.min_roi
            masks[spec.id] = mask
    return RecentMatches({pid: int(mask.sum()) for pid, mask in masks.items()}, len(rows), RECENT_DAYS, advice_missing)


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
            user=user, lot=lot, defaults={"remind_before_start": remind_before_start, "remind_before_end": remind_before_end}
        )
    return watch


def lot_unwatch(*, user: User, lot_id: int) -> bool:
    deleted, _ = LotWatch.objects.filter(user=user, lot_id=lot_id).delete()
    return bool(deleted)


def watch_of(user: User, lot_id: int) -> LotWatch | None:
    return LotWatch.objects.filter(user=user, lot_id=lot_id).first()


# --- channels: the notification centre's choices for the lot-alert kinds --------------------


def alert_channels_of(user: User) -> dict[str, dict[str, bool]]:
    """{kind: {"in_app", "email", "sms"}} for the three lot-alert kinds (one query)."""
    choices = {c.kind.key: c for c in notification_selectors.choices_for(user)}
    return {kind: {channel: choices[kind].wants(channel) for channel in CHANNELS} for kind in ALERT_KINDS}


def alert_channels_save(*, user: User, channels: dict[str, Iterable[str]]) -> None:
    """Set how each lot-alert kind reaches the user, through the notification centre's own
    service (its rules: SMS needs a mobile number, email an address), keeping each kind's
    timing, the user's digest time and mobile as they are."""
    unknown = set(channels) - set(ALERT_KINDS)
    if unknown:
        raise ValidationError({"channels": f"Unknown alert kind(s): {', '.join(sorted(unknown))}."})
    bad = {c for chosen in channels.values() for c in chosen} - set(CHANNELS)
    if bad:
        raise ValidationError({"channels": f"Unknown channel(s): {', '.join(sorted(bad))}; use in_app, email or sms."})
    timing = {c.kind.key: c.timing for c in notification_selectors.choices_for(user)}
    notification_services.preferences_save(
        user=user,
        choices={kind: {**{c: c in set(chosen) for c in CHANNELS}, "timing": timing[kind]} for kind, chosen in channels.items()},
        digest_time=notification_selectors.digest_time_for(user),
        mobile=user.mobile,
    )
