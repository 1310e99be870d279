"""Writes for job health."""

import socket
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ifixit.dashboard.models import JobProbe
from ifixit.jobs import outbox


def job_probe_queue(*, origin: str = JobProbe.Origin.MANUAL, hold_seconds: int = 0, queued_from: str = "") -> JobProbe:
    from ifixit.dashboard.tasks import run_job_probe

    with transaction.atomic():
        probe = JobProbe(origin=origin, hold_seconds=hold_seconds, queued_from=queued_from or socket.gethostname())
        probe.full_clean()
        probe.save()
        outbox.enqueue(run_job_probe, [str(probe.pk)])
    return probe


def job_probe_run(*, probe_id: str, worker: str) -> JobProbe | None:
    """Run a probe. Counting the start in one conditional UPDATE means two deliveries
    of the same message (a redelivery after a worker died) are both visible."""
    started = JobProbe.objects.filter(pk=probe_id).update(runs=F("runs") + 1, started_at=timezone.now(), worker=worker)
    if not started:
        return None
    probe = JobProbe.objects.get(pk=probe_id)
    if probe.hold_seconds:
        time.sleep(probe.hold_seconds)
    JobProbe.objects.filter(pk=probe_id, finished_at__isnull=True).update(finished_at=timezone.now(), worker=worker)
    return probe


PROBE_RETENTION_DAYS = 14


def job_probes_prune(*, now=None) -> int:
    """Forget probes older than the retention (beat's heartbeat makes 1,440 a day)."""
    cutoff = (now or timezone.now()) - timedelta(days=PROBE_RETENTION_DAYS)
    deleted, _ = JobProbe.objects.filter(queued_at__lt=cutoff).delete()
    return deleted
