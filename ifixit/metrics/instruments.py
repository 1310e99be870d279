"""Every metric of the system, defined once; any layer may import this module and record.

The names and labels are the contract with the scrape config and the alert rules in
docs/deploy/ (metrics.md lists them). Every label takes a bounded set of values: a view's name
(never the raw path), a task's registered name, a report's key, an auction source's name, a
consumer's class; never an id or anything a client sends.

Values go to prometheus-client's multiprocess files (PROMETHEUS_MULTIPROC_DIR, set by the
settings); a gauge says how the processes' values combine: "livesum" for what open connections
and running tasks add up to, dropped when their process ends. With METRICS_ENABLED off, every
name here is a no-op that takes the same calls.
"""

import os

from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram, values

from ifixit.metrics.processes import process_id

ENABLED = settings.METRICS_ENABLED

# Seconds: from a cached page (5 ms) to a slow report download (30 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Database queries of one request: a list page runs a fixed handful; hundreds is an N+1.
QUERY_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500)
# Seconds a task runs: alert matching in milliseconds, model training in minutes.
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800)
# Seconds the feed runs behind the source's own timestamps.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
REPORT_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900)


class _Off:
    """A metric when metrics are off: every call does nothing."""

    def labels(self, *args, **kwargs):
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def dec(self, amount: float = 1) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def observe(self, value: float) -> None:
        pass


OFF = _Off()

if ENABLED:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    # Files named "<host>-<pid>", not the pid alone: see ifixit.metrics.processes.
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)


def _counter(name: str, documentation: str, labels: tuple[str, ...]):
    return Counter(name, documentation, labels, registry=None) if ENABLED else OFF


def _histogram(name: str, documentation: str, labels: tuple[str, ...], buckets: tuple[float, ...]):
    return Histogram(name, documentation, labels, buckets=buckets, registry=None) if ENABLED else OFF


def _live_gauge(name: str, documentation: str, labels: tuple[str, ...]):
    return Gauge(name, documentation, labels, multiprocess_mode="livesum", registry=None) if ENABLED else OFF


# --- HTTP (ifixit.metrics.http) -------------------------------------------------------------
http_requests = _counter(
    "ifixit_http_requests", "HTTP requests answered, by view, method and status.", ("view", "method", "status")
)
http_latency = _histogram(
    "ifixit_http_request_duration_seconds", "Time to answer an HTTP request.", ("view", "method"), LATENCY_BUCKETS
)
http_queries = _histogram(
    "ifixit_http_request_queries", "Database queries run while answering one HTTP request.", ("view",), QUERY_BUCKETS
)

# --- Cache (ifixit.metrics.cache) -----------------------------------------------------------
cache_hits = _counter("ifixit_cache_hits", "Cache reads that found the key, by cache (key prefix).", ("cache",))
cache_misses = _counter(
    "ifixit_cache_misses", "Cache reads that did not find the key, by cache (key prefix).", ("cache",)
)

# --- Celery tasks (ifixit.metrics.celery_signals) -------------------------------------------
tasks = _counter(
    "ifixit_celery_tasks", "Task runs ended, by task and state (success, failure, retry...).", ("task", "state")
)
task_runtime = _histogram("ifixit_celery_task_runtime_seconds", "How long a task run took.", ("task",), TASK_BUCKETS)
task_failures = _counter(
    "ifixit_celery_task_failures",
    "Task runs that failed for good (a dead letter; a retried run is counted in retries).",
    ("task",),
)
task_retries = _counter("ifixit_celery_task_retries", "Task runs that asked to be retried.", ("task",))
tasks_running = _live_gauge("ifixit_celery_tasks_running", "Task runs in progress now.", ("task",))

# --- Auction feeds (ifixit.auctions.feeds.consumer) -----------------------------------------
feed_messages = _counter("ifixit_feed_messages", "Messages received from an auction source.", ("source",))
feed_gaps = _counter("ifixit_feed_gaps", "Sequence gaps found (and replayed) in a source's feed.", ("source",))
feed_duplicates = _counter("ifixit_feed_duplicates", "Duplicate events dropped.", ("source",))
feed_errors = _counter("ifixit_feed_errors", "Malformed messages and failed connections or writes.", ("source",))
feed_reconnects = _counter(
    "ifixit_feed_reconnects", "Connections to a source that ended and were made again.", ("source",)
)
feed_lag = _histogram(
    "ifixit_feed_lag_seconds",
    "How far behind the source's own event time a stored batch's newest event was.",
    ("source",),
    LAG_BUCKETS,
)

# --- WebSockets (ifixit.auctions.consumers, ifixit.notifications.consumers) -----------------
websocket_connections = _live_gauge("ifixit_websocket_connections", "WebSocket connections open now.", ("consumer",))

# --- Reports (ifixit.reports.services.runs) -------------------------------------------------
report_runs = _counter(
    "ifixit_report_runs",
    "Report run attempts ended, by report and outcome (ready, sent, retrying, failed).",
    ("report", "outcome"),
)
report_runtime = _histogram(
    "ifixit_report_run_duration_seconds", "How long a successful report run took.", ("report",), REPORT_BUCKETS
)
