"""Fixtures for the whole suite: a real Redis, the actors every view test uses, and the
scaffolding every page and API test shares (an API client per user, htmx headers, the
unauthenticated checks)."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from ifixit import embedded_redis
from ifixit.accounts import roles
from ifixit.testing.factories import LocationFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django would then
# refuse ORM calls from that thread. Tests drive the ORM and the browser in turn,
# never at once, so this is safe here (and only here).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """A real Redis for the suite: the embedded one on the test var dir's socket,
    or the server REDIS_URL names (production leg of CI)."""
    proc = None
    if settings.REDIS_IS_EMBEDDED:
        proc = embedded_redis.ensure_running(Path(settings.EMBEDDED_REDIS_SOCKET))
    yield settings.REDIS_URL
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """PBKDF2 costs half a second per user made; tests make hundreds. A test whose
    users sign in to a server in another process keeps the real hasher."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_api_throttle_counts(redis_server):
    """API rate counts live in the suite's shared Redis: each test starts with none."""
    from ifixit.throttling import throttle_counts_clear

    throttle_counts_clear()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def north(db):
    return LocationFactory(name="North Yard", code="NTH")


@pytest.fixture
def south(db):
    return LocationFactory(name="South Yard", code="STH")


@pytest.fixture
def manager(north):
    """A manager of the North location: the owner of most things in the tests."""
    return UserFactory(username="nina", role=roles.MANAGER, locations=[north])


@pytest.fixture
def outsider(south):
    """A manager of the South location, who must never see North's cars."""
    return UserFactory(username="sam", role=roles.MANAGER, locations=[south])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", role=roles.ADMIN, is_superuser=True)


@pytest.fixture
def workshop_user(north):
    return UserFactory(username="wes", role=roles.WORKSHOP, locations=[north])


@pytest.fixture
def sales_user(north):
    return UserFactory(username="sal", role=roles.SALES, locations=[north])


# --- Shared scaffolding for page and API tests ---------------------------------------------------


@pytest.fixture
def api_for():
    """An API client signed in as the given user: `api_for(user).get(...)`."""

    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return client_for


@pytest.fixture
def anon():
    """An API client with no credentials."""
    return APIClient()


@pytest.fixture
def api(api_for, manager):
    return api_for(manager)


@pytest.fixture
def outsider_api(api_for, outsider):
    return api_for(outsider)


@pytest.fixture
def workshop_api(api_for, workshop_user):
    return api_for(workshop_user)


@pytest.fixture
def sales_api(api_for, sales_user):
    return api_for(sales_user)


@pytest.fixture
def admin_api(api_for, admin_user):
    return api_for(admin_user)


@pytest.fixture
def htmx():
    """The request headers htmx sends: `client.get(url, **htmx)` asks for the fragment."""
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def assert_unauthenticated():
    """The API's answer to a request without credentials: 401 with a Bearer challenge."""

    def check(response):
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == "Bearer"

    return check


pytest_plugins = ["ifixit.testing.browser", "ifixit.testing.demo", "ifixit.testing.live", "ifixit.testing.stand_ins"]
