"""Every cached read of ifixit/caching.py READS, proven: it is served from the cache, the write of
the service that changes it renews it (read, write, read again, see the change), and a location's
answer is never given to a user of another. The tests are generated from the registry: a read
declared without a scenario here fails, and so does a cache call in product code that does not
go through the registry (bar the short allow-list of non-answers: locks, throttles, heartbeats)."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from ifixit import caching
from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.accounts.services import user_set_role
from ifixit.analytics import synthetic
from ifixit.analytics.advice import selectors as advice
from ifixit.analytics.benchmarks.selectors import benchmark_rows
from ifixit.analytics.forecast.selectors import segment_forecast
from ifixit.analytics.ml import evaluation, value
from ifixit.analytics.models import SaleFact, ValueModel
from ifixit.analytics.valuation import services as valuation
from ifixit.analytics.warehouse import selectors as market
from ifixit.analytics.warehouse import services as warehouse
from ifixit.auctions import alerts
from ifixit.auctions import selectors as auction_selectors
from ifixit.auctions import services as auctions
from ifixit.auctions.models import AuctionSource, Lot
from ifixit.auctions.tests.test_alerts_feed import bid as a_bid
from ifixit.auctions.tests.test_alerts_feed import lot_event
from ifixit.inventory import services as inventory
from ifixit.inventory.models import Car, Phase
from ifixit.inventory.placement import placement_advice
from ifixit.inventory.sites import services as sites
from ifixit.testing.factories import CarFactory, UserFactory

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _empty_cache(redis_server):
    cache.clear()
    valuation._loaded.clear()
    yield
    valuation._loaded.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a write as if it committed: the topics are bumped after commit, never before."""

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", role=roles.ADMIN)


@pytest.fixture
def managers(north, south):
    return (
        UserFactory(username="nora", role=roles.MANAGER, locations=[north]),
        UserFactory(username="sam", role=roles.MANAGER, locations=[south]),
    )


@pytest.fixture(scope="module")
def weak_model(django_db_setup, django_db_blocker):
    """A first model trained on a few hundred sales with few trees: any real training beats it,
    so valuation_train promotes the next version (the write the value-model topic follows)."""
    with django_db_blocker.unblock(), transaction.atomic():
        SaleFact.objects.bulk_create(synthetic.facts(count=1000, seed=7, end=TODAY()))
        data = valuation.training_frame()
        transaction.set_rollback(True)
    train, test = evaluation.holdout_split(data)
    model = value.train(train.tail(250), max_iter=5)
    return model, evaluation.evaluate(model, test)


@pytest.fixture
def in_use(db, weak_model):
    """The market and a model in use (version 1)."""
    SaleFact.objects.bulk_create(synthetic.facts(count=1000, seed=7, end=TODAY()))
    model, metrics = weak_model
    return ValueModel.objects.create(
        version=1,
        status=ValueModel.Status.PROMOTED,
        training_rows=250,
        held_out_rows=200,
        features=list(model.features),
        metrics=metrics.as_dict() | {"interval": model.interval},
        baseline_metrics=metrics.as_dict(),
        decision="The first model: promoted.",
        promoted_at=timezone.now(),
        artifact=model.dumps(),
    )


def focus(location, **fields):
    fields = {"make": "Ford", "model": "Focus", "year": TODAY().year - 5, "phase": Phase.LISTED} | fields
    return CarFactory(location=location, **fields)


def served_from_cache(read):
    """The answer, read twice: the second time from the cache (fewer queries: only what the read
    does before it asks the cache, such as the user's visibility check)."""
    with CaptureQueriesContext(connection) as computed:
        first = read()
    with CaptureQueriesContext(connection) as cached:
        again = read()
    assert len(cached.captured_queries) < len(computed.captured_queries), [q["sql"] for q in cached.captured_queries]
    assert again == first
    return first


def promote_a_new_model(commit):
    result = commit(valuation.valuation_train, triggered_by="test")
    assert result.promoted, result.model.decision
    return result.model


def stored(source, commit, *events):
    commit(auctions.feed_events_store, source_id=source.pk, events=list(events))


@pytest.fixture
def source(db):
    return AuctionSource.objects.create(name="Sim", url="http://127.0.0.1:1")


# --- renewal: read, write through the service, read again -------------------------------------


def market_rolled(count=600, seed=3):
    SaleFact.objects.bulk_create(synthetic.facts(count=count, seed=seed, end=TODAY()))
    warehouse.rollups_refresh()


def renew_trend(request, commit):
    market_rolled()
    read = lambda: market.trend(segment=market.Segment(make="Ford")).volume
    before = served_from_cache(read)
    market_rolled(seed=4)
    assert read() > before


