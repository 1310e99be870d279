"""Celery tasks of reports: they call a service. A run's task is acknowledged late and
rejected if its worker dies, so the broker hands it to another worker; the run's own
claim makes sure it is done once."""

from celery import shared_task

from ifixit.reports import services

MAX_RETRIES = services.MAX_ATTEMPTS - 1


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def execute_run(self, run_id: int) -> None:
    try:
        services.run_execute(run_id=run_id, final_attempt=self.request.retries >= self.max_retries)
    except services.RetryRun as exc:
        raise self.retry(exc=exc, countdown=exc.countdown)


@shared_task
def queue_due_reports() -> int:
    """Queued by beat every minute: one run per schedule whose time has come."""
    return len(services.schedules_queue_due())


@shared_task
def requeue_stuck_runs() -> int:
    """Queued by beat: runs whose worker died, or that never reached one, go again."""
    return len(services.runs_requeue_stuck())
