"""/healthz for load balancers: is this node able to serve? Checks the database and
Redis, answers 200 or 503, and reveals nothing but "ok"/"error" per dependency.

`/healthz?processes=1` is for an operator or a monitor (and CI's newcomer leg): it also
says whether each process of the system works, and answers 503 unless all do: web (this
answer), worker (a job queued now, or a moment ago, came back done), beat (its heartbeat
ran within two of its minutes), relay (the outbox relay went round lately and no job waits
to be published), feeds (a source is live and its feed reported lately) and,
where the demo's auction simulator is the source, the simulator (its /stats answers).
A load balancer must not ask for it: a stopped beat is no reason to take a web node out.

It is answered by a middleware placed first, before host validation and the HTTPS
redirect: a load balancer probes nodes by their own address over plain HTTP, and
must get the node's health, not a 400 for an unknown Host or a 301 to https."""

import logging
import time
import urllib.request
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        log.exception("health: database check failed")
        return False


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        log.exception("health: redis check failed")
        return False


# How fresh each process's sign of life must be.
RECENT_PROBE_SECONDS = 30  # a probe finished this recently proves the worker without another
BEAT_HEARTBEAT_SECONDS = 60  # schedules.py: "job-health heartbeat"
FEED_REPORT_SECONDS = 30  # a live feed writes its health every second


def _worker_ok() -> bool:
    """A job round trip: queue a probe and see a worker finish it. A probe finished moments
    ago counts, and one already on its way is waited for, so that frequent checks do not
    each add a job."""
    from ifixit.dashboard.models import JobProbe
    from ifixit.dashboard.services import job_probe_queue

    now = timezone.now()
    recent = JobProbe.objects.filter(finished_at__gte=now - timedelta(seconds=RECENT_PROBE_SECONDS))
    if recent.exists():
        return True
    pending = JobProbe.objects.filter(
        origin=JobProbe.Origin.HEALTH, finished_at__isnull=True, queued_at__gte=now - timedelta(seconds=RECENT_PROBE_SECONDS)
    ).first()
    probe = pending or job_probe_queue(origin=JobProbe.Origin.HEALTH, queued_from="healthz")
    deadline = time.monotonic() + settings.HEALTH_WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        if JobProbe.objects.filter(pk=probe.pk, finished_at__isnull=False).exists():
            return True
        time.sleep(0.1)
    return False


RELAY_ROUND_SECONDS = 15  # the relay goes round every second
OUTBOX_WAIT_SECONDS = 30  # a job waiting longer to be published means the relay is not doing it


def _relay_ok() -> bool:
    """The outbox relay went round lately, and no job has waited long to be published."""
    from ifixit.jobs import outbox

    now = timezone.now()
    last_round = outbox.relay_last_round()
    _, oldest = outbox.backlog()
    fresh = last_round is not None and now - last_round < timedelta(seconds=RELAY_ROUND_SECONDS)
    return fresh and (oldest is None or now - oldest < timedelta(seconds=OUTBOX_WAIT_SECONDS))


def _beat_ok() -> bool:
    from ifixit.dashboard.models import JobProbe

    since = timezone.now() - timedelta(seconds=2 * BEAT_HEARTBEAT_SECONDS + 15)
    return JobProbe.objects.filter(origin=JobProbe.Origin.BEAT, queued_at__gte=since).exists()


def _live_sources():
    from ifixit.auctions.models import AuctionSource

    return AuctionSource.objects.filter(enabled=True, paused=False).select_related("health")


def _feeds_ok() -> bool:
    from ifixit.auctions.models import FeedHealth

    since = timezone.now() - timedelta(seconds=FEED_REPORT_SECONDS)
    return FeedHealth.objects.filter(
        source__enabled=True, source__paused=False, state=FeedHealth.State.LIVE, updated_at__gte=since
    ).exists()


def _simulator_ok(urls: list[str]) -> bool:
    for url in urls:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/stats", timeout=2) as response:
                if response.status != 200:
                    return False
        except (OSError, ValueError):
            return False
    return True


def _processes() -> dict[str, bool]:
    from ifixit.auctions.management.commands.demo_auction_source import PREFIX as SIMULATED

    checks = {"web": True}
    for name, check in (("worker", _worker_ok), ("beat", _beat_ok), ("relay", _relay_ok), ("feeds", _feeds_ok)):
        try:
            checks[name] = check()
        except Exception:
            log.exception("health: %s check failed", name)
            checks[name] = False
    try:
        simulated = [source.url for source in _live_sources().filter(name__startswith=SIMULATED)]
    except Exception:
        log.exception("health: could not read the auction sources")
        simulated = []
    if simulated:
        checks["simulator"] = _simulator_ok(simulated)
    return checks


HEALTH_PATH = "/healthz"


def healthz(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error", **{name: "ok" if ok else "error" for name, ok in checks.items()}}
    if request.GET.get("processes") and healthy:
        processes = _processes()
        healthy = all(processes.values())
        body["status"] = "ok" if healthy else "error"
        body["processes"] = {name: "ok" if ok else "error" for name, ok in processes.items()}
    response = JsonResponse(body, status=200 if healthy else 503)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH:
            return healthz(request)
        return self.get_response(request)
