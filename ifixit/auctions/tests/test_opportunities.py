"""The opportunity queue: triage new lots, and a won lot becoming a car in stock."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ifixit.auctions.models import AuctionSource, Lot, Opportunity
from ifixit.inventory.models import Car
from ifixit.testing.factories import UserFactory

VIN = "WF0XXXGCDX8123456"


@pytest.fixture
def lots(db):
    source = AuctionSource.objects.create(name="Sim", url="http://127.0.0.1:1")
    fresh = Lot.objects.create(source=source, external_id="N1", make="Ford", model="Focus", year=2019, mileage=30000, current_bid=4000)
    ended = Lot.objects.create(
        source=source, external_id="E1", make="Kia", model="Ceed", year=2018, mileage=52000, fuel="diesel",
        body_type="estate", current_bid=5200, stage="closed", outcome="sold",
    )
    return fresh, ended


def test_only_admins_get_the_queue(client, lots, north):
    for role in ("manager", "buyer", "sales", "workshop"):
        client.force_login(UserFactory(username=f"q-{role}", role=role, locations=[north]))
        assert client.get(reverse("opportunity_queue")).status_code == 403
        assert client.post(reverse("opportunity_action", args=[lots[0].pk]), {"decision": "watch"}).status_code == 403
    assert not Opportunity.objects.exists()


def test_triage_watch_bid_pass(client, admin_user, lots):
    fresh, _ = lots
    client.force_login(admin_user)
    assert "Ford Focus" in client.get(reverse("opportunity_queue")).content.decode()
    client.post(reverse("opportunity_action", args=[fresh.pk]), {"decision": "bid"})  # no max bid: refused
    assert not Opportunity.objects.exists()
    client.post(reverse("opportunity_action", args=[fresh.pk]), {"decision": "bid", "max_bid": "4500"})
    assert Opportunity.objects.get(lot=fresh).max_bid == 4500
    client.post(reverse("opportunity_action", args=[fresh.pk]), {"decision": "pass"})
    assert Opportunity.objects.get(lot=fresh).decision == "pass"
    html = client.get(reverse("opportunity_queue")).content.decode()
    assert "Ford Focus" not in html  # passed: out of the queue


def test_a_won_lot_becomes_a_car_in_stock_linked_to_it(client, admin_user, lots, north):
    _, ended = lots
    client.force_login(admin_user)
    client.post(reverse("opportunity_action", args=[ended.pk]), {"decision": "bid", "max_bid": "5500"})
    response = client.post(
        reverse("opportunity_action", args=[ended.pk]),
        {"decision": "won", "vin": VIN.lower(), "registration": "ab18 cde", "location": north.pk, "price": "5200", "auction_fees": "480.50"},
    )
    car = Car.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("car_detail", args=[car.pk])
    assert (car.vin, car.make, car.model, car.year, car.fuel, car.body_type, car.location) == (VIN, "Kia", "Ceed", 2018, "diesel", "estate", north)
    assert car.purchase_price == Decimal("5200") and car.auction_fees == Decimal("480.50") and car.phase == "purchased"
    assert Opportunity.objects.get(lot=ended).car == car and car.won_lot.lot == ended


def test_a_bad_win_writes_nothing(client, admin_user, lots, north):
    fresh, ended = lots
    client.force_login(admin_user)
    client.post(reverse("opportunity_action", args=[ended.pk]), {"decision": "won", "vin": "TOO-SHORT", "location": north.pk, "price": "5200"})
    client.post(reverse("opportunity_action", args=[fresh.pk]), {"decision": "won", "vin": VIN, "location": north.pk, "price": "4000"})  # not ended
    assert not Car.objects.exists() and not Opportunity.objects.exists()
