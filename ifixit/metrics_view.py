"""`/metrics`: the Prometheus exposition of every process of this machine, and the figures read
at scrape time from the database and the broker.

What the processes recorded (ifixit.metrics.instruments) is read from their multiprocess files
and added up (prometheus-client's MultiProcessCollector). Alongside, `SystemCollector` asks at
each scrape what no single process knows: the Celery queue's length (LLEN in Redis), the
outbox's backlog and the age of its oldest message, the unresolved dead letters, the beat
schedules that missed their run and the beat's last heartbeat, and each auction source's feed
state. These are the whole deployment's figures, the same from every node (alert on max()).
This module sits in the composition layer because it reads jobs, dashboard and auctions.

Who may read it: a request bearing `Authorization: Bearer <METRICS_TOKEN>`, or one made
directly from an address in METRICS_ALLOWED_IPS (loopback by default). A request that came
through a proxy (it carries X-Forwarded-For or Forwarded) is never let in by its address, since
nginx on the same machine would otherwise make every visitor "local". Anyone else gets a 404 as
for any unknown address (a wrong token, a 403): nothing of the metrics.

Like /healthz it is answered by a middleware placed before host validation and the HTTPS
redirect: Prometheus scrapes each node by its own address over plain HTTP. It is a plain
Django answer, not a DRF view, so it is not in the OpenAPI schema.
"""

import hmac
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseNotFound
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from ifixit.health import FEED_REPORT_SECONDS
from ifixit.metrics import processes

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"


def _seconds_since(moment) -> float:
    return max((timezone.now() - moment).total_seconds(), 0.0)


class SystemCollector:
    """The deployment's figures, read at each scrape; a part that cannot be read (the database
    or Redis away) is left out and `ifixit_scrape_part_up{part}` says 0."""

    def collect(self):
        up = GaugeMetricFamily(
            "ifixit_scrape_part_up", "Whether this scrape could read a part of the system.", labels=["part"]
        )
        for part, read in (
            ("broker", self._broker),
            ("outbox", self._outbox),
            ("beat", self._beat),
            ("feeds", self._feeds),
        ):
            try:
                families = list(read())
            except Exception as exc:  # noqa: BLE001 (the database or Redis away: the rest of the scrape still answers)
                log.warning("metrics: could not read the %s: %s: %s", part, exc.__class__.__name__, exc)
                up.add_metric([part], 0)
                continue
            up.add_metric([part], 1)
            yield from families
        yield up

    def _broker(self):
        from ifixit.jobs.selectors import queue_length

        queued = queue_length()
        if queued is None:
            raise ConnectionError("the broker did not answer")
        yield GaugeMetricFamily(
            "ifixit_celery_queue_length", "Jobs waiting in the Celery queue (LLEN of the list 'celery').", value=queued
        )

    def _outbox(self):
        from ifixit.jobs import outbox
        from ifixit.jobs.selectors import dead_letter_count

        count, oldest = outbox.backlog()
        yield GaugeMetricFamily(
            "ifixit_outbox_backlog", "Outbox messages not yet published to the broker.", value=count
        )
        yield GaugeMetricFamily(
            "ifixit_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox message (0 when there is none).",
            value=_seconds_since(oldest) if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "ifixit_jobs_dead_letters", "Jobs failed for good, not yet retried or discarded.", value=dead_letter_count()
        )

    def _beat(self):
        from ifixit.dashboard.models import JobProbe
        from ifixit.jobs.selectors import schedules

        missed = sum(1 for schedule in schedules() if schedule.missed)
        yield GaugeMetricFamily(
            "ifixit_beat_schedules_missed", "Enabled beat schedules more than two minutes past their run.", value=missed
        )
        last = (
            JobProbe.objects.filter(origin=JobProbe.Origin.BEAT)
            .order_by("-queued_at")
            .values_list("queued_at", flat=True)
            .first()
        )
        # No heartbeat ever: as old as can be, so that "beat down" fires on a fresh install too.
        age = _seconds_since(last) if last else float(timedelta(days=365).total_seconds())
        yield GaugeMetricFamily(
            "ifixit_beat_heartbeat_age_seconds", "Seconds since beat last queued its heartbeat job.", value=age
        )

    def _feeds(self):
        from ifixit.auctions.models import AuctionSource, FeedHealth

        live = GaugeMetricFamily(
            "ifixit_feed_up", "1 when the source's feed is live and reported lately.", labels=["source"]
        )
        quiet = GaugeMetricFamily(
            "ifixit_feed_last_message_age_seconds", "Seconds since the source's last message.", labels=["source"]
        )
        recent = timezone.now() - timedelta(seconds=FEED_REPORT_SECONDS)
        for source in AuctionSource.objects.filter(enabled=True, paused=False).select_related("health"):
            health = getattr(source, "health", None)
            is_live = bool(health and health.state == FeedHealth.State.LIVE and health.updated_at >= recent)
            live.add_metric([source.name], 1 if is_live else 0)
            if health and health.last_message_at:
                quiet.add_metric([source.name], _seconds_since(health.last_message_at))
        yield live
        yield quiet


def exposition() -> bytes:
    processes.reap_dead()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(processes.folder()))
    registry.register(SystemCollector())
    return generate_latest(registry)


def _came_through_a_proxy(request) -> bool:
    return "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META


def _address_allowed(request) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        return HttpResponseNotFound()
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if not (
            settings.METRICS_TOKEN
            and scheme.lower() == "bearer"
            and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())
        ):
            return HttpResponseForbidden()
    elif _came_through_a_proxy(request) or not _address_allowed(request):
        return HttpResponseNotFound()
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    add_never_cache_headers(response)
    return response


class MetricsEndpointMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == METRICS_PATH:
            return metrics(request)
        return self.get_response(request)
