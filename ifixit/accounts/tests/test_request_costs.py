"""What every request pays for who it is: a token call never reads the session's user or
device, and permissions come from the cache, dropped the moment a role or group changes."""

from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.accounts.permissions import cache_key
from ifixit.accounts.services import api_token_create, api_token_revoke, user_set_role

CARS = "/api/v1/cars/"


def token_client(user, *, session_of=None) -> APIClient:
    client = APIClient()
    if session_of is not None:
        client.force_login(session_of)
    _, key = api_token_create(user=user, name="costs")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def queries_of(client, path) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_a_token_call_with_a_session_cookie_reads_no_session_user_or_device(manager, outsider):
    bare = token_client(manager)
    with_cookie = token_client(manager, session_of=outsider)
    queries_of(bare, CARS), queries_of(with_cookie, CARS)  # warm: last_used_at written once a minute
    plain = queries_of(bare, CARS)
    cookied = queries_of(with_cookie, CARS)
    assert len(cookied) == len(plain)
    assert not [sql for sql in cookied if "django_session" in sql or "otp_" in sql]


def test_the_token_decides_who_calls_not_the_session(manager, outsider, north):
    from ifixit.testing.factories import CarFactory

    CarFactory(location=north, make="Skoda")
    as_manager = token_client(manager, session_of=outsider)
    assert as_manager.get(f"{CARS}?make=Skoda").json()["count"] == 1


def test_a_revoked_token_is_refused_on_its_next_call(manager):
    client = APIClient()
    token, key = api_token_create(user=manager, name="script")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(CARS).status_code == 200
    assert api_token_revoke(user=manager, token_id=token.pk)
    assert client.get(CARS).status_code == 401


def test_a_deactivated_users_token_is_refused_at_once(manager):
    client = token_client(manager)
    assert client.get(CARS).status_code == 200
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert client.get(CARS).status_code == 401


def test_permissions_are_read_from_the_cache_after_the_first_request(manager):
    client = token_client(manager)
    client.get("/api/v1/customers/")
    assert "crm.view_customer" in cache.get(cache_key(manager.pk))
    second = queries_of(client, "/api/v1/customers/")
    assert not [sql for sql in second if "auth_permission" in sql]


def test_a_role_change_takes_effect_on_the_next_request(workshop_user):
    client = token_client(workshop_user)
    assert client.get("/api/v1/customers/").status_code == 403  # workshop staff see no customers
    user_set_role(user=workshop_user, role=roles.SALES)
    assert client.get("/api/v1/customers/").status_code == 200
    user_set_role(user=workshop_user, role=roles.WORKSHOP)
    assert client.get("/api/v1/customers/").status_code == 403


def test_a_permission_taken_from_a_group_takes_effect_on_the_next_request(sales_user):
    client = token_client(sales_user)
    assert client.get("/api/v1/customers/").status_code == 200
    view_customer = Permission.objects.get(codename="view_customer", content_type__app_label="crm")
    Group.objects.get(name=roles.SALES).permissions.remove(view_customer)
    assert client.get("/api/v1/customers/").status_code == 403
    view_customer.group_set.add(Group.objects.get(name=roles.SALES))  # from the permission's side
    assert client.get("/api/v1/customers/").status_code == 200


def test_a_users_own_permission_takes_effect_on_the_next_request(workshop_user):
    client = token_client(workshop_user)
    assert client.get("/api/v1/customers/").status_code == 403
    view_customer = Permission.objects.get(codename="view_customer", content_type__app_label="crm")
    workshop_user.user_permissions.add(view_customer)
    assert client.get("/api/v1/customers/").status_code == 200
    workshop_user.user_permissions.clear()
    assert client.get("/api/v1/customers/").status_code == 403


def test_a_superuser_flag_taken_away_takes_effect_on_the_next_request(workshop_user):
    workshop_user.is_superuser = True
    workshop_user.save()
    user = User.objects.get(pk=workshop_user.pk)
    assert user.has_perm("crm.view_customer")
    user.is_superuser = False
    user.save()
    assert not User.objects.get(pk=workshop_user.pk).has_perm("crm.view_customer")


def test_the_cached_set_is_dropped_again_after_the_commit(workshop_user, django_capture_on_commit_callbacks):
    user = workshop_user
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_set_role(user=user, role=roles.SALES)
    cache.set(cache_key(user.pk), {"stale"})  # a request that read the old set meanwhile
    for callback in callbacks:
        callback()
    assert cache.get(cache_key(user.pk)) is None
