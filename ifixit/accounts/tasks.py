"""Celery tasks of accounts: they only call a service."""

from celery import shared_task

from ifixit.accounts import audit


@shared_task
def prune_audit_log() -> int:
    """Queued by beat daily: keeps AUDIT_KEEP_DAYS of the audit log. Safe twice: it deletes
    the events older than a cutoff, and a second run finds none left to delete."""
    return audit.prune()
