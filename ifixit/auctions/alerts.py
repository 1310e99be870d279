"""Lot alerts: matching lots against buyers' bidding preferences, and reminders of watched lots.

Where matching runs. `feed_events_store` hands the lots of each stored batch to
`feed_batch_stored`, which, once the batch has committed, queues one Celery task
(`tasks.match_lot_changes`) if the batch can raise an alert: it brought a lot that is
new to us, or a bid crossed one of the price maxima of the active preferences (their
sorted list is kept in the process, so a bid-only batch costs a bisect, not a task).
The feeds process therefore never matches, never loads advice and never writes an
alert: its one extra cost is a Redis push for the few batches that matter, and a slow
or failing match cannot hold up a feed. The webhook path stores through the same
function, so both kinds of feed are alerted alike; Celery gives the retries.

Matching (`decide`) is pure: a compiled `PreferenceIndex` (numpy columns, one entry per
active preference, with inverted lists per make, make+model, source and region) against
one lot's `LotFacts`. Each worker keeps the index in memory and rebuilds it when the
preferences' version in the cache changes (bumped after every preference write commits).

What raises which alert, for one preference and one open lot whose car, year, mileage,
source and region match it:

- match: the lot appeared (new to us, or its car was unknown until now) with its bid at
  or under the preference's maximum price, and its expected margin and ROI meet the
  preference's minimums (a lot without advice meets no minimum). A new preference does
  not alert about lots already open: its page counts them instead.
- price_above (crossing up): a bid took the price from at or under the maximum to over
  it. Sent only to users already told the lot was within their maximum (match or
  price_below): nobody is told "too dear" about a lot they never heard of.
- price_below (crossing down): the price went from over the maximum to at or under it
  (a retracted bid, a corrected price), margin and ROI minimums met.
- starting / ending: a watched lot goes live / ends within the watch's minutes.

Each (user, lot, reason) is alerted at most once, ever: LotAlert's unique constraint and
the notification's dedupe key both say so, across workers, retries and replays; so a
price that crosses back and forth is told once each way. Prices are compared only for
lots in the group's currency: a preference with a maximum does not match a lot priced
in another one.
"""

import bisect
import functools
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit import vocabulary
from ifixit.auctions import valuation
from ifixit.auctions.models import BiddingPreference, Lot, LotAlert, LotWatch
from ifixit.money import format_money
from ifixit.notifications.services import notify

log = logging.getLogger(__name__)

KM_PER_MILE = 1.609344
BIG = np.iinfo(np.int64).max
VERSION_KEY = "auctions:bidding-preferences:version"
# How often a process asks the cache whether the preferences changed, for the feed's
# price check only: the feeds process must not ask Redis on every batch.
THRESHOLDS_RECHECK_SECONDS = 1.0
# Watches are reminded at most this long before (LotWatch's check constraint).
MAX_REMINDER_LEAD = timedelta(minutes=120)

Reason = LotAlert.Reason
KIND_OF_REASON = {
    Reason.MATCH: "lot_match",
    Reason.PRICE_BELOW: "lot_match",
    Reason.PRICE_ABOVE: "lot_price",
    Reason.STARTING: "lot_reminder",
    Reason.ENDING: "lot_reminder",
}
# Reasons that mean "you were told this lot is within your maximum".
TOLD_IN_RANGE = (Reason.MATCH, Reason.PRICE_BELOW)


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
        for anything, lists, key in ((self.any_source, self.by_source, lot.source_id), (self.any_region, self.by_region, lot.region)):
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


def decide(index: PreferenceIndex, lot: LotFacts, *, old_price: int | None, static: np.ndarray | None = None) -> list[Candidate]:
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
    for wants, minimum, value in ((index.wants_margin, index.min_margin, lot.margin), (index.wants_roi, index.min_roi, lot.roi)):
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
    for pref_id, source_id in through.objects.filter(biddingpreference__active=True).values_list("biddingpreference_id", "auctionsource_id"):
        sources.setdefault(pref_id, []).append(source_id)
    prefs = BiddingPreference.objects.filter(active=True).order_by("id").only(
        "id", "user_id", "makes", "car_models", "year_min", "year_max", "mileage_max", "price_max", "min_margin", "min_roi", "regions"
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
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _thresholds.checked_at = -math.inf  # this process sees its own change at once


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:  # never set, or the cache was emptied: every process rebuilds
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


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
                    BiddingPreference.objects.filter(active=True, price_max__isnull=False).values_list("price_max", flat=True).distinct()
                )
                _thresholds.version = version
            _thresholds.checked_at = now
        return _thresholds.thresholds


# --- the feed's hand-off -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LotChange:
    lot_id: int
    old_price: int | None  # None: the lot appeared in this batch (new, or its car was unknown until now)
    new_price: int


