"""Lot alerts from stored feed batches: matching lots, thresholds crossed up and down, never
twice (repeated batches, concurrent workers), only to people who may see auctions, through
the notification centre; and one batch all the way through a real Celery worker."""

import threading
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection

from ifixit.auctions import alerts, selectors, services
from ifixit.auctions.feeds import messages
from ifixit.auctions.models import AuctionSource, FeedHealth, Lot, LotAlert
from ifixit.notifications.models import Notification
from ifixit.testing.factories import UserFactory

AT = "2026-11-24T10:00:00Z"
MATCH, ABOVE, BELOW = LotAlert.Reason.MATCH, LotAlert.Reason.PRICE_ABOVE, LotAlert.Reason.PRICE_BELOW


def lot_event(seq, lot_id, make="Ford", model="Focus", **extra):
    lot = {
        "id": lot_id,
        "make": make,
        "model": model,
        "year": 2018,
        "mileage": 41000,
        "stage": "prebid",
        "region": "North West",
        "starts_at": "2026-11-24T11:00:00Z",
        "ends_at": "2026-11-24T11:05:00Z",
        "current_bid": 500,
        "bid_count": 1,
        **extra,
    }
    return messages.check({"type": "lot", "seq": seq, "at": AT, "lot": lot})


def bid(seq, lot_id, amount, count=2):
    return messages.check({"type": "bid", "seq": seq, "at": AT, "lot_id": lot_id, "amount": amount, "bid_count": count})


@pytest.fixture(autouse=True)
def fresh_caches():
    """Preferences made in another test's (rolled back) transaction may still be compiled in
    this process, and the editor's choices are cached: start every test from the database."""
    alerts.index._bump_version()
    cache.delete(selectors.VOCABULARY_KEY)
    yield
    alerts.index._bump_version()


@pytest.fixture
def eager_tasks():
    """Celery runs queued tasks in this process, at .delay(), so a test sees the whole path:
    feed store -> commit -> hand-off -> task -> alerts -> notifications."""
    from ifixit.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def source(db):
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    return source


@pytest.fixture
def buyer(north):
    return UserFactory(username="bea", role="buyer", locations=[north])


@pytest.fixture
def store(source, eager_tasks, django_capture_on_commit_callbacks):
    """Store a batch as the feeds process does, running what it leaves for after commit."""

    def store(*events):
        with django_capture_on_commit_callbacks(execute=True):
            services.feed_events_store(source_id=source.pk, events=list(events))

    return store


