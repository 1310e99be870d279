"""Notification pages and API: happy path, anonymous, someone else's, wrong method,
htmx fragment, location scoping, fixed query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ifixit.notifications import services
from ifixit.notifications.kinds import KINDS
from ifixit.notifications.models import Notification, Preference


def tell(user, title="Something happened", **kwargs):
    return services.notify(recipient=user, kind="system", title=title, **kwargs)


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_the_bell_shows_the_unread_count_on_every_page(signed_in, manager):
    tell(manager)
    tell(manager)
    for name in ("home", "car_list", "notification_list", "repair_board"):
        html = signed_in.get(reverse(name)).content.decode()
        assert 'data-testid="bell-count" >2</span>' in html, name


def test_the_list_shows_mine_newest_first_with_delivery_states(signed_in, manager, outsider):
    Preference.objects.create(user=manager, kind="system", email=True)
    tell(manager, "Older")
    tell(manager, "Newer", link="/cars/")
    tell(outsider, "Not yours")
    html = signed_in.get(reverse("notification_list")).content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "Not yours" not in html
    assert "Email: queued" in html


def test_the_list_runs_a_fixed_number_of_queries(signed_in, manager):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert signed_in.get(reverse("notification_list")).status_code == 200
        return len(ctx)

    tell(manager)
    count()  # the first request also reads the user's permissions into the cache
    few = count()
    for i in range(30):
        tell(manager, f"n{i}")
    assert count() == few


def test_following_a_notification_marks_it_read_and_goes_to_its_link(signed_in, manager):
    n = tell(manager, link="/repair-board/")
    response = signed_in.get(reverse("notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/repair-board/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_a_link_off_the_site_is_not_followed(signed_in, manager):
    n = tell(manager, link="https://evil.example.com/")
    response = signed_in.get(reverse("notification_open", args=[n.pk]))
    assert response["Location"] == reverse("notification_list")


def test_mark_one_read_with_htmx_answers_the_item(signed_in, manager, htmx):
    n = tell(manager, "Read me")
    response = signed_in.post(reverse("notification_read", args=[n.pk]), **htmx)
    html = response.content.decode()
    assert response.status_code == 200 and "Read me" in html and "<html" not in html
    assert 'class="notification"' in html  # no longer "unread"


def test_mark_all_read(signed_in, manager):
    tell(manager)
    tell(manager)
    response = signed_in.post(reverse("notification_read_all"), follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()


def test_someone_elses_notification_is_not_found(signed_in, outsider):
    theirs = tell(outsider)
    assert signed_in.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert signed_in.post(reverse("notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notifications_about_a_location_the_user_no_longer_sees_are_hidden(signed_in, manager, north, south):
    tell(manager, "About North", location=north)
    tell(manager, "About South", location=south)  # e.g. before moving to North
    html = signed_in.get(reverse("notification_list")).content.decode()
    assert "About North" in html and "About South" not in html
    assert 'data-testid="bell-count" >1</span>' in html


def test_anonymous_visitors_are_sent_to_sign_in(client, manager):
    n = tell(manager)
    for url in (
        reverse("notification_list"),
        reverse("notification_open", args=[n.pk]),
        reverse("notification_preferences"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(reverse("notification_read_all")).status_code == 302


def test_wrong_methods(signed_in, manager):
    n = tell(manager)
    assert signed_in.post(reverse("notification_list")).status_code == 405
    assert signed_in.get(reverse("notification_read", args=[n.pk])).status_code == 405
    assert signed_in.get(reverse("notification_read_all")).status_code == 405


# --- preferences ----------------------------------------------------------------------


def form_data(**override):
    data = {"mobile": "", "digest_time": "07:30"}
    for kind in KINDS:
        data.update({f"{kind}-in_app": "on", f"{kind}-timing": "immediate"})
    data.update(override)
    return data


def test_preferences_page_lists_every_kind(signed_in):
    html = signed_in.get(reverse("notification_preferences")).content.decode()
    for label in ("Repair at risk", "Repair overdue", "System messages"):
        assert label in html


def test_choosing_sms_without_a_number_says_so_and_saves_nothing(signed_in, manager):
    response = signed_in.post(reverse("notification_preferences"), form_data(**{"repair_overdue-sms": "on"}))
    assert response.status_code == 400
    assert "Add a mobile number above to get “Repair overdue” by SMS." in response.content.decode()
    assert not Preference.objects.filter(user=manager).exists()


def test_saving_preferences(signed_in, manager):
    data = form_data(
        mobile="07911 123456", digest_time="18:00", **{"repair_overdue-sms": "on", "repair_at_risk-timing": "digest"}
    )
    response = signed_in.post(reverse("notification_preferences"), data)
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.mobile == "+447911123456"
    assert Preference.objects.get(user=manager, kind="repair_overdue").sms
    assert Preference.objects.get(user=manager, kind="repair_at_risk").timing == "digest"
    assert manager.digest_setting.send_at.hour == 18


# --- API ------------------------------------------------------------------------------


def test_api_lists_mine_and_counts_unread(api, manager, outsider):
    tell(manager, "Mine")
    tell(outsider, "Theirs")
    body = api.get("/api/v1/notifications/").json()
    assert [n["title"] for n in body["results"]] == ["Mine"]
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_api_marks_read(api, manager, outsider):
    mine, theirs = tell(manager), tell(outsider)
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").json()["read_at"] is not None
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    tell(manager)
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    assert api.get("/api/v1/notifications/?unread=true").json()["count"] == 0


def test_api_refuses_anonymous_and_bad_filters(api, db, anon):
    assert anon.get("/api/v1/notifications/").status_code == 401
    assert api.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_api_list_runs_a_fixed_number_of_queries(api, manager):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/notifications/").status_code == 200
        return len(ctx)

    tell(manager)
    count()  # the first request also reads the user's permissions into the cache
    few = count()
    for i in range(20):
        tell(manager, f"n{i}")
    assert count() == few
