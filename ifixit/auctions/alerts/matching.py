"""The pure lot matcher: one spelling for what is compared (make, model, region, miles), a
lot's facts and an active preference's spec as matching sees them, the preferences compiled
into numpy columns (`PreferenceIndex`), and `decide`, which says which preferences a lot
alerts and why (the rules are in the package's docstring). Nothing here reads the database."""

import bisect
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ifixit import vocabulary
from ifixit.auctions.models import LotAlert

KM_PER_MILE = 1.609344
BIG = np.iinfo(np.int64).max

Reason = LotAlert.Reason


# --- one spelling for what is compared ---------------------------------------------------


@functools.lru_cache(maxsize=8192)
def make_key(value: str) -> str:
    return vocabulary.make(value or "").casefold()


@functools.lru_cache(maxsize=8192)
def model_key(value: str) -> str:
    return vocabulary.model(value or "").casefold()


def region_key(value: str) -> str:
    return " ".join((value or "").split()).casefold()


def miles(mileage: int | None, unit: str) -> int | None:
    if mileage is None:
        return None
    return round(mileage / KM_PER_MILE) if unit == "km" else mileage


# --- the pure matcher ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LotFacts:
    """What matching knows of a lot. make/model/region are keys (make_key, ...); mileage is in
    miles; price is the current bid, None when the lot is priced in another currency."""

    lot_id: int
    make: str
    model: str
    year: int | None
    mileage: int | None
    price: int | None
    source_id: int
    region: str = ""
    margin: float | None = None
    roi: float | None = None
    open: bool = True


@dataclass(frozen=True, slots=True)
class PreferenceSpec:
    """One active preference, as matching needs it (keys as in LotFacts)."""

    id: int
    user_id: int
    makes: frozenset = frozenset()
    pairs: frozenset = frozenset()  # (make key, model key)
    year_min: int | None = None
    year_max: int | None = None
    mileage_max: int | None = None
    price_max: int | None = None
    min_margin: float | None = None
    min_roi: float | None = None
    sources: frozenset = frozenset()
    regions: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Candidate:
    position: int  # in the index
    reason: str


def _ints(values: Iterable, n: int, default: int) -> np.ndarray:
    return np.fromiter((default if v is None else v for v in values), dtype=np.int64, count=n)


def _floats(values: Iterable, n: int) -> np.ndarray:
    return np.fromiter((-math.inf if v is None else v for v in values), dtype=np.float64, count=n)


def _inverted(specs: Sequence[PreferenceSpec], keys_of) -> dict:
    """{value: positions of the preferences that name it}."""
    lists: dict = {}
    for position, spec in enumerate(specs):
        for key in keys_of(spec):
            lists.setdefault(key, []).append(position)
    return {key: np.array(positions, dtype=np.intp) for key, positions in lists.items()}


