"""The API of bidding preferences, alerts, watches and alert channels: each user's own only,
for people who may see auctions; field-keyed errors with nothing written; fixed query counts."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from ifixit.auctions import alerts, selectors, services
from ifixit.auctions.models import AuctionSource, BiddingPreference, Lot, LotAlert, LotWatch
from ifixit.notifications.models import Preference
from ifixit.testing.factories import UserFactory

URL = "/api/v1/auctions/preferences/"


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Every test here starts from fresh caches."""


def api(user=None):
    client = APIClient()
    if user is not None:
        # A fresh copy, as each real request loads one: permissions are not cached across calls.
        client.force_authenticate(user=type(user).objects.get(pk=user.pk))
    return client


def body(**overrides):
    return {
        "name": "Cheap Focus",
        "makes": ["Kia"],
        "models": [{"make": "ford", "model": "focus"}],
        "year_min": 2015,
        "year_max": 2020,
        "mileage_max": 60_000,
        "price_max": 5_000,
        "min_margin": None,
        "min_roi": "12.5",
        "regions": ["north west"],
        **overrides,
    }


def test_anonymous_gets_401_and_people_without_auctions_403(sales_user, workshop_user, lot):
    urls = [
        URL,
        f"{URL}1/",
        "/api/v1/auctions/alerts/",
        "/api/v1/auctions/watches/",
        f"/api/v1/auctions/lots/{lot.pk}/watch/",
        "/api/v1/auctions/alert-channels/",
    ]
    for url in urls:
        assert api().get(url).status_code == 401, url
        for user in (sales_user, workshop_user):
            assert api(user).get(url).status_code == 403, url
    assert api(sales_user).post(URL, body(), format="json").status_code == 403
    assert api(sales_user).put(f"/api/v1/auctions/lots/{lot.pk}/watch/", {}, format="json").status_code == 403
    assert not BiddingPreference.objects.exists() and not LotWatch.objects.exists()


