"""The live board and lot page: who may see them, filters, fixed query counts, and the
bid change reaching an open page in Chromium without a reload."""

import asyncio
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from playwright.sync_api import expect

from ifixit.auctions import services
from ifixit.auctions.feeds import messages
from ifixit.auctions.feeds.consumer import SourceConsumer
from ifixit.auctions.models import AuctionSource, FeedHealth, Lot
from ifixit.testing.factories import UserFactory

AT = "2026-11-24T10:00:00Z"


def lot_event(seq, lot_id, make="Ford", model="Focus", **extra):
    lot = {"id": lot_id, "make": make, "model": model, "year": 2018, "mileage": 41000, "stage": "live",
           "ends_at": "2026-11-24T10:05:00Z", "reserve": True, "current_bid": 500, "bid_count": 1, **extra}
    return messages.check({"type": "lot", "seq": seq, "at": AT, "lot": lot})


def bid(seq, lot_id, amount, count):
    return messages.check({"type": "bid", "seq": seq, "at": AT, "lot_id": lot_id, "amount": amount, "bid_count": count})


@pytest.fixture
def source(db):
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    return source


@pytest.fixture
def buyer(north):
    return UserFactory(username="bea", role="buyer", locations=[north])


def test_the_board_lists_open_lots_ending_soonest_first(client, buyer, source):
    services.feed_events_store(source_id=source.pk, events=[
        lot_event(1, "A", ends_at="2026-11-24T11:00:00Z"), lot_event(2, "B", make="Kia", model="Ceed", ends_at="2026-11-24T10:30:00Z"),
        lot_event(3, "C", make="Audi", model="A3"), messages.check({"type": "end", "seq": 4, "at": AT, "lot_id": "C", "outcome": "sold", "amount": 900}),
    ])
    client.force_login(buyer)
    html = client.get(reverse("lot_board")).content.decode()
    assert html.index("Kia Ceed") < html.index("Ford Focus") and "Audi" not in html
    html = client.get(reverse("lot_board") + "?make=kia").content.decode()
    assert "Kia Ceed" in html and "Ford Focus" not in html
    html = client.get(reverse("lot_board") + "?price_min=600").content.decode()
    assert "No lots open that match" in html


def test_only_people_who_buy_see_auctions(client, sales_user, workshop_user, buyer, source):
    services.feed_events_store(source_id=source.pk, events=[lot_event(1, "A")])
    lot = Lot.objects.get()
    for user in (sales_user, workshop_user):
        client.force_login(user)
        assert client.get(reverse("lot_board")).status_code == 403
        assert client.get(reverse("lot_detail", args=[lot.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("lot_board")).status_code == 302
    client.force_login(buyer)
    assert client.get(reverse("lot_detail", args=[lot.pk])).status_code == 200
    assert client.get(reverse("lot_detail", args=[lot.pk + 999])).status_code == 404
    assert client.post(reverse("lot_board")).status_code == 405


def test_the_board_and_lot_page_run_a_fixed_number_of_queries(client, buyer, source):
    # An earlier test's value model version stays cached over its rolled-back database: the
    # board would ask again for the model in use on its second request, not only on its first.
    cache.clear()
    client.force_login(buyer)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    services.feed_events_store(source_id=source.pk, events=[lot_event(1, "L0"), bid(2, "L0", 525, 2)])
    lot = Lot.objects.get()
    count(reverse("lot_board"))  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few_board, few_lot = count(reverse("lot_board")), count(reverse("lot_detail", args=[lot.pk]))
    events = [lot_event(10 + i, f"L{i + 1}") for i in range(30)] + [bid(100 + i, "L0", 550 + 25 * i, 3 + i) for i in range(30)]
    services.feed_events_store(source_id=source.pk, events=events)
    assert count(reverse("lot_board")) == few_board
    assert count(reverse("lot_detail", args=[lot.pk])) == few_lot


# --- in the browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.real_password_hashing
@pytest.mark.django_db(transaction=True)
def test_the_live_board_shows_a_bid_change_without_a_reload(phone, tmp_path, north):
    from ifixit.inventory.tests.test_browser import sign_in
    from ifixit.testing.browser import screenshot
    from ifixit.testing.processes import process_env, start_web

    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    FeedHealth.objects.create(source=source)
    UserFactory(username="bob", role="buyer", password="bob-long-password", locations=[north])
    services.feed_events_store(source_id=source.pk, events=[lot_event(1, "SIM-1"), lot_event(2, "SIM-2", make="Kia", model="Ceed")])
    lot = Lot.objects.get(external_id="SIM-1")
    web = start_web("auction-web", tmp_path, process_env())
    try:
        page = phone
        sign_in(page, web.url, "bob", "bob-long-password")
        page.goto(f"{web.url}/auctions/")
        expect(page.locator("#live-state")).to_have_text("Live")
        expect(page.get_by_test_id(f"bid-{lot.pk}")).to_have_text("£500")

        def feed():  # as the feeds process does: store, then publish, off Playwright's thread
            try:
                updates = services.feed_events_store(source_id=source.pk, events=[bid(3, "SIM-1", 525, 2)])
                asyncio.run(SourceConsumer(source).publish(updates))
            finally:
                connection.close()

        thread = threading.Thread(target=feed)
        thread.start()
        thread.join()
        expect(page.get_by_test_id(f"bid-{lot.pk}")).to_have_text("£525")
        expect(page.locator(f'[data-lot="{lot.pk}"] [data-field="bid_count"]')).to_have_text("2")
        screenshot(page, "30-live-board-375")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        web.kill()
