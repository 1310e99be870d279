"""Who may read /metrics: a bearer token, or a direct request from an allowed address; anyone
else is refused without a byte of the metrics."""

import ipaddress

import pytest
from django.test import Client

from ifixit.metrics.tests.scraping import scrape

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token-0123456789"
OUTSIDE = "203.0.113.9"
LOOPBACK_ADDRESS = "127.0.0.1"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_it_refuses_an_outside_address_without_a_token(token):
    response = Client().get("/metrics", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 404
    assert b"ifixit_" not in response.content


def test_it_refuses_a_wrong_token(token):
    response = Client().get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer not-the-token")
    assert response.status_code == 403
    assert b"ifixit_" not in response.content


def test_it_refuses_any_token_when_none_is_set(settings):
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", REMOTE_ADDR=LOOPBACK_ADDRESS, HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_it_answers_the_right_token_from_anywhere(token):
    response = Client().get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE ifixit_scrape_part_up gauge" in response.content
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_loopback_by_default():
    assert ("ifixit_scrape_part_up", frozenset({("part", "outbox")})) in scrape()


def test_it_answers_an_allowed_network(settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("203.0.113.0/24")]
    assert Client().get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="198.51.100.1").status_code == 404
    assert Client().get("/metrics", REMOTE_ADDR=LOOPBACK_ADDRESS).status_code == 404  # loopback no longer listed


def test_it_does_not_let_a_proxied_request_in_by_its_address():
    """nginx on the same machine makes every visitor come from loopback."""
    response = Client().get("/metrics", REMOTE_ADDR=LOOPBACK_ADDRESS, HTTP_X_FORWARDED_FOR=OUTSIDE)
    assert response.status_code == 404


def test_it_answers_before_host_checks_and_the_https_redirect(settings):
    """Prometheus scrapes a node by its own address over plain HTTP."""
    settings.ALLOWED_HOSTS = ["ifixit.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/metrics", REMOTE_ADDR=LOOPBACK_ADDRESS, HTTP_HOST="10.0.0.11:8001")
    assert response.status_code == 200


def test_it_takes_only_get(token):
    response = Client().post("/metrics", REMOTE_ADDR=LOOPBACK_ADDRESS)
    assert response.status_code == 405


def test_it_is_a_404_when_metrics_are_off(settings):
    settings.METRICS_ENABLED = False
    assert Client().get("/metrics", REMOTE_ADDR=LOOPBACK_ADDRESS).status_code == 404