def renew_seasonality(request, commit):
    market_rolled()
    read = lambda: market.seasonality_of(segment=market.Segment()).sample_size
    before = served_from_cache(read)
    market_rolled(seed=4)
    assert read() > before


def renew_choices(request, commit):
    market_rolled()
    read = lambda: market.segment_choices()["make"]
    assert "Zagato" not in served_from_cache(read)
    fact = next(synthetic.facts(count=1, seed=9, end=TODAY()))
    fact.make = "Zagato"
    SaleFact.objects.bulk_create([fact])
    warehouse.rollups_refresh()
    assert "Zagato" in read()


def renew_size(request, commit):
    market_rolled()
    read = lambda: market.warehouse_size()["facts"]
    before = served_from_cache(read)
    market_rolled(count=10, seed=4)
    assert read() == before + 10


def renew_forecast(request, commit):
    market_rolled()
    read = lambda: sum(month.volume for month in segment_forecast(segment=market.Segment()).history)
    before = served_from_cache(read)
    market_rolled(seed=4)
    assert read() > before


def renew_benchmarks(request, commit):
    north, (nora, _) = request.getfixturevalue("north"), request.getfixturevalue("managers")
    start, end = TODAY() - timedelta(days=30), TODAY()

    def read():
        return [(row.make, row.model, row.count) for row in benchmark_rows(user=nora, start=start, end=end).rows]

    assert served_from_cache(read) == []
    car = focus(north, purchased_on=TODAY() - timedelta(days=20))
    commit(
        inventory.sale_record,
        user=request.getfixturevalue("admin_user"),
        car_id=car.pk,
        sold_on=TODAY(),
        price=Decimal(9000),
        buyer_name="A buyer",
    )
    assert read() == [("Ford", "Focus", 1)]


def renew_history(request, commit):
    car = focus(request.getfixturevalue("north"), phase=Phase.READY)
    read = lambda: advice.history().repair_overall
    assert served_from_cache(read) == (Decimal("0.00"), 1)
    commit(
        inventory.repair_item_add,
        user=request.getfixturevalue("admin_user"),
        car_id=car.pk,
        description="Clutch",
        parts_cost=Decimal("450.00"),
    )
    assert read() == (Decimal("450.00"), 1)


def renew_accuracy(request, commit):
    request.getfixturevalue("in_use")
    read = lambda: advice.model_accuracy()["version"]
    assert served_from_cache(read) == 1
    promote_a_new_model(commit)
    assert read() == 2


def renew_model_in_use(request, commit):
    request.getfixturevalue("in_use")
    read = lambda: valuation.model_in_use()[0]
    assert served_from_cache(read) == 1
    promote_a_new_model(commit)
    assert read() == 2


def renew_car_advice(request, commit):
    request.getfixturevalue("in_use")
    car = focus(request.getfixturevalue("north"), asking_price=Decimal(30000))
    nora = request.getfixturevalue("managers")[0]

    def read():
        found = advice.car_advice(user=nora, car=Car.objects.get(pk=car.pk))
        return found.stock.action, found.stock.reason

    before = served_from_cache(read)
    commit(inventory.car_update, user=request.getfixturevalue("admin_user"), car_id=car.pk, asking_price=Decimal(500))
    assert read() != before


def renew_placement(request, commit):
    north, south = request.getfixturevalue("north"), request.getfixturevalue("south")
    car = focus(north)
    admin = request.getfixturevalue("admin_user")

    def read():
        found = placement_advice(user=admin, car=car)
        return {row.location.name: row.sample_size for row in found.thin + found.ranked}

    assert served_from_cache(read) == {"North Yard": 0, "South Yard": 0}
    sold = focus(south, purchased_on=TODAY() - timedelta(days=20))
    commit(inventory.sale_record, user=admin, car_id=sold.pk, sold_on=TODAY(), price=Decimal(9000), buyer_name="B")
    assert read() == {"North Yard": 0, "South Yard": 1}


def renew_lot_advice(request, commit):
    request.getfixturevalue("in_use")
    source = request.getfixturevalue("source")
    stored(source, commit, lot_event(1, "SIM-1"))

    def read():
        lot = Lot.objects.select_related("source").get(external_id="SIM-1")
        return advice.lot_advice_many([lot])[lot.pk].expected_margin

    before = served_from_cache(read)
    stored(source, commit, a_bid(2, "SIM-1", 4_000))
    assert read() < before


def renew_lot_vocabulary(request, commit):
    source = request.getfixturevalue("source")
    read = lambda: auction_selectors.lot_vocabulary().models
    stored(source, commit, lot_event(1, "SIM-1"))
    assert ("Skoda", "Octavia") not in served_from_cache(read)
    stored(source, commit, lot_event(2, "SIM-2", make="Skoda", model="Octavia"))
    assert ("Skoda", "Octavia") in read()


