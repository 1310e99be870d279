"""Margin and ROI minimums against analytics' real advice: a value model is trained on a
synthetic market, and a lot from the feed matches a preference whose minimum its expected
margin (or ROI) meets, and not one whose minimum it misses."""

import math
from datetime import date

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ifixit.analytics import synthetic
from ifixit.analytics.advice import selectors as advice
from ifixit.analytics.ml import value
from ifixit.analytics.models import SaleFact, ValueModel
from ifixit.analytics.valuation import services as valuation
from ifixit.auctions import alerts, services
from ifixit.auctions.feeds import messages
from ifixit.auctions.models import AuctionSource, FeedHealth, Lot, LotAlert
from ifixit.testing.factories import UserFactory

AT = "2026-11-24T10:00:00Z"
CAR = {
    "make": "Ford",
    "model": "Focus",
    "year": 2018,
    "mileage": 41000,
    "stage": "prebid",
    "current_bid": 1_000,
    "bid_count": 1,
}


@pytest.fixture(scope="module")
def fitted(django_db_setup, django_db_blocker):
    """A value model trained once for the module (training is the slow part)."""
    with django_db_blocker.unblock(), transaction.atomic():
        SaleFact.objects.bulk_create(synthetic.facts(count=1000, seed=7, end=date(2026, 10, 31)))
        data = valuation.training_frame()
        transaction.set_rollback(True)
    return value.train(data)


@pytest.fixture
def model_in_use(db, fitted):
    cache.clear()
    valuation._loaded.clear()
    SaleFact.objects.bulk_create(synthetic.facts(count=1000, seed=7, end=date(2026, 10, 31)))
    ValueModel.objects.create(
        version=1,
        status=ValueModel.Status.PROMOTED,
        training_rows=1000,
        held_out_rows=0,
        features=list(fitted.features),
        metrics={"interval": fitted.interval},
        baseline_metrics={},
        decision="test",
        promoted_at=timezone.now(),
        artifact=fitted.dumps(),
    )
    alerts.index._bump_version()
    yield
    valuation._loaded.clear()
    alerts.index._bump_version()


@pytest.fixture
def eager_tasks():
    from ifixit.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def test_margin_and_roi_minimums_are_met_or_missed_by_the_lots_advice(
    model_in_use, eager_tasks, north, django_capture_on_commit_callbacks
):
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    # What advice says of this car at this price (the same inputs give the same figures).
    probe = Lot.objects.create(source=source, external_id="PROBE", **{k: v for k, v in CAR.items() if k != "bid_count"})
    expected = advice.lot_advice_many([Lot.objects.select_related("source").get(pk=probe.pk)])[probe.pk]
    margin, roi = expected.expected_margin, expected.expected_roi
    assert margin is not None and margin > 0 and roi is not None

    # One buyer per preference: each is alerted, or not, on that preference alone.
    minimums = {
        "margin_met": {"min_margin": math.floor(margin) - 1},
        "roi_met": {"min_roi": math.floor(roi) - 1},
        "margin_missed": {"min_margin": math.ceil(margin) + 100},
        "roi_missed": {"min_roi": math.ceil(roi) + 1},
    }
    buyers = {name: UserFactory(username=name, role="buyer", locations=[north]) for name in minimums}
    with django_capture_on_commit_callbacks(execute=True):
        for name, minimum in minimums.items():
            services.preference_save(
                user=buyers[name], data=services.PreferenceInput(name=name, makes=["Ford"], **minimum)
            )
    with django_capture_on_commit_callbacks(execute=True):
        services.feed_events_store(
            source_id=source.pk,
            events=[
                messages.check({"type": "lot", "seq": 1, "at": AT, "lot": {"id": "L1", **CAR}}),
            ],
        )
    alerted = set(
        LotAlert.objects.filter(lot__external_id="L1", reason="match").values_list("user__username", flat=True)
    )
    assert alerted == {"margin_met", "roi_met"}
