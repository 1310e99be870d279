"""Celery tasks for job health: they only load and call a service."""

from celery import shared_task

from ifixit.dashboard import services
from ifixit.dashboard.models import JobProbe


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job_probe(probe_id: str) -> None:
    worker = run_job_probe.request.hostname or "unknown"
    services.job_probe_run(probe_id=probe_id, worker=worker)


@shared_task
def beat_heartbeat() -> None:
    """Queued by beat every minute: proves beat, broker and a worker are all alive."""
    services.job_probe_queue(origin=JobProbe.Origin.BEAT, queued_from="beat")


@shared_task
def prune_job_probes() -> int:
    """Queued by beat daily: keeps the probe table to a fortnight."""
    return services.job_probes_prune()
