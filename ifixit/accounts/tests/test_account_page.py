"""The account page: API tokens are created, shown once, stored hashed, revoked."""

from django.urls import reverse

from ifixit.accounts.models import ApiToken
from ifixit.accounts.services import api_token_create
from ifixit.testing.factories import UserFactory


def test_it_creates_a_token_and_shows_it_once(client, manager):
    client.force_login(manager)
    response = client.post(reverse("account"), {"name": "stock export"})
    body = response.content.decode()
    token = ApiToken.objects.get(user=manager)
    key = body.split('data-testid="new-token">')[1].split("<")[0]
    assert key.startswith("ifx_") and token.key_hash == ApiToken.hash_key(key)
    assert key not in client.get(reverse("account")).content.decode()


def test_it_lists_the_users_locations_and_role(client, manager):
    client.force_login(manager)
    body = client.get(reverse("account")).content.decode()
    assert "North Yard" in body and "Manager" in body


def test_it_revokes_only_the_users_own_tokens(client, manager, outsider):
    mine, _ = api_token_create(user=manager, name="mine")
    theirs, _ = api_token_create(user=outsider, name="theirs")
    client.force_login(manager)
    client.post(reverse("token_revoke", args=[theirs.pk]))
    client.post(reverse("token_revoke", args=[mine.pk]))
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["theirs"]


def test_revoke_refuses_get_and_anonymous(client, manager):
    token, _ = api_token_create(user=manager, name="mine")
    client.force_login(manager)
    assert client.get(reverse("token_revoke", args=[token.pk])).status_code == 405
    client.logout()
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 302
    assert ApiToken.objects.exists()


def test_account_page_redirects_anonymous(client, db):
    assert client.get(reverse("account")).status_code == 302


def test_a_user_signs_in_with_a_password(client, db):
    UserFactory(username="pat", password="a-long-pass-phrase")
    response = client.post(reverse("login"), {"username": "pat", "password": "a-long-pass-phrase"})
    assert response.status_code == 302 and response.url == reverse("home")
    client.logout()
    bad = client.post(reverse("login"), {"username": "pat", "password": "wrong"})
    assert bad.status_code == 200 and "correct username and password" in bad.content.decode()


def test_createsuperuser_makes_a_group_admin(db):
    from django.core.management import call_command

    from ifixit.accounts.models import User

    call_command("createsuperuser", "--noinput", "--username", "owner", "--email", "owner@example.com")
    owner = User.objects.get(username="owner")
    assert owner.role == "admin" and owner.is_group_wide
    assert list(owner.groups.values_list("name", flat=True)) == ["admin"]
