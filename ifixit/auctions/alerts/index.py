"""The compiled preference index each process keeps: specs of the active preferences and a
lot's facts read from the database, the lots' advice, and the preferences' version in the
cache that tells every process to rebuild (bumped after each preference write commits)."""

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from ifixit import caching
from ifixit.auctions import valuation
from ifixit.auctions.alerts.matching import (
    LotFacts,
    PreferenceIndex,
    PreferenceSpec,
    make_key,
    miles,
    model_key,
    region_key,
)
from ifixit.auctions.models import BiddingPreference, Lot

# The index is caching.READS["auctions.preference-index"], kept in each process's memory.
TOPIC = "bidding-preferences"
# How often a process asks the cache whether the preferences changed, for the feed's
# price check only: the feeds process must not ask Redis on every batch.
THRESHOLDS_RECHECK_SECONDS = 1.0


# --- specs and facts from the database ----------------------------------------------------


def spec_of(pref: BiddingPreference, source_ids: Iterable[int]) -> PreferenceSpec:
    return PreferenceSpec(
        id=pref.pk,
        user_id=pref.user_id,
        makes=frozenset(make_key(m) for m in pref.makes),
        pairs=frozenset((make_key(make), model_key(model)) for make, model in pref.car_models),
        year_min=pref.year_min,
        year_max=pref.year_max,
        mileage_max=pref.mileage_max,
        price_max=pref.price_max,
        min_margin=None if pref.min_margin is None else float(pref.min_margin),
        min_roi=None if pref.min_roi is None else float(pref.min_roi),
        sources=frozenset(source_ids),
        regions=frozenset(region_key(r) for r in pref.regions),
    )


def specs_of(preferences: Sequence[BiddingPreference]) -> list[PreferenceSpec]:
    """Specs of preferences loaded with prefetch_related("sources")."""
    return [spec_of(p, (s.pk for s in p.sources.all())) for p in preferences]


def active_specs() -> list[PreferenceSpec]:
    """Every active preference, in two queries whatever their number."""
    through = BiddingPreference.sources.through
    sources: dict[int, list[int]] = {}
    for pref_id, source_id in through.objects.filter(biddingpreference__active=True).values_list(
        "biddingpreference_id", "auctionsource_id"
    ):
        sources.setdefault(pref_id, []).append(source_id)
    prefs = (
        BiddingPreference.objects.filter(active=True)
        .order_by("id")
        .only(
            "id",
            "user_id",
            "makes",
            "car_models",
            "year_min",
            "year_max",
            "mileage_max",
            "price_max",
            "min_margin",
            "min_roi",
            "regions",
        )
    )
    return [spec_of(p, sources.get(p.pk, ())) for p in prefs]


def lot_facts(lot: Lot, advice=None) -> LotFacts:
    margin = getattr(advice, "expected_margin", None)
    roi = getattr(advice, "expected_roi", None)
    return LotFacts(
        lot_id=lot.pk,
        make=make_key(lot.make),
        model=model_key(lot.model),
        year=lot.year,
        mileage=miles(lot.mileage, lot.mileage_unit),
        price=lot.current_bid if lot.currency == settings.CURRENCY else None,
        source_id=lot.source_id,
        region=region_key(lot.region),
        margin=None if margin is None else float(margin),
        roi=None if roi is None else float(roi),
        open=lot.stage != Lot.Stage.CLOSED,
    )


def lots_advice(lots: list[Lot]) -> dict[int, object]:
    """Expected margin and ROI per lot id (auctions.valuation: none without a valuation, and
    then margin and ROI minimums simply match nothing)."""
    return valuation.lot_advice_many(lots)


# --- the compiled index, per process, rebuilt when preferences change ---------------------


def preferences_changed() -> None:
    """Call inside the transaction of any preference write: after commit, every process
    rebuilds its index (bumping before commit would let a worker rebuild from the old rows
    and keep them under the new version)."""
    transaction.on_commit(_bump_version, robust=True)  # a cache hiccup must not fail a saved change


def _bump_version() -> None:
    caching.bump(TOPIC)
    _thresholds.checked_at = -math.inf  # this process sees its own change at once


def _version() -> str:
    return caching.versions_of([TOPIC])  # never set, or the cache was emptied: a new one, every process rebuilds


@dataclass
class _Cached:
    lock: threading.Lock = field(default_factory=threading.Lock)
    version: str | None = None
    index: PreferenceIndex | None = None
    thresholds: list = field(default_factory=list)
    checked_at: float = -math.inf


_index = _Cached()
_thresholds = _Cached()


def current_index() -> PreferenceIndex:
    version = _version()  # read before the rows: a change committed meanwhile bumps it again
    with _index.lock:
        if _index.index is None or _index.version != version:
            _index.index = PreferenceIndex(active_specs())
            _index.version = version
        return _index.index


def price_thresholds() -> list[int]:
    """The distinct maxima of active preferences, sorted; at most a second old in a process
    that did not change them itself."""
    now = time.monotonic()
    with _thresholds.lock:
        if now - _thresholds.checked_at >= THRESHOLDS_RECHECK_SECONDS:
            version = _version()
            if version != _thresholds.version:
                _thresholds.thresholds = sorted(
                    BiddingPreference.objects.filter(active=True, price_max__isnull=False)
                    .values_list("price_max", flat=True)
                    .distinct()
                )
                _thresholds.version = version
            _thresholds.checked_at = now
        return _thresholds.thresholds
