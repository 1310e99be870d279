"""The demo database seeded once per test module, for the tests that only read what
`seed_demo` made (it takes seconds: once per test was most of those modules' time).

It works as Django's TestCase does with setUpTestData: the module's demo is made inside
one transaction per database, rolled back after the module's last test, and each test,
through the usual `db` fixture, runs in a savepoint inside it, so whatever a test changes
is undone before the next one. A module asks for it by using `seeded` (what the command
printed) and says how to seed by overriding the module-scoped `demo_options` fixture:

    @pytest.fixture(scope="module")
    def demo_options():
        return {"cars": 150}

What the rollback cannot undo, and tests of the shared demo must not rely on: anything
kept outside the database (cache versions the seed bumps in Redis stay bumped). Callbacks
queued with `transaction.on_commit` never run, as under `db` alone. A test that seeds for
itself (a second run, another seed) needs an empty database: it lives in a module that does
not use `seeded`, since the shared demo stays in place until that module's last test."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.test import override_settings


@pytest.fixture(scope="module")
def demo_options() -> dict:
    """The options seed_demo is called with for the module's shared demo (its defaults
    unless the module overrides this fixture)."""
    return {}


@pytest.fixture(scope="module")
def demo_seeded_once(demo_options, django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo run once for the module, in transactions rolled back after it; what it printed."""
    # The same settings the suite's autouse fixtures give each test: files under a temporary
    # media root (the reports' demo writes its runs' files), and the fast password hasher
    # (the demo's users must sign in under the one the tests use).
    media = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    media.enable()
    atomics = []
    try:
        with django_db_blocker.unblock():
            for alias in connections:  # one per database, as on PostgreSQL with several
                atomic = transaction.atomic(using=alias)
                atomic._from_testcase = True  # a durable atomic inside is allowed, as in a TestCase
                atomic.__enter__()
                atomics.append((alias, atomic))
            out = StringIO()
            call_command("seed_demo", stdout=out, **demo_options)
        yield out.getvalue()
    finally:
        with django_db_blocker.unblock():
            for alias, atomic in reversed(atomics):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)
        media.disable()


@pytest.fixture
def seeded(demo_seeded_once, db) -> str:
    """The module's demo database for one test (its changes rolled back after it) and what
    seed_demo printed when it made it."""
    return demo_seeded_once