def renew_preference_index(request, commit):
    buyer = UserFactory(username="bea", role=roles.BUYER, locations=[request.getfixturevalue("north")])
    before = alerts.index.current_index().size
    assert alerts.index.current_index() is alerts.index.current_index()  # kept in the process
    commit(auctions.preference_save, user=buyer, data=auctions.PreferenceInput(name="Focuses", makes=["Ford"]))
    assert alerts.index.current_index().size == before + 1


def renew_permissions(request, commit):
    user = UserFactory(username="wes", role=roles.WORKSHOP, locations=[request.getfixturevalue("north")])
    read = lambda: User.objects.get(pk=user.pk).has_perm("inventory.add_sale")
    assert served_from_cache(read) is False
    commit(user_set_role, user=User.objects.get(pk=user.pk), role=roles.SALES)
    assert read() is True


RENEWALS = {
    "market.trend": renew_trend,
    "market.seasonality": renew_seasonality,
    "market.segment-choices": renew_choices,
    "market.warehouse-size": renew_size,
    "market.forecast": renew_forecast,
    "analytics.benchmarks": renew_benchmarks,
    "advice.history": renew_history,
    "advice.model-accuracy": renew_accuracy,
    "valuation.model-in-use": renew_model_in_use,
    "advice.car": renew_car_advice,
    "inventory.placement": renew_placement,
    "advice.lot": renew_lot_advice,
    "auctions.lot-vocabulary": renew_lot_vocabulary,
    "auctions.preference-index": renew_preference_index,
    "accounts.permissions": renew_permissions,
}


@pytest.mark.parametrize("name", sorted(caching.READS))
def test_it_renews_a_cached_read_after_the_write_that_changes_it(name, request, commit, db):
    assert name in RENEWALS, f"the cached read {name} has no renewal scenario: add one to RENEWALS"
    RENEWALS[name](request, commit)


# --- isolation: a location's answer is never another location's ---------------------------


def isolate_benchmarks(request, commit):
    north, south = request.getfixturevalue("north"), request.getfixturevalue("south")
    nora, sam = request.getfixturevalue("managers")
    admin = request.getfixturevalue("admin_user")
    for location, make in ((north, "Ford"), (south, "Kia")):
        car = focus(location, make=make, purchased_on=TODAY() - timedelta(days=9))
        commit(inventory.sale_record, user=admin, car_id=car.pk, sold_on=TODAY(), price=Decimal(9000), buyer_name="C")
    start, end = TODAY() - timedelta(days=30), TODAY()
    for user, make in ((nora, "Ford"), (sam, "Kia"), (nora, "Ford")):
        assert [row.make for row in benchmark_rows(user=user, start=start, end=end).rows] == [make]


def isolate_car(read):
    def scenario(request, commit):
        north, south = request.getfixturevalue("north"), request.getfixturevalue("south")
        nora, sam = request.getfixturevalue("managers")
        request.getfixturevalue("in_use")
        northern = focus(north, purchased_on=TODAY() - timedelta(days=10))
        southern = focus(south, purchased_on=TODAY() - timedelta(days=40))
        mine, theirs = read(nora, northern), read(sam, southern)
        assert mine != theirs  # each car its own answer
        assert read(nora, northern) == mine
        with pytest.raises(Http404):  # North's answer is in the cache now: South still does not get it
            read(sam, northern)

    return scenario


def read_placement(user, car):
    found = placement_advice(user=user, car=car)
    return [(row.location.name, row.is_current) for row in found.thin + found.ranked]


def read_car_advice(user, car):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(reverse("api_analytics_car_advice", args=[car.pk]))
    if response.status_code == 404:
        raise Http404(str(response.data))
    assert response.status_code == 200, response.data
    return response.data["action"], response.data["days_in_stock"]


def isolate_permissions(request, commit):
    north, south = request.getfixturevalue("north"), request.getfixturevalue("south")
    sales = UserFactory(username="sid", role=roles.SALES, locations=[north])
    workshop = UserFactory(username="wyn", role=roles.WORKSHOP, locations=[south])
    for user, may_sell in ((sales, True), (workshop, False), (sales, True), (workshop, False)):
        assert User.objects.get(pk=user.pk).has_perm("inventory.add_sale") is may_sell


ISOLATIONS = {
    "analytics.benchmarks": isolate_benchmarks,
    "inventory.placement": isolate_car(read_placement),
    "advice.car": isolate_car(read_car_advice),
    "accounts.permissions": isolate_permissions,
}


