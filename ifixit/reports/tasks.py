"""Celery tasks of reports: they call a service. A run's task is acknowledged late and
rejected if its worker dies, so the broker hands it to another worker; the run's own
claim makes sure it is done once."""

from celery import shared_task

from ifixit.reports import services

MAX_RETRIES = services.MAX_ATTEMPTS - 1


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def execute_run(self, run_id: int) -> None:
    """Queued through the outbox when a run is asked for, and by the sweep below. Safe twice:
    the run is claimed by a conditional update (queued or retrying, or a claim gone stale), every
    later write of the attempt is conditional on that claim, and its email is marked sending
    before it goes, so a second run does nothing and never sends it again."""
    try:
        services.run_execute(run_id=run_id, final_attempt=self.request.retries >= self.max_retries)
    except services.RetryRun as exc:
        raise self.retry(exc=exc, countdown=exc.countdown)


@shared_task
def queue_due_reports() -> int:
    """Queued by beat every minute: one run per schedule whose time has come. Safe twice: a
    schedule's slot is taken by a conditional update of its next run time, and a run is unique
    per schedule and slot, so a second run queues nothing."""
    return len(services.schedules_queue_due())


@shared_task
def requeue_stuck_runs() -> int:
    """Queued by beat: runs whose worker died, or that never reached one, go again. Safe twice:
    it only queues execute_run, whose claim lets one attempt do a run."""
    return len(services.runs_requeue_stuck())