class PreferenceIndex:
    """Active preferences compiled into columns, so one lot is checked against all of them
    with a handful of vector operations instead of a loop over preferences."""

    def __init__(self, specs: Sequence[PreferenceSpec]):
        specs = list(specs)
        n = self.size = len(specs)
        self.specs = specs
        self.pref_ids = _ints((s.id for s in specs), n, 0)
        self.user_ids = _ints((s.user_id for s in specs), n, 0)
        self.year_min = _ints((s.year_min for s in specs), n, 0)
        self.year_max = _ints((s.year_max for s in specs), n, BIG)
        self.wants_year = np.fromiter((s.year_min is not None or s.year_max is not None for s in specs), bool, n)
        self.mileage_max = _ints((s.mileage_max for s in specs), n, BIG)
        self.wants_mileage = np.fromiter((s.mileage_max is not None for s in specs), bool, n)
        self.price_max = _ints((s.price_max for s in specs), n, BIG)
        self.wants_price = np.fromiter((s.price_max is not None for s in specs), bool, n)
        self.min_margin = _floats((s.min_margin for s in specs), n)
        self.wants_margin = np.fromiter((s.min_margin is not None for s in specs), bool, n)
        self.min_roi = _floats((s.min_roi for s in specs), n)
        self.wants_roi = np.fromiter((s.min_roi is not None for s in specs), bool, n)
        self.wants_advice = self.wants_margin | self.wants_roi
        # A make listed with models is wanted in those models only (see BiddingPreference).
        self.any_car = np.fromiter((not s.makes and not s.pairs for s in specs), bool, n)
        self.by_make = _inverted(specs, lambda s: s.makes - {make for make, _ in s.pairs})
        self.by_pair = _inverted(specs, lambda s: s.pairs)
        self.any_source = np.fromiter((not s.sources for s in specs), bool, n)
        self.by_source = _inverted(specs, lambda s: s.sources)
        self.any_region = np.fromiter((not s.regions for s in specs), bool, n)
        self.by_region = _inverted(specs, lambda s: s.regions)
        self.thresholds = sorted({s.price_max for s in specs if s.price_max is not None})

    def static_mask(self, lot: LotFacts) -> np.ndarray:
        """Preferences whose car, year, mileage, source and region the lot matches (what does
        not depend on the price)."""
        mask = self.any_car.copy()
        for hit in (self.by_make.get(lot.make), self.by_pair.get((lot.make, lot.model))):
            if hit is not None:
                mask[hit] = True
        if not mask.any():
            return mask
        for anything, lists, key in (
            (self.any_source, self.by_source, lot.source_id),
            (self.any_region, self.by_region, lot.region),
        ):
            place = anything.copy()
            hit = lists.get(key)
            if hit is not None:
                place[hit] = True
            mask &= place
        if lot.year is None:
            mask &= ~self.wants_year  # an unknown year cannot be shown to be in the range
        else:
            mask &= (self.year_min <= lot.year) & (self.year_max >= lot.year)
        if lot.mileage is None:
            mask &= ~self.wants_mileage
        else:
            mask &= self.mileage_max >= lot.mileage
        return mask

    def needs_advice(self, mask: np.ndarray) -> bool:
        return bool((mask & self.wants_advice).any())


def decide(
    index: PreferenceIndex, lot: LotFacts, *, old_price: int | None, static: np.ndarray | None = None
) -> list[Candidate]:
    """Which preferences the lot alerts, and why (module docstring). `old_price` is the bid
    before the change, None when the lot just appeared (match alerts are for appearing
    lots only: a new preference does not alert about lots already open); `lot.price` is
    the bid after it."""
    if not lot.open or index.size == 0:
        return []
    positions = np.flatnonzero(index.static_mask(lot) if static is None else static)
    if not positions.size:
        return []
    wants_price, price_max = index.wants_price[positions], index.price_max[positions]
    new = lot.price
    advice_ok = np.ones(positions.size, dtype=bool)
    for wants, minimum, value in (
        (index.wants_margin, index.min_margin, lot.margin),
        (index.wants_roi, index.min_roi, lot.roi),
    ):
        wanted = wants[positions]
        advice_ok &= ~wanted if value is None else (~wanted | (minimum[positions] <= value))
    if old_price is None:
        price_ok = ~wants_price if new is None else price_max >= new
        return [Candidate(int(p), Reason.MATCH) for p in positions[price_ok & advice_ok]]
    if new is None or old_price == new:
        return []
    up = wants_price & (price_max >= old_price) & (price_max < new)
    down = wants_price & (price_max < old_price) & (price_max >= new)
    return [
        *(Candidate(int(p), Reason.PRICE_ABOVE) for p in positions[up]),
        *(Candidate(int(p), Reason.PRICE_BELOW) for p in positions[down & advice_ok]),
    ]


def crosses(thresholds: Sequence[int], old: int | None, new: int) -> bool:
    """Whether a price move from old to new crosses any of the sorted thresholds, either way
    (up: old <= t < new; down: new <= t < old)."""
    if old is None or old == new:
        return False
    low, high = min(old, new), max(old, new)
    i = bisect.bisect_left(thresholds, low)
    return i < len(thresholds) and thresholds[i] < high