def test_a_buyer_creates_reads_changes_and_deletes_their_preference(buyer, source, lot):
    created = api(buyer).post(URL, body(sources=[source.pk]), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["makes"] == ["Kia"] and data["models"] == [{"make": "Ford", "model": "Focus"}]
    assert data["regions"] == ["North West"] and data["sources"] == [source.pk] and data["min_roi"] == "12.50"
    assert data["recent_matches"] == 0  # the lot would match but for the ROI, which needs advice
    url = f"{URL}{data['id']}/"
    assert api(buyer).get(url).json()["name"] == "Cheap Focus"

    changed = api(buyer).patch(url, {"min_roi": None, "price_max": 3_000}, format="json").json()
    assert changed["price_max"] == 3_000 and changed["min_roi"] is None and changed["makes"] == ["Kia"]
    assert changed["recent_matches"] == 0  # £4,000 is over £3,000
    assert api(buyer).patch(url, {"price_max": 4_000}, format="json").json()["recent_matches"] == 1
    half_a_pair = api(buyer).patch(url, {"models": [{"make": "Ford"}]}, format="json")
    assert half_a_pair.status_code == 400, half_a_pair.json()
    assert half_a_pair.json() == {"models": {"0": {"model": ["This field is required."]}}}

    replaced = api(buyer).put(url, {"name": "Anything"}, format="json").json()
    assert replaced["makes"] == [] and replaced["price_max"] is None and replaced["active"] is True
    assert api(buyer).get(URL).json()["count"] == 1
    assert api(buyer).delete(url).status_code == 204
    assert api(buyer).get(url).status_code == 404 and not BiddingPreference.objects.exists()


def test_another_users_preference_is_not_found_and_left_alone(buyer, other_buyer, lot):
    theirs = services.preference_save(user=other_buyer, data=services.PreferenceInput(name="Bob's", makes=["Kia"]))
    mine = services.preference_save(user=buyer, data=services.PreferenceInput(name="Mine"))
    url = f"{URL}{theirs.pk}/"
    assert api(buyer).get(url).status_code == 404
    assert api(buyer).put(url, body(), format="json").status_code == 404
    assert api(buyer).patch(url, {"name": "Taken"}, format="json").status_code == 404
    assert api(buyer).delete(url).status_code == 404
    assert [p["id"] for p in api(buyer).get(URL).json()["results"]] == [mine.pk]
    theirs.refresh_from_db()
    assert theirs.name == "Bob's" and theirs.makes == ["Kia"]
    # The same name is fine for another user.
    assert api(buyer).post(URL, body(name="Bob's"), format="json").status_code == 201


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"year_min": 2020, "year_max": 2015}, "year_max"),
        ({"year_min": 1800}, "year_min"),
        ({"makes": ["Frod"]}, "makes"),
        ({"models": [{"make": "Nonesuch", "model": "X"}]}, "models"),
        ({"sources": [999]}, "sources"),
        ({"regions": ["Atlantis"]}, "regions"),
        ({"min_roi": "-150"}, "min_roi"),
        ({"min_margin": "-1"}, "min_margin"),
        ({"price_max": -5}, "price_max"),
        ({"mileage_max": 9_000_000}, "mileage_max"),
        ({"name": "   "}, "name"),
        ({"makes": "Ford"}, "makes"),
    ],
)
def test_bad_input_is_refused_by_field_with_nothing_written(buyer, lot, overrides, field):
    response = api(buyer).post(URL, body(**overrides), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not BiddingPreference.objects.exists()


def test_every_mistake_shows_at_once_and_an_update_is_all_or_nothing(buyer, lot):
    response = api(buyer).post(
        URL, body(year_min=2020, year_max=2015, makes=["Frod"], regions=["Atlantis"]), format="json"
    )
    assert set(response.json()) == {"year_max", "makes", "regions"}
    pref = services.preference_save(user=buyer, data=services.PreferenceInput(name="Mine", makes=["Ford"]))
    services.preference_save(user=buyer, data=services.PreferenceInput(name="Other"))
    assert api(buyer).patch(f"{URL}{pref.pk}/", {"name": "Other", "makes": ["Kia"]}, format="json").json() == {
        "name": ["You already have a preference of this name."]
    }
    pref.refresh_from_db()
    assert pref.name == "Mine" and pref.makes == ["Ford"]


def test_the_preference_list_runs_a_fixed_number_of_queries(buyer, source, django_assert_num_queries):
    def make(n):
        for i in range(n):
            Lot.objects.create(
                source=source,
                external_id=f"L{BiddingPreference.objects.count()}-{i}",
                make="Ford",
                model="Focus",
                year=2018,
                current_bid=4_000,
            )
            pref = services.preference_save(
                user=buyer,
                data=services.PreferenceInput(
                    name=f"P{BiddingPreference.objects.count()}", makes=["Ford"], min_margin=Decimal(100)
                ),
            )
            pref.sources.add(source)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert api(buyer).get(URL).status_code == 200
        return len(ctx)

    make(1)
    count()  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    few = count()
    make(12)
    with django_assert_num_queries(few):
        assert api(buyer).get(URL).json()["count"] == 13


@pytest.fixture
def alerted(buyer, other_buyer, source):
    def make(n):
        for i in range(n):
            lot = Lot.objects.create(
                source=source, external_id=f"A{Lot.objects.count()}", make="Ford", model="Focus", current_bid=100 + i
            )
            pref = BiddingPreference.objects.create(user=buyer, name=f"P{lot.pk}")
            LotAlert.objects.create(
                user=buyer, lot=lot, reason=LotAlert.Reason.MATCH, price=lot.current_bid, preference=pref
            )
            LotAlert.objects.create(user=other_buyer, lot=lot, reason=LotAlert.Reason.MATCH, price=lot.current_bid)
            LotWatch.objects.create(user=buyer, lot=lot)
            LotWatch.objects.create(user=other_buyer, lot=lot)

    return make


def test_alerts_and_watches_are_the_users_own_newest_first_in_fixed_queries(buyer, alerted, django_assert_num_queries):
    alerted(1)
    # The first request caches the user's permissions: ifixit/accounts/permissions.py
    api(buyer).get("/api/v1/auctions/alerts/")
    for url in ("/api/v1/auctions/alerts/", "/api/v1/auctions/watches/"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            api(buyer).get(url)
        alerted(10)
        with django_assert_num_queries(len(ctx)):
            page = api(buyer).get(url).json()
        mine = LotAlert.objects.filter(user=buyer) if "alerts" in url else LotWatch.objects.filter(user=buyer)
        assert page["count"] == mine.count()
        assert [r["lot"]["id"] for r in page["results"]] == list(
            mine.order_by("-created_at", "-id").values_list("lot_id", flat=True)
        )
    first = api(buyer).get("/api/v1/auctions/alerts/").json()["results"][0]
    assert (
        first["reason"] == "match"
        and first["preference_name"] == f"P{first['lot']['id']}"
        and first["lot"]["source"] == "Simulated"
    )
    assert api(buyer).get("/api/v1/auctions/alerts/?reason=ending").json()["count"] == 0
    assert api(buyer).get("/api/v1/auctions/alerts/?reason=nonsense").status_code == 400


def test_watching_and_unwatching_a_lot(buyer, other_buyer, lot):
    url = f"/api/v1/auctions/lots/{lot.pk}/watch/"
    assert api(buyer).get(url).status_code == 404
    watched = api(buyer).put(url, {"remind_before_start": 15}, format="json")
    assert watched.status_code == 200
    assert (watched.json()["remind_before_start"], watched.json()["remind_before_end"]) == (15, 5)
    assert api(buyer).put(url, {"remind_before_end": 0}, format="json").json()["remind_before_end"] == 0
    assert LotWatch.objects.filter(user=buyer).count() == 1
    assert api(other_buyer).get(url).status_code == 404  # watches are per user
    assert api(other_buyer).delete(url).status_code == 404
    assert api(buyer).put(url, {"remind_before_start": 500}, format="json").status_code == 400
    assert api(buyer).put(f"/api/v1/auctions/lots/{lot.pk + 99}/watch/", {}, format="json").status_code == 404
    assert api(buyer).delete(url).status_code == 204
    assert api(buyer).delete(url).status_code == 404 and not LotWatch.objects.exists()
    assert api(buyer).post(url).status_code == 405


def test_alert_channels_are_the_notification_centres_choices(buyer):
    url = "/api/v1/auctions/alert-channels/"
    assert api(buyer).get(url).json()["lot_reminder"] == {"in_app": True, "email": True, "sms": False}
    choice = {"in_app": True, "email": False, "sms": True}
    refused = api(buyer).put(url, {"lot_match": choice, "lot_price": choice, "lot_reminder": choice}, format="json")
    assert refused.status_code == 400 and "lot_match-sms" in refused.json()  # no mobile number yet
    assert not Preference.objects.exists()
    buyer.mobile = "+447911123456"
    buyer.save()
    saved = (
        api(buyer)
        .put(url, {"lot_match": choice, "lot_price": choice, "lot_reminder": {**choice, "email": True}}, format="json")
        .json()
    )
    assert saved["lot_match"] == choice and saved["lot_reminder"]["email"] is True
    assert Preference.objects.get(user=buyer, kind="lot_match").sms is True
    buyer.refresh_from_db()
    assert buyer.mobile == "+447911123456"
    assert api(buyer).put(url, {"lot_match": choice}, format="json").status_code == 400  # all three, always
