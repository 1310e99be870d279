"""Celery tasks for job health: they only load and call a service."""

from celery import shared_task

from ifixit.dashboard import ops_alerts, services
from ifixit.dashboard.models import JobProbe


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job_probe(probe_id: str) -> None:
    """Queued by the job probe (page, /healthz?processes=1, beat). Safe twice: it counts every
    delivery on purpose (a second one is what the probe is there to show) and sets the probe's
    finish time only once."""
    worker = run_job_probe.request.hostname or "unknown"
    services.job_probe_run(probe_id=probe_id, worker=worker)


@shared_task
def beat_heartbeat() -> None:
    """Queued by beat every minute: proves beat, broker and a worker are all alive. Safe twice:
    a second run only adds one more probe, which proves the same."""
    services.job_probe_queue(origin=JobProbe.Origin.BEAT, queued_from="beat")


@shared_task
def prune_job_probes() -> int:
    """Queued by beat daily: keeps the probe table to a fortnight. Safe twice: a delete by a
    date cut-off finds nothing the second time."""
    return services.job_probes_prune()


@shared_task
def check_ops_alerts() -> dict[str, int]:
    """Queued by beat every minute: opens and closes the operations alerts' episodes, telling
    the admins once each (ifixit.dashboard.ops_alerts). Safe twice, even at the same moment: an
    episode is opened only by inserting its row, which a unique constraint on open episodes
    allows once, and closed only by a conditional update that one check wins; the notifications
    are written in the same transaction as the row, so the loser sends none."""
    result = ops_alerts.ops_alerts_check()
    return {"opened": len(result.opened), "closed": len(result.closed), "still_open": result.still_open}
