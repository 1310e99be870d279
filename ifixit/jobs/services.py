"""What an admin does with a dead letter: run it again, or discard it with a reason."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ifixit.accounts.roles import is_group_admin
from ifixit.errors import conflict
from ifixit.jobs import outbox
from ifixit.jobs.models import JobRun

def _require(user) -> None:
    if not is_group_admin(user):
        raise PermissionDenied("Only admins may retry or discard jobs.")


def _locked_dead_letter(run_id: int) -> JobRun:
    run = JobRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise JobRun.DoesNotExist
    if run.state != JobRun.State.DEAD:
        raise conflict("state", "Only a job that failed for good can be retried or discarded.")
    if run.resolution:
        raise conflict("state", f"This job was already {run.get_resolution_display().lower()}.")
    return run


def dead_letter_retry(*, user, run_id: int) -> JobRun:
    """Run the job again, once, with the arguments it failed with (through the outbox, so the
    retry is queued exactly when this commits)."""
    _require(user)
    with transaction.atomic():
        run = _locked_dead_letter(run_id)
        message = outbox.enqueue(run.task, run.args or [], run.kwargs or {}, about=run.about or None)
        run.resolution = JobRun.Resolution.RETRIED
        run.resolved_at = timezone.now()
        run.resolved_by = user
        run.retried_as = message.pk
        run.save(update_fields=["resolution", "resolved_at", "resolved_by", "retried_as"])
    return run


def dead_letter_discard(*, user, run_id: int, note: str) -> JobRun:
    _require(user)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why this job is discarded: the next person to look will want to know."})
    with transaction.atomic():
        run = _locked_dead_letter(run_id)
        run.resolution = JobRun.Resolution.DISCARDED
        run.resolved_at = timezone.now()
        run.resolved_by = user
        run.resolution_note = note[:500]
        run.save(update_fields=["resolution", "resolved_at", "resolved_by", "resolution_note"])
    return run
