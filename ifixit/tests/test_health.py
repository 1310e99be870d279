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
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg")


# --- /healthz?processes=1: every process of the system ---------------------------------------


def _feed(name: str, url: str, *, live: bool):
    from ifixit.auctions.models import AuctionSource, FeedHealth

    source = AuctionSource.objects.create(name=name, url=url)
    FeedHealth.objects.create(source=source, state=FeedHealth.State.LIVE if live else FeedHealth.State.FAILING)
    return source


def test_processes_are_reported_only_when_asked(client, db):
    assert "processes" not in client.get("/healthz").json()


def test_with_nothing_running_beside_web_the_processes_say_so(client, db, settings):
    settings.HEALTH_WORKER_WAIT_SECONDS = 0.3  # no worker runs in this test: the probe stays queued
    response = client.get("/healthz?processes=1")
    assert response.status_code == 503
    assert response.json()["processes"] == {"web": "ok", "worker": "error", "beat": "error", "relay": "error", "feeds": "error"}
    from ifixit.dashboard.models import JobProbe

    assert JobProbe.objects.filter(origin="health", finished_at__isnull=True).count() == 1
    client.get("/healthz?processes=1")
    assert JobProbe.objects.filter(origin="health").count() == 1, "a probe on its way is waited for, not doubled"


def test_every_process_healthy_through_a_real_worker_beat_feed_and_simulator(transactional_db, client, tmp_path):
    from ifixit.auctions.simulator import SimulatorConfig, SimulatorServer
    from ifixit.dashboard.models import JobProbe
    from ifixit.testing.processes import process_env, start_relay, start_worker

    JobProbe.objects.create(origin=JobProbe.Origin.BEAT, queued_from="beat")  # beat's last heartbeat, just now
    worker = start_worker("health-worker", tmp_path, process_env())
    relay = start_relay(tmp_path, process_env())
    try:
        with SimulatorServer(SimulatorConfig(lots=2, rate=0)) as simulator:
            _feed("Simulated auctions 2026-12-06 08:00:00", simulator.url, live=True)
            response = client.get("/healthz?processes=1")
            body = response.json()
            assert response.status_code == 200, body
            assert body["processes"] == {"web": "ok", "worker": "ok", "beat": "ok", "relay": "ok", "feeds": "ok", "simulator": "ok"}
        # The simulator gone: its feed still says live for a moment, the simulator check does not.
        response = client.get("/healthz?processes=1")
        assert response.status_code == 503 and response.json()["processes"]["simulator"] == "error"
    finally:
        worker.kill()
        relay.kill()
    probe = JobProbe.objects.get(origin="health")
    assert probe.worker.startswith("health-worker@") and probe.finished_at is not None


def test_a_feed_that_is_not_live_or_has_not_reported_lately_is_an_error(client, db):
    from datetime import timedelta

    from django.utils import timezone

    from ifixit.auctions.models import FeedHealth

    _feed("BCA", "https://bca.example", live=False)
    assert client.get("/healthz?processes=1").json()["processes"]["feeds"] == "error"
    stale = _feed("Manheim", "https://manheim.example", live=True)
    FeedHealth.objects.filter(source=stale).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert client.get("/healthz?processes=1").json()["processes"]["feeds"] == "error"
    FeedHealth.objects.filter(source=stale).update(updated_at=timezone.now())
    assert client.get("/healthz?processes=1").json()["processes"]["feeds"] == "ok"