# The same for everyone who may open them: nothing of one location's own is in them.
SHARED = {
    "market.trend": "the market: every source's closed lots and the group's sales, for the whole group",
    "market.seasonality": "the market",
    "market.segment-choices": "the market",
    "market.warehouse-size": "the market",
    "market.forecast": "the market",
    "advice.history": "the group's medians across all locations, on purpose (advice is group-wide)",
    "advice.model-accuracy": "the model's own figures",
    "valuation.model-in-use": "which model version is promoted",
    "advice.lot": "a lot at auction: the group's, seen by role (auctions.view_lot), never by location",
    "auctions.lot-vocabulary": "what lots have offered: no location's",
    "auctions.preference-index": "every buyer's preferences, matched by a worker; alerts go to each owner",
}


@pytest.mark.parametrize("name", sorted(caching.READS))
def test_no_user_is_given_another_locations_cached_answer(name, request, commit, db):
    read = caching.READS[name]
    if name in SHARED:
        assert read.scope in (caching.GROUP, caching.LOT, caching.PROCESS), f"{name} is {read.scope}: not shared"
        return
    assert name in ISOLATIONS, f"the cached read {name} ({read.scope}): add an isolation scenario or say why SHARED"
    ISOLATIONS[name](request, commit)


def test_a_location_edit_renews_placement(north, south, admin_user, commit):
    car = focus(north)
    first = placement_advice(user=admin_user, car=car)
    commit(
        sites.location_update,
        user=admin_user,
        location_id=south.pk,
        name="South Park",
        code="STH",
        time_zone="Europe/London",
        daily_holding_cost=Decimal("15.00"),
    )
    names = {row.location.name for row in placement_advice(user=admin_user, car=car).thin}
    assert "South Park" in names and {row.location.name for row in first.thin} == {"North Yard", "South Yard"}


def test_a_write_rolled_back_bumps_nothing(north, admin_user, django_capture_on_commit_callbacks):
    car = focus(north, phase=Phase.READY)
    before = caching.versions_of(["stock"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inventory.repair_item_add(user=admin_user, car_id=car.pk, description="Tyres", parts_cost=Decimal(90))
    assert callbacks and caching.versions_of(["stock"]) == before  # only once the write commits


def test_an_unknown_topic_is_refused_before_anything_is_written(db):
    with pytest.raises(ValueError, match="No cache topic 'stocks'"):
        caching.changed("stocks")


# --- every cache call in product code goes through the registry --------------------------

ROOT = Path(caching.__file__).parent
CACHE_CALL = re.compile(r"\bcaches?(\[[^\]]+\])?\.(get|set|add|delete|incr|decr|get_or_set|get_many|set_many|touch)\(")
# Not answers: locks, throttles, heartbeats and progress, each with its reason in docs/caching.md.
NOT_ANSWERS = {
    "caching.py",  # the registry itself
    "throttling.py",  # API request counts (the throttle cache)
    "accounts/authentication.py",  # failed token attempts (the throttle cache)
    "jobs/outbox.py",  # the relay's heartbeat
    "analytics/valuation/tasks.py",  # one training at a time: the lock
    "analytics/valuation/services.py",  # "Train now" asks whether the lock is held
    "analytics/valuation/views.py",  # the model page says whether a training runs (the lock)
    "analytics/warehouse/imports.py",  # an import's progress bar
}


# Cached answers declared in caching.READS (and proven above) whose code calls the cache itself:
# it belongs to the per-request auth work, which moves it onto the registry.
DECLARED_ELSEWHERE = {"accounts/permissions.py": "accounts.permissions"}
MENTIONS_THE_CACHE = re.compile(r"\bcaches?\b(\[|\.)")


def test_every_cache_call_in_product_code_goes_through_the_registry():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if (
            "/tests/" in f"/{relative}"
            or relative.startswith("testing/")
            or relative in NOT_ANSWERS | set(DECLARED_ELSEWHERE)
        ):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CACHE_CALL.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "declare these in ifixit/caching.py READS (or say why not):\n" + "\n".join(offenders)


def test_the_allow_list_names_only_files_that_still_call_the_cache():
    for relative in NOT_ANSWERS | set(DECLARED_ELSEWHERE):
        assert MENTIONS_THE_CACHE.search((ROOT / relative).read_text()), f"{relative} no longer uses the cache: drop it"
    assert set(DECLARED_ELSEWHERE.values()) <= set(caching.READS)


def test_every_read_is_written_down():
    written = (ROOT.parent / "docs" / "caching.md").read_text()
    missing = [name for name in caching.READS if f"`{name}`" not in written]
    assert not missing, f"docs/caching.md does not describe {missing}"
