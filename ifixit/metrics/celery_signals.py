"""Task runs as metrics, from Celery's signals in the process that runs the task (a worker's
pool child). Connected once per process by `MetricsConfig.ready()`; the job history
(ifixit.jobs.recording) is separate and not touched.

- task_prerun: the start time, and the task counted as running.
- task_postrun: its runtime and its end state (success, failure, retry, ignored...).
- task_failure and task_retry: failures and retries by task.
- worker_process_shutdown (a pool child ending) and worker_shutdown: the process's live gauges
  are dropped (ifixit.metrics.processes).
"""

import time

from celery import signals

from ifixit.metrics import instruments
from ifixit.metrics.processes import mark_this_process_dead

_started: dict[str, float] = {}


def _name(task) -> str:
    return getattr(task, "name", None) or "unknown"


def task_started(sender=None, task_id=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()
    instruments.tasks_running.labels(_name(sender)).inc()


def task_ended(sender=None, task_id=None, state=None, **kwargs) -> None:
    name = _name(sender)
    started = _started.pop(task_id, None)
    if started is None:
        return  # not started in this process (prerun not seen): nothing to balance
    instruments.tasks_running.labels(name).dec()
    instruments.task_runtime.labels(name).observe(time.perf_counter() - started)
    instruments.tasks.labels(name, (state or "unknown").lower()).inc()


def task_failed(sender=None, **kwargs) -> None:
    instruments.task_failures.labels(_name(sender)).inc()


def task_retried(sender=None, **kwargs) -> None:
    instruments.task_retries.labels(_name(sender)).inc()


def connect() -> None:
    signals.task_prerun.connect(task_started, weak=False, dispatch_uid="ifixit.metrics.task_started")
    signals.task_postrun.connect(task_ended, weak=False, dispatch_uid="ifixit.metrics.task_ended")
    signals.task_failure.connect(task_failed, weak=False, dispatch_uid="ifixit.metrics.task_failed")
    signals.task_retry.connect(task_retried, weak=False, dispatch_uid="ifixit.metrics.task_retried")
    signals.worker_process_shutdown.connect(
        mark_this_process_dead, weak=False, dispatch_uid="ifixit.metrics.child_dead"
    )
    signals.worker_shutdown.connect(mark_this_process_dead, weak=False, dispatch_uid="ifixit.metrics.worker_dead")
