"""Two-factor sign-in: setting it up, signing in with the app's code or a recovery code (once),
remembering a browser for 30 days, the roles that must use it, and an admin's audited reset."""

import re

import pytest
import time_machine
from django.utils import timezone
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from ifixit.accounts.models import AuditEvent
from ifixit.accounts.services import api_token_create
from ifixit.testing.factories import UserFactory

PASSWORD = "sales-long-password"


def code_for(device: TOTPDevice, *, ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def sam(db):
    return UserFactory(username="sam.sales", role="sales", password=PASSWORD)


def sign_in(client, username="sam.sales", password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    done = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    device.refresh_from_db()
    return device, codes


def test_someone_sets_up_their_app_and_keeps_ten_recovery_codes(client, sam):
    assert sign_in(client).status_code == 302
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "<svg" in page and 'data-testid="totp-secret"' in page
    device = TOTPDevice.objects.get(user=sam, confirmed=False)

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        wrong = client.post(reverse("two_factor_setup"), {"code": "000000" if code_for(device) != "000000" else "111111"})
        assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
        traveller.shift(2)  # past the wait one wrong code earns
        device, codes = enrol(client)
    assert device.confirmed and len(codes) == 10 and len(set(codes)) == 10
    assert "On: each sign-in asks for a code" in client.get(reverse("account")).content.decode()
    assert AuditEvent.objects.filter(action="2fa.enrolled", target_user=sam, actor=sam).exists()


def test_after_the_password_every_page_waits_for_the_code(client, sam):
    sign_in(client)
    device, codes = enrol(client)
    client.post(reverse("logout"))
    token = api_token_create(user=sam, name="script")[1]

    response = sign_in(client, next_url="/cars/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_verify"))
    assert client.get("/cars/")["Location"].startswith("/login/verify/?next=%2Fcars%2F")
    api = client.get("/api/v1/cars/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.get("/api/v1/cars/").status_code == 200  # a token is not a session

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        bad = client.post(reverse("two_factor_verify"), {"code": "12345", "next": "/cars/"})
        assert bad.status_code == 400 and "wrong or has expired" in bad.content.decode()
        traveller.shift(2)  # past the wait one wrong code earns
        good = client.post(reverse("two_factor_verify"), {"code": code_for(device, ahead=1), "next": "/cars/"})
    assert good.status_code == 302 and good["Location"] == "/cars/"
    assert client.get("/cars/").status_code == 200
    assert AuditEvent.objects.filter(action="2fa.failed", target_user=sam).count() == 1


def test_a_recovery_code_works_once(client, sam):
    sign_in(client)
    _, codes = enrol(client)
    for attempt in (1, 2):
        client.post(reverse("logout"))
        sign_in(client)
        response = client.post(reverse("two_factor_verify"), {"code": codes[0]})
        assert response.status_code == (302 if attempt == 1 else 400)
    assert StaticToken.objects.filter(device__user=sam).count() == 9
    assert AuditEvent.objects.filter(action="2fa.recovery_code_used", detail__left=9).exists()


def test_a_remembered_browser_skips_the_code_for_thirty_days_until_a_reset(client, sam, admin_user):
    sign_in(client)
    device, _ = enrol(client)
    client.post(reverse("logout"))
    sign_in(client)
    verified = client.post(reverse("two_factor_verify"), {"code": code_for(device, ahead=1), "remember": "on"})
    cookie = verified.cookies["ifixit-trusted-device"]
    assert cookie["max-age"] == 30 * 86400 and cookie["httponly"]

    client.post(reverse("logout"))
    assert sign_in(client, next_url="/cars/")["Location"] == "/cars/"  # straight in
    client.post(reverse("logout"))

    admin = type(client)()
    admin.force_login(admin_user)
    admin.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_second_factor", "_selected_action": [sam.pk], "index": 0}
    )
    assert not TOTPDevice.objects.filter(user=sam).exists()
    reset = AuditEvent.objects.get(action="2fa.reset")
    assert (reset.actor, reset.target_user) == (admin_user, sam)

    assert sign_in(client, next_url="/cars/")["Location"] == "/cars/"  # optional for sales: no factor, no question
    assert "Off." in client.get(reverse("account")).content.decode()


def test_a_role_that_must_use_it_is_sent_to_set_it_up_and_cannot_turn_it_off(client, db, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["manager"]
    UserFactory(username="mo", role="manager", password=PASSWORD)
    response = sign_in(client, "mo")
    assert response["Location"].startswith(reverse("two_factor_setup"))
    assert client.get("/cars/")["Location"].startswith("/account/two-factor/?next=")
    device, _ = enrol(client)
    assert client.get("/cars/").status_code == 200
    client.post(reverse("two_factor_disable"))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_wrong_codes_in_a_row_are_slowed_down(client, sam):
    sign_in(client)
    device, _ = enrol(client)
    client.post(reverse("logout"))
    sign_in(client)
    answers = [client.post(reverse("two_factor_verify"), {"code": "000001"}).content.decode() for _ in range(3)]
    assert "Too many wrong codes: wait" in answers[-1]


def test_every_sign_in_and_failure_is_in_the_audit_log(client, sam):
    sign_in(client, password="wrong")
    sign_in(client)
    actions = list(AuditEvent.objects.order_by("at", "id").values_list("action", "username"))
    assert actions == [("signin.failed", "sam.sales"), ("signin.passed", "sam.sales")]


def test_an_admin_changing_someones_role_and_locations_is_audited(client, admin_user, sam, north, south):
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[sam.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "username": sam.username, "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "role": "manager", "locations": [north.pk, south.pk],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rights = AuditEvent.objects.get(action="user.rights_changed")
    assert rights.actor == admin_user and rights.target_user == sam and rights.detail["role"] == ["sales", "manager"]
    assert list(sam.groups.values_list("name", flat=True)) == ["manager"], "the role's permissions follow the role"
    places = AuditEvent.objects.get(action="user.locations_changed")
    assert places.detail == {"added": sorted([north.code, south.code]), "removed": []}
