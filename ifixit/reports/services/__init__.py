"""Every write on reports: schedules, runs, and the work of a run.

A run is claimed with a conditional update (status queued or retrying, or a claim whose
worker stopped beating) before any work, and records the moment its email went, so a
duplicate beat, a retried task or a task redelivered after its worker was killed never
emails a report twice and never skips it. Slow work happens outside transactions.
"""

from ifixit.reports.services.delivery import LINK_SALT, file_link, run_for_link
from ifixit.reports.services.runs import (
    MAX_ATTEMPTS,
    ClaimLost,
    RetryRun,
    RunFailed,
    report_generate,
    run_execute,
    run_get_for,
    runs_requeue_stuck,
)
from ifixit.reports.services.schedules import (
    SCHEDULE_FIELDS,
    schedule_delete,
    schedule_pause,
    schedule_resume,
    schedule_save,
    schedule_send_now,
    schedules_queue_due,
)

__all__ = [
    "LINK_SALT",
    "MAX_ATTEMPTS",
    "SCHEDULE_FIELDS",
    "ClaimLost",
    "RetryRun",
    "RunFailed",
    "file_link",
    "report_generate",
    "run_execute",
    "run_for_link",
    "run_get_for",
    "runs_requeue_stuck",
    "schedule_delete",
    "schedule_pause",
    "schedule_resume",
    "schedule_save",
    "schedule_send_now",
    "schedules_queue_due",
]
