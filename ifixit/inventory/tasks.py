"""Celery tasks of inventory: they only call a service."""

from celery import shared_task

from ifixit.inventory import services


@shared_task
def check_repair_times() -> dict[str, int]:
    """Queued by beat every hour: at-risk and overdue alerts for cars in fixing."""
    return services.repair_times_check()
