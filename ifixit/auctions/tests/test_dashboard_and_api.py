"""The admin-only integration dashboard (page and API) and the auctions API."""

import pytest
from django.urls import reverse

from ifixit.auctions.models import AuctionSource, FeedHealth, Lot
from ifixit.testing.factories import UserFactory


@pytest.fixture
def source(db):
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1", api_key="top-secret-key")
    FeedHealth.objects.create(source=source, state="live", messages=42, gaps=3, errors=1, last_error="malformed message: not JSON")
    return source


@pytest.fixture
def everyone_but_admins(north):
    return [UserFactory(username=f"u-{role}", role=role, locations=[north]) for role in ("manager", "buyer", "sales", "workshop")]


def test_nobody_but_an_admin_gets_the_dashboard(api_for, client, source, everyone_but_admins, admin_user):
    for user in everyone_but_admins:
        client.force_login(user)
        assert client.get(reverse("integration_dashboard")).status_code == 403, user.role
        assert client.post(reverse("feed_action", args=[source.pk, "pause"])).status_code == 403
        assert api_for(user).get("/api/v1/ops/feeds/").status_code == 403
        assert api_for(user).post(f"/api/v1/ops/feeds/{source.pk}/pause/").status_code == 403
    assert not AuctionSource.objects.get(pk=source.pk).paused
    Lot.objects.create(source=source, external_id="LIVE1", make="Volvo", model="XC40", stage="live", current_bid=15250)
    Lot.objects.create(source=source, external_id="PRE1", make="Seat", model="Leon", stage="prebid")
    client.force_login(admin_user)
    html = client.get(reverse("integration_dashboard")).content.decode()
    assert "Simulated" in html and "malformed message" in html and "top-secret" not in html
    assert "Volvo XC40" in html and "£15,250" in html and "Seat Leon" not in html  # live now, not pre-bidding


def test_an_admin_pauses_resumes_and_asks_for_a_resync(api_for, client, source, admin_user):
    client.force_login(admin_user)
    client.post(reverse("feed_action", args=[source.pk, "pause"]))
    assert AuctionSource.objects.get(pk=source.pk).paused
    body = api_for(admin_user).post(f"/api/v1/ops/feeds/{source.pk}/resume/").json()
    assert body["paused"] is False and body["gaps"] == 3 and "api_key" not in body
    api_for(admin_user).post(f"/api/v1/ops/feeds/{source.pk}/resync/")
    assert FeedHealth.objects.get(source=source).resync_requested
    from ifixit.auctions.services import feed_resync_take

    assert feed_resync_take(source_id=source.pk) is True and feed_resync_take(source_id=source.pk) is False
    assert api_for(admin_user).post(f"/api/v1/ops/feeds/{source.pk}/explode/").status_code == 404


def test_the_auctions_api_for_buyers_only(api_for, anon, source, north, sales_user):
    buyer = UserFactory(username="bea", role="buyer", locations=[north])
    lot = Lot.objects.create(source=source, external_id="X1", make="Ford", model="Focus", current_bid=900)
    assert api_for(sales_user).get("/api/v1/auctions/lots/").status_code == 403
    assert anon.get("/api/v1/auctions/lots/").status_code == 401
    assert api_for(buyer).get("/api/v1/auctions/lots/?make=ford").json()["count"] == 1
    assert api_for(buyer).get(f"/api/v1/auctions/lots/{lot.pk}/").json()["current_bid"] == 900
    assert api_for(buyer).get(f"/api/v1/auctions/lots/{lot.pk}/ticks/").json() == []
    assert api_for(buyer).get("/api/v1/auctions/lots/999/").status_code == 404
    sources = api_for(buyer).get("/api/v1/auctions/sources/").json()
    assert sources[0]["state"] == "live" and "top-secret" not in str(sources)
