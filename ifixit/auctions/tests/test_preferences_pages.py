"""The pages of bidding preferences, lot alerts, alert channels and the lot page's Watch
button: who may see them, each user's own only, errors by field with nothing saved, htmx
fragments, fixed query counts, and the editor and Watch button on a 375 px phone."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from playwright.sync_api import expect

from ifixit.auctions import alerts, selectors, services
from ifixit.auctions.models import AuctionSource, BiddingPreference, Lot, LotAlert, LotWatch
from ifixit.notifications.models import Preference
from ifixit.testing.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh(fresh_caches):
    """Every test here starts from fresh caches."""


def save(user, **fields):
    return services.preference_save(user=user, data=services.PreferenceInput(**{"name": "Fords", **fields}))


def form_data(**overrides):
    return {
        "name": "Cheap Focus",
        "active": "on",
        "makes": ["Kia"],
        "models": ["Ford|Focus"],
        "year_min": "2015",
        "year_max": "2020",
        "mileage_max": "60000",
        "price_max": "5000",
        "min_margin": "",
        "min_roi": "",
        "regions": ["North West"],
        **overrides,
    }


def test_anonymous_goes_to_sign_in_and_people_without_auctions_are_refused(client, sales_user, buyer, lot):
    pref = save(buyer)
    pages = [
        reverse("bidding_preferences"),
        reverse("bidding_preference_new"),
        reverse("bidding_preference_edit", args=[pref.pk]),
        reverse("bidding_preference_delete", args=[pref.pk]),
        reverse("lot_alerts"),
        reverse("lot_watch", args=[lot.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    client.force_login(sales_user)
    for url in pages:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("bidding_preference_new"), form_data()).status_code == 403
    assert client.post(reverse("lot_watch", args=[lot.pk]), {"action": "watch"}).status_code == 403
    assert BiddingPreference.objects.count() == 1 and not LotWatch.objects.exists()


def test_wrong_methods_are_refused(client, buyer, lot):
    pref = save(buyer)
    client.force_login(buyer)
    assert client.post(reverse("bidding_preferences")).status_code == 405
    assert client.post(reverse("lot_alerts")).status_code == 405
    assert client.get(reverse("bidding_preference_active", args=[pref.pk])).status_code == 405
    assert client.get(reverse("lot_alert_channels")).status_code == 405
    assert client.put(reverse("lot_watch", args=[lot.pk])).status_code == 405


def test_the_list_shows_the_users_own_preferences_with_recent_matches(client, buyer, other_buyer, lot):
    save(buyer, name="Any Ford", makes=["Ford"])
    save(buyer, name="Dear Fords", makes=["Ford"], price_max=3_000)
    save(other_buyer, name="Bob's Kias", makes=["Kia"])
    client.force_login(buyer)
    response = client.get(reverse("bidding_preferences"))
    html = response.content.decode()
    assert "Any Ford" in html and "Dear Fords" in html and "Bob's Kias" not in html
    prefs = {p.name: p for p in BiddingPreference.objects.filter(user=buyer)}
    counts = {
        name: response.context["page"].object_list[i].recent_count for i, name in enumerate(["Any Ford", "Dear Fords"])
    }
    assert counts == {"Any Ford": 1, "Dear Fords": 0}
    assert f'data-testid="recent-{prefs["Any Ford"].pk}"><strong>1</strong> recent lot would have matched' in html
    assert "How alerts reach you" in html


def test_a_buyer_makes_a_preference_with_the_editor(client, buyer, source, lot):
    client.force_login(buyer)
    form = client.get(reverse("bidding_preference_new")).content.decode()
    assert (
        '<option value="Ford|Focus">Focus</option>' in form and '<option value="North West">North West</option>' in form
    )
    response = client.post(reverse("bidding_preference_new"), form_data(sources=[source.pk]))
    assert response.status_code == 302 and response.url == reverse("bidding_preferences")
    pref = BiddingPreference.objects.get(user=buyer)
    assert (pref.makes, pref.car_models, pref.regions, pref.price_max) == (
        ["Kia"],
        [["Ford", "Focus"]],
        ["North West"],
        5_000,
    )
    assert list(pref.sources.all()) == [source]


def test_the_editor_shows_errors_by_field_and_saves_nothing(client, buyer, lot):
    client.force_login(buyer)
    response = client.post(
        reverse("bidding_preference_new"),
        form_data(year_min="2020", year_max="2015", makes=["Nonesuch"], price_max="-3"),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"makes", "price_max"}  # the form's own checks first
    response = client.post(reverse("bidding_preference_new"), form_data(year_min="2020", year_max="2015"))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["year_max"]
    assert "The latest year cannot be before the earliest." in response.content.decode()
    save(buyer, name="Taken")
    response = client.post(reverse("bidding_preference_new"), form_data(name="Taken"))
    assert response.status_code == 400 and response.context["form"].errors["name"] == [
        "You already have a preference of this name."
    ]
    assert BiddingPreference.objects.count() == 1


def test_editing_pausing_and_deleting_ones_own(htmx, client, buyer, lot):
    pref = save(buyer, makes=["Ford"])
    client.force_login(buyer)
    edit = reverse("bidding_preference_edit", args=[pref.pk])
    assert 'value="Fords"' in client.get(edit).content.decode()
    assert client.post(edit, form_data(name="Renamed", makes=["Ford"], models=[])).status_code == 302
    pref.refresh_from_db()
    assert pref.name == "Renamed" and pref.car_models == []

    active = reverse("bidding_preference_active", args=[pref.pk])
    fragment = client.post(active, {"active": "0"}, **htmx)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.lstrip().startswith(f'<li class="card" id="preference-{pref.pk}"')
    assert "Paused" in html and ">Resume<" in html and "<html" not in html
    assert client.post(active, {"active": "1"}).url == reverse("bidding_preferences")
    pref.refresh_from_db()
    assert pref.active is True

    delete = reverse("bidding_preference_delete", args=[pref.pk])
    assert "Delete “Renamed”?" in client.get(delete).content.decode()
    assert client.post(delete).url == reverse("bidding_preferences")
    assert not BiddingPreference.objects.exists()


def test_another_users_preference_is_not_found(client, buyer, other_buyer, lot):
    theirs = save(other_buyer, makes=["Kia"])
    client.force_login(buyer)
    for name in ("bidding_preference_edit", "bidding_preference_delete"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=[theirs.pk]), form_data()).status_code == 404
    assert client.post(reverse("bidding_preference_active", args=[theirs.pk]), {"active": "0"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active and theirs.name == "Fords" and theirs.makes == ["Kia"]


def test_the_preference_list_runs_a_fixed_number_of_queries(client, buyer, source, django_assert_num_queries):
    client.force_login(buyer)

    def more(n):
        for _ in range(n):
            i = BiddingPreference.objects.count()
            Lot.objects.create(source=source, external_id=f"L{i}", make="Ford", model="Focus", current_bid=4_000)
            save(buyer, name=f"P{i}", makes=["Ford"], sources=[source.pk], min_roi=10 if i % 2 else None)

    more(2)  # one with a ROI minimum (advice is asked for), one without
    client.get(reverse("bidding_preferences"))  # the first request after signing in does once-only work
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("bidding_preferences"))
    more(15)
    with django_assert_num_queries(len(few)):
        assert client.get(reverse("bidding_preferences")).context["page"].paginator.count == 17


def test_the_alert_list_is_the_users_own_newest_first_in_fixed_queries(
    client, buyer, other_buyer, source, django_assert_num_queries
):
    client.force_login(buyer)

    def more(n):
        for _ in range(n):
            lot = Lot.objects.create(
                source=source, external_id=f"A{Lot.objects.count()}", make="Ford", model="Focus", current_bid=900
            )
            pref = BiddingPreference.objects.create(user=buyer, name=f"P{lot.pk}")
            LotAlert.objects.create(user=buyer, lot=lot, reason="match", price=800, preference=pref)
            LotAlert.objects.create(user=other_buyer, lot=lot, reason="price_above", price=950)

    more(1)
    client.get(reverse("lot_alerts"))  # the first request caches the user's permissions: ifixit/accounts/permissions.py
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("lot_alerts"))
    more(12)
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("lot_alerts"))
    shown = [a.pk for a in response.context["page"]]
    assert shown == list(
        LotAlert.objects.filter(user=buyer).order_by("-created_at", "-id").values_list("pk", flat=True)
    )
    html = response.content.decode()
    assert "Matching lot" in html and "Passed your maximum" not in html and "at £800" in html and "now £900" in html
    newest = LotAlert.objects.filter(user=buyer).order_by("-id").first()
    assert f'href="{reverse("lot_detail", args=[newest.lot_id])}"' in html


def test_alert_channels_are_saved_in_the_notification_centre(client, buyer):
    client.force_login(buyer)
    data = {"lot_match-in_app": "on", "lot_match-sms": "on", "lot_price-in_app": "on", "lot_reminder-email": "on"}
    response = client.post(reverse("lot_alert_channels"), data)
    assert response.status_code == 400 and "Add a mobile number" in response.content.decode()
    assert not Preference.objects.exists()
    buyer.mobile = "+447911123456"
    buyer.save()
    assert client.post(reverse("lot_alert_channels"), data).status_code == 302
    saved = {p.kind: (p.in_app, p.email, p.sms) for p in Preference.objects.filter(user=buyer)}
    assert saved == {
        "lot_match": (True, False, True),
        "lot_price": (True, False, False),
        "lot_reminder": (False, True, False),
    }


def test_the_lot_page_loads_the_watch_button_which_watches_and_unwatches(htmx, client, buyer, other_buyer, lot):
    client.force_login(buyer)
    url = reverse("lot_watch", args=[lot.pk])
    page = client.get(reverse("lot_detail", args=[lot.pk])).content.decode()
    assert f'hx-get="{url}"' in page and f'href="{url}"' in page  # htmx, and a link without JavaScript

    fragment = client.get(url, **htmx).content.decode()
    assert 'id="lot-watch"' in fragment and 'data-testid="watch"' in fragment and "<html" not in fragment
    watched = client.post(
        url, {"action": "watch", "remind_before_start": "15", "remind_before_end": "5"}, **htmx
    )
    assert (
        "You watch this lot." in watched.content.decode() and "15 min before it goes live" in watched.content.decode()
    )
    assert LotWatch.objects.get(user=buyer, lot=lot).remind_before_start == 15
    assert 'data-testid="unwatch"' in client.get(url, **htmx).content.decode()
    client.force_login(other_buyer)
    assert "You watch this lot." not in client.get(url, **htmx).content.decode()  # watches are per user
    client.force_login(buyer)

    refused = client.post(
        url, {"action": "watch", "remind_before_start": "500", "remind_before_end": "5"}, **htmx
    )
    assert refused.status_code == 400 and "Ensure this value is less than or equal to 120." in refused.content.decode()
    assert LotWatch.objects.get(user=buyer, lot=lot).remind_before_start == 15
    unwatched = client.post(url, {"action": "unwatch"})  # without htmx: back to the lot page
    assert unwatched.status_code == 302 and unwatched.url == reverse("lot_detail", args=[lot.pk])
    assert not LotWatch.objects.exists()
    without_js = client.get(url).content.decode()  # the page the link leads to without JavaScript
    assert "<html" in without_js and 'data-testid="watch"' in without_js and "Focus" in without_js
    assert client.get(reverse("lot_watch", args=[lot.pk + 99])).status_code == 404


# --- on a phone ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_buyer_sets_a_preference_and_watches_a_lot_on_a_phone(live_server, phone, north):
    from ifixit.inventory.tests.test_browser import sign_in
    from ifixit.testing.browser import screenshot

    UserFactory(username="bea", role="buyer", password="bea-long-password", locations=[north])
    source = AuctionSource.objects.create(name="Simulated", url="http://127.0.0.1:1")
    lot = Lot.objects.create(
        source=source,
        external_id="SIM-1",
        make="Ford",
        model="Focus",
        year=2018,
        region="North West",
        current_bid=4_000,
    )
    cache.delete(selectors.VOCABULARY_KEY)
    page = phone
    sign_in(page, live_server.url, "bea", "bea-long-password")
    page.goto(f"{live_server.url}{reverse('bidding_preference_new')}")
    page.get_by_label("Name").fill("Cheap Focus")
    page.get_by_label("Models").select_option(["Ford|Focus"])
    page.get_by_label("Year from").fill("2019")
    page.get_by_label("Year to").fill("2016")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The latest year cannot be before the earliest.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "60-preference-editor-375")
    page.get_by_label("Year from").fill("2016")
    page.get_by_label("Year to").fill("2020")
    page.get_by_label("Most you would pay").fill("5000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Preference “Cheap Focus” saved.")).to_be_visible()
    pref = BiddingPreference.objects.get()
    expect(page.get_by_test_id(f"recent-{pref.pk}")).to_contain_text("1 recent lot would have matched")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_test_id(f"preference-{pref.pk}")).to_contain_text("Paused")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "61-preferences-375")

    page.goto(f"{live_server.url}{reverse('lot_detail', args=[lot.pk])}")
    page.get_by_test_id("watch").click()
    expect(page.get_by_test_id("lot-watch")).to_contain_text("You watch this lot.")
    assert LotWatch.objects.filter(lot=lot).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "62-lot-watch-375")
    page.goto(f"{live_server.url}{reverse('lot_alerts')}")
    expect(page.get_by_test_id("alert-list")).to_contain_text("No alerts yet")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