def feed_batch_stored(lots: Iterable[Lot], before: dict[str, tuple[int, bool]]) -> None:
    """Called by feed_events_store inside its transaction with the lots the batch touched and,
    for those it found stored, (their bid, whether their car was still unknown) before it."""
    changes = []
    for lot in lots:
        if lot.stage == Lot.Stage.CLOSED or lot.make == "?":  # "?": announced by a bid, the car comes later
            continue
        price, unknown = before.get(lot.external_id, (0, True))
        changes.append(LotChange(lot.pk, None if unknown else price, lot.current_bid))
    if changes:
        transaction.on_commit(functools.partial(_hand_off, changes), robust=True)


def worth_matching(changes: Iterable[LotChange], thresholds: Sequence[int]) -> list[LotChange]:
    """The changes that can raise an alert: lots that appeared, and bids across a maximum."""
    return [c for c in changes if c.old_price is None or crosses(thresholds, c.old_price, c.new_price)]


def _hand_off(changes: list[LotChange]) -> None:
    from ifixit.auctions.tasks import match_lot_changes

    try:
        thresholds = price_thresholds() if any(c.old_price is not None for c in changes) else []
        wanted = worth_matching(changes, thresholds)
        if wanted:
            match_lot_changes.delay([astuple(c) for c in wanted])
    except Exception:  # the batch is stored; its alerts are lost, the feed must go on
        log.warning("could not hand %d lot changes to matching", len(changes), exc_info=True)


# --- raising alerts ----------------------------------------------------------------------


def users_who_may_see_auctions(user_ids: Iterable[int]) -> dict[int, User]:
    """Alerts name lots: only active users holding auctions.view_lot now get them (a user
    whose role changed keeps their preferences, but not the alerts)."""
    ids = set(user_ids)
    if not ids:
        return {}
    perm = Q(groups__permissions__codename="view_lot", groups__permissions__content_type__app_label="auctions")
    direct = Q(user_permissions__codename="view_lot", user_permissions__content_type__app_label="auctions")
    users = User.objects.filter(pk__in=ids, is_active=True).filter(Q(is_superuser=True) | perm | direct).distinct()
    return {u.pk: u for u in users}


@dataclass(frozen=True)
class _Alert:
    user_id: int
    lot: Lot
    reason: str
    price: int  # the bid the alert is about
    preference_id: int | None = None
    detail: str = ""


def lot_changes_alert(*, changes: Sequence[LotChange]) -> int:
    """Match changed lots against every active preference and alert whoever they concern.
    Safe to run twice, or at once on two workers, for the same changes. Returns alerts made."""
    index = current_index()
    if index.size == 0 or not changes:
        return 0
    # Several changes of one lot: the first old price and the last new one.
    merged: dict[int, LotChange] = {}
    for change in changes:
        first = merged.get(change.lot_id)
        merged[change.lot_id] = change if first is None else LotChange(change.lot_id, first.old_price, change.new_price)
    lots = Lot.objects.select_related("source").in_bulk(list(merged))
    # Decided on the price the batch stored, not a later one: a lot that appeared within the
    # maximum is a match even if bids took it past it before this task ran (that crossing
    # has its own task, and its own alert).
    facts = {pk: replace(lot_facts(lot), price=_price(lot, merged[pk].new_price)) for pk, lot in lots.items()}
    masks = {pk: index.static_mask(f) for pk, f in facts.items() if f.open}
    advice = lots_advice([lots[pk] for pk, mask in masks.items() if index.needs_advice(mask)])
    for pk, lot_advice in advice.items():
        if pk in facts:
            facts[pk] = replace(facts[pk], margin=_float(lot_advice, "expected_margin"), roi=_float(lot_advice, "expected_roi"))

    wanted: dict[tuple[int, int, str], _Alert] = {}
    for pk, mask in masks.items():
        for candidate in decide(index, facts[pk], old_price=merged[pk].old_price, static=mask):
            spec = index.specs[candidate.position]
            # Specs are in id order: the alert names the user's oldest matching preference.
            wanted.setdefault(
                (spec.user_id, pk, candidate.reason),
                _Alert(spec.user_id, lots[pk], candidate.reason, merged[pk].new_price, spec.id, _price_detail(spec, candidate.reason)),
            )
    if not wanted:
        return 0
    told = set(
        LotAlert.objects.filter(lot_id__in=masks.keys(), user_id__in={k[0] for k in wanted}).values_list("user_id", "lot_id", "reason")
    )
    in_range = {(user, lot) for user, lot, reason in told if reason in TOLD_IN_RANGE}
    alerts = [
        alert
        for key, alert in wanted.items()
        if key not in told
        and not (alert.reason == Reason.PRICE_ABOVE and key[:2] not in in_range)
    ]
    return _raise_alerts(alerts)


def _price(lot: Lot, bid: int) -> int | None:
    return bid if lot.currency == settings.CURRENCY else None


def _float(advice, name: str) -> float | None:
    value = getattr(advice, name, None)
    return None if value is None else float(value)


