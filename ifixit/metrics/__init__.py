"""Prometheus metrics of every I-fixit process, exposed by the web nodes at `/metrics`.

How it fits together (docs/deploy/metrics.md says what is exposed and how to scrape it):

- `ifixit.metrics.instruments`: every counter, gauge and histogram, defined once. This package
  sits at the bottom of the import stack and imports no domain app, so the feed consumer, the
  WebSocket consumers and the report runs (low layers) can all record into it.
- Several processes (web nodes, Celery workers and their pool children, the feeds) write their
  values into memory-mapped files in one folder, `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's
  multiprocess mode; the settings point it at `IFIXIT_VAR_DIR/metrics` unless it is set).
  `make run` empties that folder once before it starts the processes (`ifixit.run`); a process
  that ends marks its live gauges dead (`ifixit.metrics.processes`), so a dead process's open
  WebSocket connections stop counting while its counters stay in the totals.
- Where values are recorded: `http.MetricsMiddleware` (requests, latency, queries per request),
  `cache.RedisCache` (hits and misses), `celery_signals` (task runs, failures, retries; connected
  in `apps.MetricsConfig.ready`), and calls into `instruments` from the feed consumer, the
  WebSocket consumers and the report runs.
- What is read at scrape time (queue depth, outbox backlog, feed state, missed schedules) and
  the protected `/metrics` answer live one layer up, in `ifixit.metrics_view`, which may read
  the jobs and auctions models.

`METRICS_ENABLED=false` turns every instrument into a no-op and `/metrics` into a 404 (a bench
compares the system with metrics on and off).
"""
