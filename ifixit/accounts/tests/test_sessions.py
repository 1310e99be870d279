"""Signed-in browsers: listed, signed out one by one or everywhere else, ended by a password
change, and ended after the idle time."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import AuditEvent, SignedInSession
from ifixit.testing.factories import UserFactory

PASSWORD = "old-long-password-1"


@pytest.fixture
def nina(db):
    return UserFactory(username="nina.m", password=PASSWORD)


def browser(agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post(reverse("login"), {"username": "nina.m", "password": PASSWORD}).status_code == 302
    return client


def signed_in(client) -> bool:
    return client.get(reverse("account")).status_code == 200


def test_the_account_page_lists_each_browser_and_signs_one_out(nina):
    phone, laptop = browser("Phone Safari"), browser("Laptop Firefox")
    page = laptop.get(reverse("account")).content.decode()
    assert "This browser" in page and "Phone Safari" in page
    phone_key = SignedInSession.objects.get(user_agent="Phone Safari").session_key
    assert laptop.post(reverse("session_sign_out", args=[phone_key])).status_code == 302
    assert not signed_in(phone) and signed_in(laptop)
    assert "Phone Safari" not in laptop.get(reverse("account")).content.decode()
    assert AuditEvent.objects.filter(action="session.signed_out", target_user=nina).exists()


def test_sign_out_everywhere_else_keeps_this_browser(nina):
    others = [browser(f"Browser {n}") for n in range(3)]
    mine = browser("Mine")
    mine.post(reverse("sessions_sign_out_everywhere"))
    assert signed_in(mine) and not any(signed_in(other) for other in others)
    assert SignedInSession.objects.filter(user=nina).count() == 1


def test_another_user_cannot_sign_out_my_browser(nina):
    mine = browser("Mine")
    key = SignedInSession.objects.get(user=nina).session_key
    other = Client()
    other.force_login(UserFactory(username="eve"))
    other.post(reverse("session_sign_out", args=[key]))
    assert signed_in(mine)


def test_a_password_change_signs_out_every_other_browser(nina):
    other, mine = browser("Other"), browser("Mine")
    response = mine.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-long-password-2", "new_password2": "a-new-long-password-2",
    })
    assert response.status_code == 302 and signed_in(mine) and not signed_in(other)
    assert AuditEvent.objects.filter(action="password.changed", detail__other_sessions_ended=1).exists()


def test_a_session_ends_after_the_idle_time_and_activity_renews_it(nina, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = browser("Mine")
        idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
        traveller.shift(idle - timedelta(minutes=5))
        assert signed_in(client)  # activity: the idle time starts again
        traveller.shift(idle - timedelta(minutes=5))
        assert signed_in(client)
        traveller.shift(idle + timedelta(minutes=1))
        assert not signed_in(client)
