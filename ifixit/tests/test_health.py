"""/healthz: what a load balancer sees."""

import pytest


def test_it_is_green_when_the_database_and_redis_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_is_red_when_redis_is_down(client, db, settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/nothing-listens-here.sock"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "redis": "error"}


def test_it_needs_no_sign_in_and_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405


@pytest.mark.parametrize("secret_word", ["password", "SECRET", "postgres://", "unix://"])
def test_it_reveals_nothing_sensitive(client, db, secret_word):
    assert secret_word.lower() not in client.get("/healthz").content.decode().lower()



def test_a_load_balancer_probing_by_ip_over_http_gets_the_health(client, db, settings):
    """Production: unknown Host (the node's IP) and plain HTTP must not turn into 400 or 301."""
    settings.ALLOWED_HOSTS = ["ifixit.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400  # everything else still checks the host


def test_the_browser_s_own_favicon_request_finds_the_icon(client):
    # Django's admin and the API docs have no <link rel=icon>: browsers ask for /favicon.ico.
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200
