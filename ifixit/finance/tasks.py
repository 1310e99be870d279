"""Celery tasks of finance: they call a service."""

from celery import shared_task

from ifixit.finance import services


@shared_task
def flag_waiting_applications() -> int:
    """Queued by beat: tells salespeople about applications waiting too long on a lender."""
    return services.applications_flag_waiting()