def prefer(user, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return services.preference_save(
            user=user, data=services.PreferenceInput(**{"name": f"pref {fields}", **fields})
        )


@pytest.fixture
def make_pref(django_capture_on_commit_callbacks):
    return lambda user, **fields: prefer(user, django_capture_on_commit_callbacks, **fields)


def alerts_of(user):
    return list(LotAlert.objects.filter(user=user).order_by("id").values_list("lot__external_id", "reason", "price"))


def test_a_matching_lot_appearing_alerts_through_the_notification_centre(buyer, manager, store, make_pref):
    pref = make_pref(buyer, makes=["ford"], price_max=5_000)
    make_pref(manager, makes=["Kia"])
    store(lot_event(1, "L1"), lot_event(2, "L2", make="Kia", model="Ceed"), lot_event(3, "L3", make="Audi", model="A3"))
    assert alerts_of(buyer) == [("L1", MATCH, 500)]
    assert alerts_of(manager) == [("L2", MATCH, 500)]
    lot = Lot.objects.get(external_id="L1")
    note = Notification.objects.get(recipient=buyer)
    assert note.kind == "lot_match" and note.link == f"/auctions/lots/{lot.pk}/"
    assert note.title == "Matching lot: 2018 Ford Focus at £500" and f"“{pref.name}”" in note.body
    assert LotAlert.objects.get(user=buyer).preference == pref


def test_lots_already_open_do_not_alert_a_new_preference(buyer, store, make_pref):
    store(lot_event(1, "L1"))
    make_pref(buyer, makes=["Ford"])
    store(bid(2, "L1", 600), lot_event(3, "L1", current_bid=650))  # the lot again, and bids: not an appearance
    assert alerts_of(buyer) == []
    store(lot_event(4, "L2"))
    assert alerts_of(buyer) == [("L2", MATCH, 500)]


def test_a_lot_announced_by_a_bid_alerts_when_its_car_is_known(buyer, store, make_pref):
    make_pref(buyer, makes=["Ford"])
    store(bid(1, "GHOST", 700))
    assert alerts_of(buyer) == []
    store(lot_event(2, "GHOST", current_bid=700))
    assert alerts_of(buyer) == [("GHOST", MATCH, 700)]


def test_a_price_crossing_the_maximum_up_then_down_alerts_once_each_way(buyer, store, make_pref):
    make_pref(buyer, makes=["Ford"], price_max=5_000)
    store(lot_event(1, "L1", current_bid=4_800))
    store(bid(2, "L1", 4_950))  # still within: nothing
    store(bid(3, "L1", 5_100))
    store(bid(4, "L1", 4_900))  # a retracted bid takes it back under
    store(bid(5, "L1", 5_200), bid(6, "L1", 4_700), bid(7, "L1", 5_300))  # across again, each way: told already
    assert alerts_of(buyer) == [("L1", MATCH, 4_800), ("L1", ABOVE, 5_100), ("L1", BELOW, 4_900)]
    kinds = list(Notification.objects.filter(recipient=buyer).order_by("id").values_list("kind", "title"))
    assert kinds == [
        ("lot_match", "Matching lot: 2018 Ford Focus at £4,800"),
        ("lot_price", "Past your maximum: 2018 Ford Focus at £5,100"),
        ("lot_match", "Within your maximum again: 2018 Ford Focus at £4,900"),
    ]


def test_too_dear_is_only_told_to_those_told_of_the_lot(buyer, manager, store, make_pref):
    make_pref(buyer, makes=["Ford"], price_max=5_000)
    make_pref(manager, makes=["Ford"], price_max=6_000)
    store(lot_event(1, "L1", current_bid=5_500))  # over the buyer's maximum as it appears
    store(bid(2, "L1", 5_600))
    assert alerts_of(buyer) == []
    store(bid(3, "L1", 4_900))  # down under it
    store(bid(4, "L1", 5_100))  # and up again: the buyer knows the lot now
    assert alerts_of(buyer) == [("L1", BELOW, 4_900), ("L1", ABOVE, 5_100)]
    assert alerts_of(manager) == [("L1", MATCH, 5_500)]


def test_margin_and_roi_minimums_without_advice_match_nothing(buyer, manager, store, make_pref):
    """No value model is trained here, so analytics gives no lot an expected margin or ROI:
    a minimum cannot be shown to be met (explicit margins: test_alerts_matching)."""
    make_pref(buyer, makes=["Ford"], min_margin=Decimal(500))
    make_pref(buyer, makes=["Ford"], min_roi=Decimal(10))
    make_pref(manager, makes=["Ford"])
    store(lot_event(1, "L1"))
    assert alerts_of(buyer) == [] and alerts_of(manager) == [("L1", MATCH, 500)]


def test_a_lot_in_another_currency_never_meets_a_maximum(buyer, manager, store, make_pref):
    make_pref(buyer, makes=["Ford"], price_max=5_000)
    make_pref(manager, makes=["Ford"])
    store(lot_event(1, "L1", currency="EUR"))
    assert alerts_of(buyer) == [] and alerts_of(manager) == [("L1", MATCH, 500)]
    assert Notification.objects.get(recipient=manager).title == "Matching lot: 2018 Ford Focus at EUR 500"


def test_the_same_changes_twice_alert_once(buyer, store, make_pref):
    make_pref(buyer, makes=["Ford"], price_max=5_000)
    make_pref(buyer, makes=["Ford"], year_min=2015)  # two preferences of one user: one alert
    store(lot_event(1, "L1"))
    lot = Lot.objects.get()
    # A redelivered task, a snapshot resync, a replay: the same changes again.
    assert alerts.lot_changes_alert(changes=[alerts.LotChange(lot.pk, None, 500)]) == 0
    assert (
        alerts.lot_changes_alert(
            changes=[alerts.LotChange(lot.pk, 4_000, 5_500), alerts.LotChange(lot.pk, 4_000, 5_500)]
        )
        == 1
    )
    assert alerts.lot_changes_alert(changes=[alerts.LotChange(lot.pk, 4_000, 5_500)]) == 0
    assert alerts_of(buyer) == [("L1", MATCH, 500), ("L1", ABOVE, 5_500)]
    assert Notification.objects.filter(recipient=buyer).count() == 2


def test_only_people_who_may_see_auctions_are_alerted(buyer, sales_user, store, make_pref):
    make_pref(buyer, makes=["Ford"])
    make_pref(sales_user, makes=["Ford"])  # kept from a time the user was a buyer
    gone = UserFactory(username="gone", role="buyer", is_active=False)
    make_pref(gone, makes=["Ford"])
    store(lot_event(1, "L1"))
    assert alerts_of(buyer) == [("L1", MATCH, 500)]
    assert alerts_of(sales_user) == [] and alerts_of(gone) == []
    assert not Notification.objects.filter(recipient__in=[sales_user, gone]).exists()


def test_inactive_and_deleted_preferences_alert_nobody(buyer, store, make_pref, django_capture_on_commit_callbacks):
    paused = make_pref(buyer, makes=["Ford"])
    deleted = make_pref(buyer, makes=["Kia"])
    with django_capture_on_commit_callbacks(execute=True):
        services.preference_set_active(user=buyer, preference_id=paused.pk, active=False)
        services.preference_delete(user=buyer, preference_id=deleted.pk)
    store(lot_event(1, "L1"), lot_event(2, "L2", make="Kia", model="Ceed"))
    assert alerts_of(buyer) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.preference_set_active(user=buyer, preference_id=paused.pk, active=True)
    store(lot_event(3, "L3"))
    assert alerts_of(buyer) == [("L3", MATCH, 500)]


def test_an_edited_preference_is_matched_as_edited(buyer, store, make_pref, django_capture_on_commit_callbacks):
    pref = make_pref(buyer, makes=["Ford"])
    with django_capture_on_commit_callbacks(execute=True):
        services.preference_save(
            user=buyer, preference_id=pref.pk, data=services.PreferenceInput(name=pref.name, makes=["Kia"])
        )
    store(lot_event(1, "L1"), lot_event(2, "L2", make="KIA", model="ceed"))
    assert alerts_of(buyer) == [("L2", MATCH, 500)]


def test_closed_lots_alert_nobody(buyer, store, make_pref):
    make_pref(buyer)
    store(lot_event(1, "L1", stage="closed"))
    assert alerts_of(buyer) == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_matching_the_same_lot_at_once_alert_once(north):
    """The unique (user, lot, reason) decides, not a look first: both workers look, find
    nothing, and write; one of them wins."""
    buyer = UserFactory(username="bea", role="buyer", locations=[north])
    source = AuctionSource.objects.create(name="Sim", url="http://127.0.0.1:1")
    services.preference_save(user=buyer, data=services.PreferenceInput(name="Fords", makes=["Ford"]))
    lot = Lot.objects.create(source=source, external_id="L1", make="Ford", model="Focus", year=2018, current_bid=500)
    start = threading.Barrier(4)
    made, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            made.append(alerts.lot_changes_alert(changes=[alerts.LotChange(lot.pk, None, 500)]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(made) == [0, 0, 0, 1]
    assert LotAlert.objects.count() == 1 and Notification.objects.filter(recipient=buyer).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_feed_batch_reaches_the_notification_centre_through_a_real_worker(north, tmp_path):
    from ifixit.testing.processes import process_env, start_worker, wait_for

    buyer = UserFactory(username="bea", role="buyer", locations=[north])
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    services.preference_save(
        user=buyer, data=services.PreferenceInput(name="Cheap Focus", makes=["Ford"], price_max=5_000)
    )
    worker = start_worker("alerts-worker", tmp_path, process_env())
    try:
        services.feed_events_store(
            source_id=source.pk, events=[lot_event(1, "SIM-1", current_bid=4_900), lot_event(2, "SIM-2", make="Kia")]
        )
        note = wait_for(lambda: Notification.objects.filter(recipient=buyer).first(), 60, "the match notification")
        services.feed_events_store(source_id=source.pk, events=[bid(3, "SIM-1", 5_050, 3)])
        wait_for(
            lambda: Notification.objects.filter(recipient=buyer, kind="lot_price").exists(),
            60,
            "the price notification",
        )
    finally:
        worker.kill()
    lot = Lot.objects.get(external_id="SIM-1")
    assert note.kind == "lot_match" and note.link == f"/auctions/lots/{lot.pk}/"
    assert alerts_of(buyer) == [("SIM-1", MATCH, 4_900), ("SIM-1", ABOVE, 5_050)]
