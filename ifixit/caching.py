"""The cache strategy in code: every cached answer of the product is declared once here (READS),
with the data it is built on (TOPICS), and read through it; docs/caching.md explains each.

A topic is a version kept in the cache for a kind of data (the stock, the locations, the value
model in use...). A service that changes that data calls `changed(topic)` inside its
transaction, and the topic gets a new version once the write commits: every answer built on the
old data has a key nobody asks for any more (it expires in its own time). A cached read's key is
its name, the versions of its topics, and the parts of its question (the user's locations, the
parameters, the car's own fields, the model version...), hashed.

Why after commit: bumped before, a reader could rebuild from the old rows and keep them under
the new version. Why a reader reads the versions before the data: a write committed meanwhile
bumps again, so what it stores is under a version already old.

This module is the bottom layer: it knows names, never the apps that use them, so a service of
any layer (inventory, locations, auctions, analytics) can say what it changed.
"""

import hashlib
import uuid
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

# What changed, as the services that write say it. Each bumps every read built on it.
TOPICS = {
    "stock": "cars (their fields, costs, phase and location), phase changes, repair items, sales and "
    "transfers: every write of ifixit/inventory/services/ (cars, phases, repairs, sales, transfers)",
    "locations": "the group's locations: created, edited, deactivated, reactivated, deleted "
    "(ifixit/inventory/sites/services.py), their repair thresholds and daily holding cost "
    "(inventory/services/repairs.py: location_set_repair_thresholds)",
    "lots": "auction lots a feed announced or described (auctions/services.py: feed_events_store; not "
    "the bids, which each lot's own key holds)",
    "value-model": "the value model in use: a training that promotes a new version "
    "(analytics/valuation/services.py: valuation_train)",
    "bidding-preferences": "buyers' bidding preferences saved, switched on or off, deleted "
    "(auctions/services.py through auctions.alerts.preferences_changed)",
}

# Who may be given an answer read from the cache.
GROUP = "group"  # the same for every user who may open the page: the market, the group's history
LOCATIONS = "locations"  # the user's visible locations are part of the key
CAR = "car"  # one car's answer, given only after the car was found among the user's cars
LOT = "lot"  # one lot's answer: lots are the group's (auctions.view_lot checked by the view)
PROCESS = "process"  # kept in each process's memory, rebuilt when its topic's version moves
USER = "user"  # one user's own answer, keyed by the user


@dataclass(frozen=True)
class CachedRead:
    name: str
    what: str
    key: tuple[str, ...]  # what the key holds besides the topics' versions (docs and tests)
    topics: tuple[str, ...]  # bumped by the services that write what the answer is built on
    scope: str
    seconds: int | None  # a bound on memory, never what keeps an answer fresh
    owner: str  # the module holding the read

    def cache_key(self, parts: dict) -> str:
        """The key of one question: versions first, read before any data (see the module's why)."""
        return self._key_with(versions_of(self.topics), parts)

    def get_or_compute(self, compute: Callable[[], object], **parts):
        key = self.cache_key(parts)
        found = cache.get(key, _ABSENT)
        if found is _ABSENT:
            found = compute()
            cache.set(key, found, self.seconds)
        return found

    def get_many_or_compute(self, questions: dict[Hashable, dict], compute: Callable[[list], dict]) -> dict:
        """Answers to many questions in two cache round trips: `questions` maps an id to the
        parts of its question; `compute(ids)` answers the ids not found, in one go, as
        {id: answer} (an id it leaves out has no answer, and is asked again next time)."""
        if not questions:
            return {}
        versions = versions_of(self.topics)
        keys = {ident: self._key_with(versions, parts) for ident, parts in questions.items()}
        found = cache.get_many(keys.values())
        answers = {ident: found[key] for ident, key in keys.items() if key in found}
        missing = [ident for ident in questions if ident not in answers]
        if missing:
            computed = compute(missing)
            cache.set_many({keys[ident]: answer for ident, answer in computed.items()}, self.seconds)
            answers.update(computed)
        return answers

    def forget(self, **parts) -> None:
        cache.delete(self.cache_key(parts))

    def _key_with(self, versions: str, parts: dict) -> str:
        described = "|".join(f"{k}={parts[k]!r}" for k in sorted(parts))
        return f"read:{self.name}:" + hashlib.sha256(f"{versions}|{described}".encode()).hexdigest()[:32]


_ABSENT = object()


def _topic_key(topic: str) -> str:
    if topic not in TOPICS:
        raise ValueError(f"No cache topic {topic!r}: declare it in ifixit/caching.py TOPICS.")
    return f"topic:{topic}"


def versions_of(topics: Iterable[str]) -> str:
    """The current versions of these topics, in one cache round trip (a topic never bumped, or
    emptied from the cache, gets a version of its own: every answer renews)."""
    keys = [_topic_key(t) for t in topics]
    if not keys:
        return ""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, timeout=None)
            found[key] = cache.get(key)
    return ",".join(str(found[key]) for key in keys)


def bump(topic: str) -> None:
    """A new version now. Services call changed() instead, which waits for the commit."""
    cache.set(_topic_key(topic), uuid.uuid4().hex, timeout=None)


def changed(topic: str) -> None:
    """Call inside the transaction of a write that changes what `topic` covers: its version
    moves once the write commits (at once outside a transaction; never for a rollback)."""
    _topic_key(topic)  # an unknown topic fails the write at once, not after commit
    transaction.on_commit(lambda: bump(topic), robust=True)  # a cache hiccup must not fail a saved write


