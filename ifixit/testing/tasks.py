"""Tasks only the tests' workers know (`start_worker(include="ifixit.testing.tasks")`): a job
that fails its first runs, transiently or for good, counting its runs in the suite's Redis."""

import smtplib

from celery import shared_task
from django.core.cache import cache


def runs_of(key: str) -> int:
    return cache.get(f"test-flaky:{key}", 0)


@shared_task(max_retries=2, retry_backoff=1, retry_backoff_max=1)
def flaky(key: str, failures: int, kind: str = "transient") -> int:
    """Fails its first `failures` runs: as an SMTP server hanging up (transient) or as bad data
    (permanent). The messages carry a password and an email address, which no page may show.
    Not safe twice, on purpose: it counts every run, so the tests see each retry."""
    cache.add(f"test-flaky:{key}", 0, timeout=3600)
    run = cache.incr(f"test-flaky:{key}")
    if run <= failures:
        if kind == "transient":
            raise smtplib.SMTPServerDisconnected("mail.example.com hung up; login password=hunter2 for jo@example.com")
        raise ValueError("no customer jo@example.com with token abcdefghijklmnopqrstuvwxyz0123456789")
    return run
