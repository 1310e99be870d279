"""Celery tasks of finance: they call a service."""

from celery import shared_task

from ifixit.finance import services


@shared_task
def flag_waiting_applications() -> int:
    """Queued by beat: tells salespeople about applications waiting too long on a lender.
    Safe twice: each application is claimed by a conditional update of waiting_flagged_at
    (only one run sets it) in the transaction that writes the notification, which also has a
    dedupe key per application and state."""
    return services.applications_flag_waiting()
