"""Every task run, recorded: the base class of every Celery task in the project
(`Celery(task_cls=...)` in ifixit/celery.py).

A run writes one `JobRun` row when it ends: succeeded, failed and retrying, or failed for good
(a dead letter, with its arguments kept so "retry now" can run it again). Frequent tasks set
`history_sample = N`: one success in N is written, weighted N, so counts and runtimes stay
right on average while the hot path pays one write per N runs; failures are always written.
(Celery's own result backend is off: nothing read it, and it wrote a row per task too.)

Errors are sorted once, here, for every task: a transient one (the database locked or
unreachable, the broker or Redis gone, SMTP or another service not answering) is retried with
exponential backoff and full jitter, up to five times; anything else is a fault in the data or
the code, which a retry would only repeat: it goes straight to the dead letters. A task may
still declare its own `autoretry_for`, `max_retries` and backoff.

A task id that already succeeded is skipped, not run again: the outbox may publish a message
twice (see ifixit.jobs.outbox). Every task must also be safe to run twice on its own (a worker
killed mid-task has it redelivered): each says why in its docstring. A delivery the broker gives
again (an earlier one was never acknowledged: its worker was killed or cut off mid-run) first
writes a row for the lost run, so the history shows why the job ran twice.
"""

import smtplib
import time
import traceback as traceback_module

import httpx
from celery import Task
from celery.exceptions import Retry
from django.conf import settings
from django.db import InterfaceError
from django.db import OperationalError as DatabaseError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

TRANSIENT_ERRORS = (
    DatabaseError,  # "database is locked", a connection lost
    InterfaceError,
    BrokerError,
    RedisConnectionError,
    RedisTimeoutError,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    ConnectionError,  # refused, reset, aborted: a service not answering
    TimeoutError,
    httpx.TimeoutException,  # an auction platform or SMS provider over HTTP not answering...
    httpx.NetworkError,
    httpx.RemoteProtocolError,  # ...or hanging up mid-answer
)


class RecordedTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = 2  # about 2, 4, 8, 16, 32 s, each drawn at random below that (full jitter)
    retry_backoff_max = 300
    retry_jitter = True
    history_sample = 1

    def __call__(self, *args, **kwargs):
        request = self.request
        # A plain function call has no job to record; JOBS_RECORDING off is for measuring what
        # recording costs (bench/jobs.py), never for a deployment.
        if request.called_directly or not settings.JOBS_RECORDING:
            return super().__call__(*args, **kwargs)
        from ifixit.jobs import history

        if history.already_succeeded(request.id):
            history.record_skip(self, request)
            return None
        if _redelivered(request):
            history.record_lost(self, request)
        started = history.now()
        clock = time.perf_counter()
        try:
            result = self.run(*args, **kwargs)
        except Retry as retry:
            history.record(self, request, started, clock, state="retrying", exc=retry.exc, tb=_traceback(retry.exc))
            raise
        except Exception as exc:
            history.record(self, request, started, clock, state="dead", exc=exc, tb=traceback_module.format_exc())
            raise
        if self.history_sample <= 1 or history.sampled(self.history_sample):
            history.record(self, request, started, clock, state="succeeded")
        return result


def _redelivered(request) -> bool:
    """kombu marks a message it put back in the queue because no worker acknowledged it."""
    return bool((request.delivery_info or {}).get("redelivered"))


def _traceback(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return "".join(traceback_module.format_exception(type(exc), exc, exc.__traceback__))