def _price_detail(spec: PreferenceSpec, reason: str) -> str:
    if reason in (Reason.PRICE_ABOVE, Reason.PRICE_BELOW) and spec.price_max is not None:
        return f"your maximum is {format_money(spec.price_max)}"
    return ""


def _raise_alerts(alerts: list[_Alert]) -> int:
    users = users_who_may_see_auctions(a.user_id for a in alerts)
    names = dict(BiddingPreference.objects.filter(pk__in={a.preference_id for a in alerts if a.preference_id}).values_list("pk", "name"))
    made = 0
    for alert in alerts:
        user = users.get(alert.user_id)
        if user is not None and _alert_create(user=user, alert=alert, preference_name=names.get(alert.preference_id, "")):
            made += 1
    return made


def _alert_create(*, user: User, alert: _Alert, preference_name: str = "") -> bool:
    """The alert row and its notification, together or not at all; False when this user was
    already alerted for this lot and reason (by a twin task, or earlier)."""
    lot = alert.lot
    title, body = _wording(alert, preference_name)
    try:
        with transaction.atomic():
            LotAlert.objects.create(user=user, lot=lot, reason=alert.reason, preference_id=alert.preference_id, price=alert.price)
            notify(
                recipient=user,
                kind=KIND_OF_REASON[alert.reason],
                title=title,
                body=body,
                link=reverse("lot_detail", args=[lot.pk]),
                dedupe_key=f"lot-alert:{lot.pk}:{alert.reason}",
            )
    except IntegrityError:
        if LotAlert.objects.filter(user=user, lot=lot, reason=alert.reason).exists():
            return False
        raise
    return True


def _car(lot: Lot) -> str:
    return " ".join(str(part) for part in (lot.year or "", lot.make, lot.model) if part)


def _wording(alert: _Alert, preference_name: str) -> tuple[str, str]:
    lot = alert.lot
    car = _car(lot)
    price = format_money(alert.price) if lot.currency == settings.CURRENCY else f"{lot.currency} {alert.price:,}"
    where = f"Lot {lot.external_id} at {lot.source.name}"
    pref = f" Your preference “{preference_name}”." if preference_name else ""
    if alert.reason == Reason.MATCH:
        return f"Matching lot: {car} at {price}", f"{where}.{pref}"
    if alert.reason == Reason.PRICE_BELOW:
        return f"Within your maximum again: {car} at {price}", f"{where}: {alert.detail}.{pref}"
    if alert.reason == Reason.PRICE_ABOVE:
        return f"Past your maximum: {car} at {price}", f"{where}: {alert.detail}.{pref}"
    return f"{car} {alert.detail}", f"{where}, now at {price}."


# --- watched lots ------------------------------------------------------------------------


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def watch_reminders_send(*, now: datetime | None = None) -> int:
    """Remind watchers of lots going live or ending within their watch's minutes, once per
    lot and reason: a lot whose end moves later (a late bid extends it) is reminded by its
    new end if not reminded yet, and not again if it was. Returns reminders sent."""
    now = now or timezone.now()
    horizon = now + MAX_REMINDER_LEAD
    open_stages = [Lot.Stage.PREBID, Lot.Stage.LIVE]
    watches = list(
        LotWatch.objects.select_related("lot__source")
        .filter(lot__stage__in=open_stages)
        .filter(
            Q(lot__stage=Lot.Stage.PREBID, lot__starts_at__gt=now, lot__starts_at__lte=horizon, remind_before_start__gt=0)
            | Q(lot__ends_at__gt=now, lot__ends_at__lte=horizon, remind_before_end__gt=0)
        )
    )
    if not watches:
        return 0
    sent = set(
        LotAlert.objects.filter(lot_id__in={w.lot_id for w in watches}, reason__in=[Reason.STARTING, Reason.ENDING]).values_list(
            "user_id", "lot_id", "reason"
        )
    )
    due = []
    for watch in watches:
        lot = watch.lot
        starts, ends = lot.starts_at, lot.ends_at
        if (
            watch.remind_before_start
            and lot.stage == Lot.Stage.PREBID
            and starts is not None
            and now < starts <= now + timedelta(minutes=watch.remind_before_start)
            and (watch.user_id, lot.pk, Reason.STARTING) not in sent
        ):
            due.append(_Alert(watch.user_id, lot, Reason.STARTING, lot.current_bid, None, f"goes live in {_minutes_until(starts, now)} min"))
        if (
            watch.remind_before_end
            and ends is not None
            and now < ends <= now + timedelta(minutes=watch.remind_before_end)
            and (watch.user_id, lot.pk, Reason.ENDING) not in sent
        ):
            due.append(_Alert(watch.user_id, lot, Reason.ENDING, lot.current_bid, None, f"ends in {_minutes_until(ends, now)} min"))
    return _raise_alerts(due)
