"""Reads of the auction side. Auctions are the group's, not a location's: who may look is
a matter of role (auctions.view_lot), checked in the views. A user's bidding preferences,
lot watches, alerts and alert channels are theirs alone: another user's preference or watch
is not found, never forbidden (no ids are confirmed)."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from ifixit import caching, vocabulary
from ifixit.accounts.models import User
from ifixit.auctions import alerts
from ifixit.auctions.models import AuctionSource, BiddingPreference, Lot, LotAlert, LotWatch, PriceTick
from ifixit.notifications import selectors as notification_selectors

# The preview on the preferences page: lots first seen this recently, at most this many.
RECENT_DAYS = 7
RECENT_LOTS = 5_000
# Advice is asked for at most this many of the preview's lots (margin and ROI minimums).
RECENT_ADVICE_LOTS = 300
# Deleting this renews the vocabulary (the version of the topic it is cached under).
VOCABULARY_KEY = "topic:lots"

ALERT_KINDS = ("lot_match", "lot_price", "lot_reminder")
CHANNELS = ("in_app", "email", "sms")


@dataclass(frozen=True)
class LotFilters:
    source: int | None = None
    make: str = ""
    price_min: int | None = None
    price_max: int | None = None
    stage: str = ""  # "" = open (pre-bid and live), or a stage


def lot_board(*, filters: LotFilters) -> QuerySet[Lot]:
    """Open lots, ending soonest first (one query with the source)."""
    lots = Lot.objects.select_related("source")
    lots = lots.filter(stage=filters.stage) if filters.stage else lots.exclude(stage=Lot.Stage.CLOSED)
    if filters.source:
        lots = lots.filter(source_id=filters.source)
    if filters.make:
        lots = lots.filter(make__iexact=filters.make)
    if filters.price_min is not None:
        lots = lots.filter(current_bid__gte=filters.price_min)
    if filters.price_max is not None:
        lots = lots.filter(current_bid__lte=filters.price_max)
    return lots.order_by("ends_at", "id")


def lot_makes() -> list[str]:
    return list(Lot.objects.exclude(stage=Lot.Stage.CLOSED).order_by("make").values_list("make", flat=True).distinct())


def lot_ticks(*, lot: Lot, limit: int = 500) -> list[PriceTick]:
    """The latest `limit` prices of a lot, oldest first."""
    return list(reversed(lot.ticks.order_by("-seq")[:limit]))


def sources() -> QuerySet[AuctionSource]:
    return AuctionSource.objects.select_related("health").order_by("name")


# --- what lots have offered (the preference editor's choices) ------------------------------


@dataclass(frozen=True)
class LotVocabulary:
    makes: list[str]
    models: list[tuple[str, str]]  # (make, model)
    regions: list[str]


def lot_vocabulary() -> LotVocabulary:
    """Makes (the known ones and any lot's), make+model pairs and regions lots have come with,
    in vocabulary spelling. Cached until a feed announces or describes a lot: it reads the whole
    lot table."""
    cached = caching.READS["auctions.lot-vocabulary"].get_or_compute(_lot_vocabulary)
    return LotVocabulary(cached["makes"], [tuple(p) for p in cached["models"]], cached["regions"])


def _lot_vocabulary() -> dict:
    seen = Lot.objects.exclude(make="?").values_list("make", "model").distinct()
    pairs = {(vocabulary.make(make), vocabulary.model(model)) for make, model in seen}
    regions = {" ".join(r.split()) for r in Lot.objects.exclude(region="").values_list("region", flat=True).distinct()}
    makes = sorted(set(vocabulary.MAKES) | {make for make, _ in pairs if make})
    return {
        "makes": makes,
        "models": sorted(p for p in pairs if p[0] and p[1]),
        "regions": sorted(regions, key=str.casefold),
    }


# --- bidding preferences, alerts and watches: the user's own ----------------------------------


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
        .values_list(
            "id", "make", "model", "year", "mileage", "mileage_unit", "current_bid", "currency", "source_id", "region"
        )[:RECENT_LOTS]
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
        advice = (
            alerts.lots_advice(list(Lot.objects.filter(pk__in=wanted_ids).select_related("source")))
            if wanted_ids
            else {}
        )
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


def watch_of(user: User, lot_id: int) -> LotWatch | None:
    return LotWatch.objects.filter(user=user, lot_id=lot_id).first()


# --- channels: the notification centre's choices for the lot-alert kinds --------------------


def alert_channels_of(user: User) -> dict[str, dict[str, bool]]:
    """{kind: {"in_app", "email", "sms"}} for the three lot-alert kinds (one query)."""
    choices = {c.kind.key: c for c in notification_selectors.choices_for(user)}
    return {kind: {channel: choices[kind].wants(channel) for channel in CHANNELS} for kind in ALERT_KINDS}
