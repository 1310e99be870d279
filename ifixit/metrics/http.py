"""Counts and times every HTTP request, and the database queries it ran.

Labels are the view's name from the URL resolver (`resolver_match.view_name`, else its route),
never the path: /cars/1/, /cars/2/... are one series, and an address nobody routes is "unrouted"
(404s of scanners cannot make new series). A method outside HTTP's own is "other".

Queries are counted with `connection.execute_wrapper` around the rest of the chain: every
query the view, the session and the templates run on this request's connection.
"""

import time

from django.db import connection

from ifixit.metrics import instruments

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unrouted"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = instruments.ENABLED

    def __call__(self, request):
        if not self.enabled:
            return self.get_response(request)
        queries = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        instruments.http_requests.labels(view, method, str(response.status_code)).inc()
        instruments.http_latency.labels(view, method).observe(elapsed)
        instruments.http_queries.labels(view).observe(queries.count)
        return response
