"""Writing job runs (called by ifixit.jobs.recording inside the worker) and keeping the
history to its configured length."""

import datetime
import logging
import random
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from ifixit.jobs.models import JobRun, OutboxMessage, QueueSample
from ifixit.jobs.redaction import redact_text

log = logging.getLogger(__name__)

now = timezone.now


def sampled(every: int) -> bool:
    return random.randrange(every) == 0


def already_succeeded(task_id: str | None) -> bool:
    if not task_id:
        return False
    try:
        return JobRun.objects.filter(task_id=task_id, state=JobRun.State.SUCCEEDED).exists()
    except DatabaseError:  # the database is what failed: let the task meet it and retry
        return False


def _about_and_queued(task_id: str) -> tuple[str, datetime.datetime | None]:
    row = (
        OutboxMessage.objects.filter(pk=task_id).values_list("about", "created_at").first()
        if _is_uuid(task_id)
        else None
    )
    return row if row else ("", None)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def record(
    task,
    request,
    started: datetime.datetime,
    clock: float,
    *,
    state: str,
    exc=None,
    tb: str = "",
    worker: str | None = None,
) -> None:
    """One row for one run (on `worker`, by default the one running this). A failure to write
    it is logged, never raised: the history must not change what the task did."""
    runtime_ms = int((time.perf_counter() - clock) * 1000)
    try:
        about, queued_at = _about_and_queued(request.id)
        dead = state == JobRun.State.DEAD
        with transaction.atomic():
            JobRun.objects.create(
                task_id=request.id or "",
                task=task.name,
                about=about or _about_from_headers(request),
                state=state,
                attempt=(request.retries or 0) + 1,
                weight=task.history_sample if state == JobRun.State.SUCCEEDED else 1,
                queued_at=queued_at,
                started_at=started,
                finished_at=now(),
                runtime_ms=runtime_ms,
                worker=(request.hostname if worker is None else worker) or "",
                error=redact_text(f"{exc.__class__.__name__}: {exc}", limit=500) if exc is not None else "",
                traceback=redact_text(tb, limit=20000),
                args=list(request.args or []) if dead else None,
                kwargs=dict(request.kwargs or {}) if dead else None,
            )
    except Exception:
        log.exception("could not record the run of %s %s", task.name, request.id)


def record_skip(task, request) -> None:
    record(task, request, now(), time.perf_counter(), state=JobRun.State.SKIPPED)


class LostRun(Exception):
    """What the history says of a delivery that never reported back."""


def record_lost(task, request) -> None:
    """The run before this redelivery ended without a word (its worker was killed, or lost the
    broker): one row saying so, as retrying, since this delivery is the retry. Its worker and
    runtime are unknown: only the broker saw it go."""
    lost = LostRun(
        "no worker acknowledged an earlier delivery (killed or cut off mid-run): the broker delivered it again"
    )
    record(task, request, now(), time.perf_counter(), state=JobRun.State.RETRYING, exc=lost, worker="")


def _about_from_headers(request) -> str:
    """Beat names the schedule it ran a task for (django-celery-beat's periodic_task_name)."""
    name = getattr(request, "periodic_task_name", None)
    if not name and isinstance(request.headers, dict):
        name = request.headers.get("periodic_task_name")
    return f"schedule:{name}" if name else ""


def history_prune(*, now_at: datetime.datetime | None = None) -> tuple[int, int]:
    """Forget runs and published messages older than JOBS_HISTORY_DAYS; a dead letter nobody has
    retried or discarded is kept until someone does. Returns (runs, messages) deleted."""
    cutoff = (now_at or now()) - datetime.timedelta(days=settings.JOBS_HISTORY_DAYS)
    runs, _ = JobRun.objects.filter(finished_at__lt=cutoff).exclude(state=JobRun.State.DEAD, resolution="").delete()
    messages, _ = OutboxMessage.objects.filter(published_at__lt=cutoff).delete()
    QueueSample.objects.filter(taken_at__lt=cutoff).delete()
    return runs, messages
