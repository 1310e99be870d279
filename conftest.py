"""Fixtures for the whole suite: a real Redis, and the three actors every view test uses."""

import os
from pathlib import Path

import pytest
from django.conf import settings

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


pytest_plugins = ["ifixit.testing.browser", "ifixit.testing.stand_ins"]
