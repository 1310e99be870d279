"""Celery tasks of inventory: they only call a service."""

from celery import shared_task

from ifixit.inventory import services


@shared_task
def check_repair_times() -> dict[str, int]:
    """Queued by beat every hour: at-risk and overdue alerts for cars in fixing. Safe twice:
    every alert carries a dedupe key naming the car, its stay in fixing and the stage (and the
    week, for reminders), and the notification's unique constraint makes it once per person."""
    return services.repair_times_check()
