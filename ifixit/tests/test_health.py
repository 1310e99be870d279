"""/healthz: what a load balancer sees."""

import pytest
from django.urls import reverse


def test_it_is_green_when_the_database_and_redis_answer(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_is_red_when_redis_is_down(client, db, settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/nothing-listens-here.sock"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "redis": "error"}


def test_it_needs_no_sign_in_and_refuses_post(client, db):
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.parametrize("secret_word", ["password", "SECRET", "postgres://", "unix://"])
def test_it_reveals_nothing_sensitive(client, db, secret_word):
    assert secret_word.lower() not in client.get(reverse("healthz")).content.decode().lower()

