"""Password guessing at the sign-in page: a growing wait, then a lockout per account and per
address with a clear message and Retry-After, the owner emailed, unlocked by time or an
admin, and the same count on every web node (the state is in the database)."""

import re
from datetime import timedelta

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ifixit.testing.factories import UserFactory
from ifixit.testing.processes import process_env, start_web

PASSWORD = "the-right-password-2026"


@pytest.fixture
def owner(db):
    return UserFactory(username="olive", email="olive@ifixit.example", password=PASSWORD)


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def fail(client, traveller, username="olive", times=1):
    """Wrong passwords, each after the wait the last one earned has passed."""
    for _ in range(times):
        traveller.shift(timedelta(seconds=61))
        response = sign_in(client, username, "wrong")
        assert response.status_code in (200, 429), response.status_code
    return response


def test_the_wait_grows_after_the_third_failure_and_the_try_is_not_even_checked(client, owner, settings):
    settings.SIGNIN_DELAY_AFTER = 3
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(2):
            response = sign_in(client, "olive", "wrong")
            assert response.status_code == 200 and "correct username and password" in response.content.decode()
        assert sign_in(client, "olive", "wrong").status_code == 200  # the third: from here a wait

        refused = sign_in(client, "olive", PASSWORD)  # at once, even with the right password
        assert refused.status_code == 429 and refused["Retry-After"] == "2"
        assert "wait 2 seconds before trying again" in refused.content.decode()
        assert "_auth_user_id" not in client.session

        traveller.shift(timedelta(seconds=2))
        assert sign_in(client, "olive", "wrong").status_code == 200  # the fourth failure: 4 s now
        traveller.shift(timedelta(seconds=3))
        assert sign_in(client, "olive", PASSWORD)["Retry-After"] == "1"
        traveller.shift(timedelta(seconds=1))
        assert sign_in(client, "olive", PASSWORD).status_code == 302  # the right one, in time
    assert not AccessAttempt.objects.filter(username="olive").exists(), "a success clears the count"


def test_ten_failures_lock_the_account_the_owner_is_told_and_time_unlocks_it(client, owner, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail(client, traveller, times=9)
        assert mail.outbox == []
        locked = fail(client, traveller)
        body = locked.content.decode()
        assert locked.status_code == 429 and "locked for 15 more minutes" in body and "ask an admin" in body
        assert int(locked["Retry-After"]) == 15 * 60

        (email,) = mail.outbox
        assert email.to == ["olive@ifixit.example"] and "locked" in email.subject
        assert "10 failed sign-ins from the address 127.0.0.1" in email.body

        traveller.shift(timedelta(seconds=61))
        still = sign_in(client, "olive", PASSWORD)
        assert still.status_code == 429 and "_auth_user_id" not in client.session
        # A try while locked is refused unread: it neither counts nor restarts the lockout.
        assert "locked for 14 more minutes" in still.content.decode()

        traveller.shift(timedelta(minutes=14, seconds=1))
        assert sign_in(client, "olive", PASSWORD).status_code == 302
    assert len(mail.outbox) == 1


def test_an_admin_unlocks_an_account_at_once(client, owner, admin_user):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail(client, traveller, times=10)
        assert sign_in(client, "olive", PASSWORD).status_code == 429

        admin = type(client)()
        admin.force_login(admin_user)
        attempts = AccessAttempt.objects.filter(username="olive")
        assert attempts.exists()
        for attempt in attempts.all():  # Axes > Access attempts > the attempt > Delete
            response = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
        assert response.status_code == 302 and not attempts.all().exists()
        traveller.shift(timedelta(seconds=61))
        assert sign_in(client, "olive", PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_locked_out(client, db):
    UserFactory(username="victim", password=PASSWORD)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(10):
            fail(client, traveller, username=f"guess{n}")
        response = sign_in(client, "victim", PASSWORD)
        assert response.status_code == 429 and "this account or address is locked" in response.content.decode()


# --- Several web nodes ----------------------------------------------------------------------


class Browser:
    """A cookie-keeping HTTP client for one web node (urllib: no library the project lacks)."""

    def __init__(self, node):
        self.node = node
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: dict | None = None):
        request = urllib.request.Request(
            self.node.url + path, data=urllib.parse.urlencode(data).encode() if data else None,
            headers={"Host": "localhost", "Referer": self.node.url + "/login/"},
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers


def _post_sign_in(browser: Browser, username: str, password: str):
    _, page, _ = browser.open("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return browser.open("/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password})


@pytest.mark.real_password_hashing
@pytest.mark.django_db(transaction=True)
def test_failures_on_two_web_nodes_add_up_to_one_lockout(tmp_path):
    UserFactory(username="olive", email="olive@ifixit.example", password=PASSWORD)
    # No growing wait here (it is counted the same way): only the shared lockout is under test.
    env = process_env(SIGNIN_FAILURE_LIMIT="4", SIGNIN_DELAY_AFTER="100")
    node_a, node_b = start_web("web-a", tmp_path, env), start_web("web-b", tmp_path, env)
    try:
        on_a, on_b = Browser(node_a), Browser(node_b)
        for browser in (on_a, on_b, on_a):
            assert _post_sign_in(browser, "olive", "wrong")[0] == 200
        assert _post_sign_in(on_b, "olive", "wrong")[0] == 429  # the fourth, on B
        status, body, headers = _post_sign_in(on_a, "olive", PASSWORD)
        assert status == 429 and "locked" in body and int(headers.get("Retry-After")) > 0
    finally:
        node_a.kill()
        node_b.kill()


def test_the_admin_login_page_is_the_same_protected_sign_in(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
