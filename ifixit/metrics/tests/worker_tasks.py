"""A task only the metrics tests' workers know (`start_worker(include=...)`): it sleeps, so that
two workers each take some of a batch, and a run can be caught in progress."""

import time

from celery import shared_task


@shared_task
def nap(seconds: float) -> None:
    """Only sleeps: safe to run twice."""
    time.sleep(seconds)