MINUTE, HOUR, DAY = 60, 60 * 60, 24 * 60 * 60
_SEGMENT = ("make", "model", "body_type", "age_band", "mileage_band", "source", "region")
_WAREHOUSE = "warehouse version (the rollups checkpoint in the database, moved by every rollups refresh)"
# A car's and a lot's own fields that change their advice: part of the key, so an edit of the car
# or a new bid on the lot renews its answer without any bump.
CAR_FIELDS = (
    "pk",
    "updated_at",
    "make",
    "model",
    "trim",
    "year",
    "mileage",
    "fuel",
    "transmission",
    "body_type",
    "colour",
    "asking_price",
    "phase",
    "purchased_on",
    "created_at",
    "location_id",
)
LOT_FIELDS = (
    "pk",
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
    "current_bid",
    "currency",
    "source_id",
    "source.buyer_fee_percent",
    "source.buyer_fee_fixed",
)
_CAR = tuple(f"the car's {name}" for name in CAR_FIELDS)
_LOT = tuple(f"the lot's {name}" for name in LOT_FIELDS)


def parts_of(row, fields: Iterable[str]) -> dict:
    """{field: value} of a model row for a key ("source.buyer_fee_fixed" follows the relation)."""
    parts = {}
    for name in fields:
        value = row
        for attribute in name.split("."):
            value = getattr(value, attribute)
        parts[name] = value
    return parts


def _reads(*reads: CachedRead) -> dict[str, CachedRead]:
    return {read.name: read for read in reads}


READS = _reads(
    CachedRead(
        "market.trend",
        "price over time of a market segment (market page, API)",
        (_WAREHOUSE, *_SEGMENT, "grain", "start", "end"),
        (),
        GROUP,
        HOUR,
        "ifixit/analytics/warehouse/selectors.py",
    ),
    CachedRead(
        "market.seasonality",
        "a segment's seasonal index and best months (market page, API)",
        (_WAREHOUSE, *_SEGMENT),
        (),
        GROUP,
        HOUR,
        "ifixit/analytics/warehouse/selectors.py",
    ),
    CachedRead(
        "market.segment-choices",
        "what the segment filters can be set to",
        (_WAREHOUSE,),
        (),
        GROUP,
        HOUR,
        "ifixit/analytics/warehouse/selectors.py",
    ),
    CachedRead(
        "market.warehouse-size",
        "how many facts the warehouse holds (all, dated)",
        (_WAREHOUSE,),
        (),
        GROUP,
        HOUR,
        "ifixit/analytics/warehouse/selectors.py",
    ),
    CachedRead(
        "market.forecast",
        "a segment's price forecast and its backtest (forecast page, API)",
        (_WAREHOUSE, *_SEGMENT, "last complete month"),
        (),
        GROUP,
        HOUR,
        "ifixit/analytics/forecast/selectors.py",
    ),
    CachedRead(
        "analytics.benchmarks",
        "make and model benchmarks of the group's own sales (page, API, report)",
        (
            "sales version (count and maxima of sales, repair items, phase changes, cars' updated_at)",
            "the locations asked for, or all the user may see",
            "start",
            "end",
            "grouping",
        ),
        (),
        LOCATIONS,
        HOUR,
        "ifixit/analytics/benchmarks/selectors.py",
    ),
    CachedRead(
        "advice.history",
        "the group's own medians advice is built on: repairs, days to sell, transport, holding cost",
        (),
        ("stock", "locations"),
        GROUP,
        HOUR,
        "ifixit/analytics/advice/selectors.py",
    ),
    CachedRead(
        "advice.model-accuracy",
        "the measured accuracy of the model in use, shown by every prediction",
        ("model version (its row never changes)",),
        ("value-model",),
        GROUP,
        HOUR,
        "ifixit/analytics/advice/selectors.py",
    ),
    CachedRead(
        "valuation.model-in-use",
        "which value model version is in use (every prediction asks)",
        (),
        ("value-model",),
        GROUP,
        MINUTE,
        "ifixit/analytics/valuation/services.py",
    ),
    CachedRead(
        "advice.car",
        "hold, reprice or move: a car in stock's value and advice (car page, API)",
        (*_CAR, "model version", "today"),
        ("stock", "locations", "value-model"),
        CAR,
        DAY,
        "ifixit/analytics/advice/selectors.py",
    ),
    CachedRead(
        "inventory.placement",
        "which location would sell a car best (car page)",
        (*_CAR, "today"),
        ("stock", "locations"),
        CAR,
        DAY,
        "ifixit/inventory/placement.py",
    ),
    CachedRead(
        "advice.lot",
        "what a lot is worth and the most to bid (auction board, lot page, API, alerts)",
        (*_LOT, "model version", "target margin", "today"),
        ("stock", "locations", "value-model"),
        LOT,
        DAY,
        "ifixit/analytics/advice/selectors.py",
    ),
    CachedRead(
        "auctions.lot-vocabulary",
        "makes, models and regions lots have come with (preference editor)",
        (),
        ("lots",),
        GROUP,
        10 * MINUTE,
        "ifixit/auctions/selectors.py",
    ),
    # Per-request auth, cached by its own code (deleted on change, after commit too): declared here
    # so that the strategy lists it and the tests prove it; its code is the per-request auth work's.
    CachedRead(
        "accounts.permissions",
        "a user's Django permissions, for every has_perm of a request",
        ("user id",),
        (),
        USER,
        15 * MINUTE,
        "ifixit/accounts/permissions.py",
    ),
    CachedRead(
        "auctions.preference-index",
        "the compiled index of active bidding preferences alerts match lots against",
        (),
        ("bidding-preferences",),
        PROCESS,
        None,
        "ifixit/auctions/alerts/index.py",
    ),
)
