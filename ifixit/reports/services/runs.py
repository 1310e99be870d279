"""Writes on runs: a file asked for on demand, and the work of a run (claimed, built as its
owner, rendered, stored, emailed once), its failures and retries, and the sweep that queues
again the runs a dead worker left."""

import logging
import time
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.jobs import outbox
from ifixit.metrics import instruments
from ifixit.notifications.services import notify
from ifixit.notifications.tasks import backoff
from ifixit.reports import catalogue, renderers
from ifixit.reports.models import Format, Run, Schedule
from ifixit.reports.selectors import runs_visible_to
from ifixit.reports.services.delivery import email_run
from ifixit.reports.services.recipients import run_recipients

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4


def queue_run(run: Run) -> None:
    from ifixit.reports.tasks import execute_run

    outbox.enqueue(execute_run, [run.pk], about=run)


@transaction.atomic
def report_generate(*, user: User, report_key: str, params: catalogue.Params, format: str) -> Run:
    """Make a report file in the background; the user is told when it is ready."""
    report = catalogue.get(report_key)
    if not user.has_perm(report.permission):
        raise PermissionDenied(f"You may not run “{report.title}”.")
    catalogue.check_params(report, params, user=user)
    if format not in Format.values:
        raise ValidationError({"format": "Choose CSV, XLSX or PDF."})
    run = Run.objects.create(
        trigger=Run.Trigger.ON_DEMAND, report_key=report_key, params=params.to_json(), format=format, requested_by=user
    )
    queue_run(run)
    return run


class RunFailed(Exception):
    """A run's attempt failed; `retry` says whether another attempt may succeed, `pause`
    whether the schedule would fail the same way every time."""

    def __init__(self, message: str, *, retry: bool, pause: bool = False):
        super().__init__(message)
        self.retry, self.pause = retry, pause


def _stale_claim(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.REPORTS_STALE_CLAIM_SECONDS)
    return Q(status=Run.Status.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, claimed_at__lt=stale)
    )


def _claim(run_id: int, now: datetime) -> datetime | None:
    """Take the run, or None. The claim's time is its token: every later write of this
    attempt is conditional on it, so a worker whose claim was taken over (it stalled
    past the stale limit) can no longer change the run, nor send it."""
    claimed = (
        Run.objects.filter(pk=run_id)
        .filter(Q(status__in=[Run.Status.QUEUED, Run.Status.RETRYING]) | _stale_claim(now))
        .update(
            status=Run.Status.RUNNING,
            claimed_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            progress=5,
            error="",
            retry_at=None,
        )
    )
    return now if claimed else None


class ClaimLost(Exception):
    """Another worker took this run over: this attempt stops without writing."""


def _mine(run: Run, token: datetime):
    return Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, claimed_at=token)


def _beat(run: Run, token: datetime, progress: int, **fields) -> None:
    """Keep the claim fresh, show how far the run has got, record what it made."""
    if not _mine(run, token).update(heartbeat_at=timezone.now(), progress=progress, **fields):
        raise ClaimLost


def run_execute(*, run_id: int, final_attempt: bool = False) -> Run | None:
    """Do a run once: claim it, build the report as its owner, render the file, store it,
    and (scheduled or sent now) email it, recording that it went.

    The email is guarded twice: a conditional update marks "sending" (only one attempt
    of one worker can set it, and only while its claim holds), and "sent" is recorded
    after. A later attempt that finds "sent" finishes without sending; one that finds
    "sending" without "sent" cannot know whether the mail server took it, so it does not
    send again but tells the owner, who can send it now. Returns None when there was
    nothing to do (done already, or another worker has it)."""
    now = timezone.now()
    token = _claim(run_id, now)
    if token is None:
        return None
    run = Run.objects.select_related("schedule__owner", "requested_by").get(pk=run_id)
    started = time.monotonic()
    try:
        _do(run, token)
    except ClaimLost:
        return None
    except RunFailed as exc:
        return _failed(
            run, token, str(exc), retry=exc.retry and not final_attempt and run.attempts < MAX_ATTEMPTS, pause=exc.pause
        )
    except Exception as exc:  # a bug or an outage: recorded on the run, never silent
        logger.exception("report run %s failed", run.pk)
        return _failed(
            run, token, f"{exc.__class__.__name__}: {exc}", retry=not final_attempt and run.attempts < MAX_ATTEMPTS
        )
    done = Run.Status.READY if run.trigger == Run.Trigger.ON_DEMAND else Run.Status.SENT
    took = time.monotonic() - started
    if not _mine(run, token).update(
        status=done, progress=100, finished_at=timezone.now(), duration_ms=int(took * 1000)
    ):
        return None
    instruments.report_runs.labels(run.report_key, done).inc()
    instruments.report_runtime.labels(run.report_key).observe(took)
    run.refresh_from_db()
    if run.trigger == Run.Trigger.ON_DEMAND and run.requested_by:
        report = catalogue.get(run.report_key)
        notify(
            recipient=run.requested_by,
            kind="report_ready",
            title=f"{report.title} is ready",
            body=f"{run.file_name}, {run.row_count} rows.",
            link=reverse("report_run_detail", args=[run.pk]),
            dedupe_key=f"report-ready:{run.pk}",
        )
    return run


def _do(run: Run, token: datetime) -> None:
    # A schedule's run is always its owner's report, whoever pressed "send now": its
    # recipients were checked against the owner's locations, not the presser's.
    user = run.schedule.owner if run.schedule_id else run.requested_by
    if user is None or not user.is_active:
        raise RunFailed("The person this report runs for no longer has an account.", retry=False, pause=True)
    zone = run.schedule.time_zone if run.schedule_id else settings.TIME_ZONE
    if run.report_date is None:
        # The day the report is for, fixed at the first attempt: a retry after midnight, or
        # a late slot, reports the same period. A slot's day is the slot's, in its zone.
        run.report_date = (run.scheduled_for or timezone.now()).astimezone(zoneinfo.ZoneInfo(zone)).date()
        _beat(run, token, 10, report_date=run.report_date, started_at=timezone.now())
    if run.emailed_at:
        return  # sent by an attempt that died before recording the end
    if run.sending_at:
        raise RunFailed(
            "An earlier attempt stopped while handing the email to the mail server, so it may or may not have arrived. "
            "It is not sent again automatically; use Send now if the recipients did not get it.",
            retry=False,
        )
    params = catalogue.Params.from_json(run.params)
    with timezone.override(zone):  # "yesterday" and every date filter mean the schedule's days
        try:
            report, scope, result = catalogue.run(run.report_key, params, user=user, today=run.report_date)
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise RunFailed(f"The report cannot run as set up: {message}", retry=False, pause=True)
        _beat(run, token, 40)
        names = {loc.pk: loc.name for loc in scope.locations}
        parameters = params.describe(report, today=run.report_date, location_names=names)
        if run.file:
            content = run.file.read()  # rendered by an attempt that died before sending
        else:
            content = renderers.render(
                run.format, report=report, result=result, parameters=parameters, generated_at=timezone.now()
            )
            run.file_name = renderers.file_name(report, scope, run.format, today=run.report_date)
            run.file.save(run.file_name, ContentFile(content), save=False)
            run.row_count, run.file_size = len(result.rows), len(content)
            _beat(
                run,
                token,
                80,
                file=run.file.name,
                file_name=run.file_name,
                row_count=run.row_count,
                file_size=run.file_size,
            )
    if run.trigger == Run.Trigger.ON_DEMAND:
        return
    addresses = run_recipients(run)
    if not addresses:
        raise RunFailed(
            "Nobody to send it to: every recipient has left or may no longer see these locations.", retry=False
        )
    if not _mine(run, token).filter(sending_at__isnull=True, emailed_at__isnull=True).update(sending_at=timezone.now()):
        raise ClaimLost
    try:
        as_link = email_run(run, report=report, parameters=parameters, content=content, addresses=addresses)
    except Exception as exc:  # noqa: BLE001 (whatever the mail server or the network raised, nothing went)
        # Refused before it was accepted: nothing went, so the next attempt may send.
        Run.objects.filter(pk=run.pk, claimed_at=token).update(sending_at=None)
        raise RunFailed(f"The mail server did not take it: {exc.__class__.__name__}: {exc}", retry=True)
    # It went: record that whatever the claim's state, retrying the write, never the send.
    for attempt in range(5):
        try:
            Run.objects.filter(pk=run.pk).update(emailed_at=timezone.now(), recipients=addresses, sent_as_link=as_link)
            break
        except DatabaseError:
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))


def _failed(run: Run, token: datetime, message: str, *, retry: bool, pause: bool = False) -> Run | None:
    status = Run.Status.RETRYING if retry else Run.Status.FAILED
    countdown = backoff(run.attempts) if retry else None
    updated = _mine(run, token).update(
        status=status,
        error=message[:2000],
        finished_at=None if retry else timezone.now(),
        retry_at=timezone.now() + timedelta(seconds=countdown) if retry else None,
    )
    if not updated:
        return None
    instruments.report_runs.labels(run.report_key, status).inc()
    run.refresh_from_db()
    if not retry:
        owner = run.schedule.owner if run.schedule_id else run.requested_by
        if pause and run.schedule_id:
            # It would fail the same way every time: stop it until someone looks.
            Schedule.objects.filter(pk=run.schedule_id).update(is_active=False, next_run_at=None)
            message += " The schedule is paused."
        name = run.schedule.name if run.schedule_id else catalogue.get(run.report_key).title
        link = (
            reverse("report_schedule_detail", args=[run.schedule_id])
            if run.schedule_id
            else reverse("report_run_detail", args=[run.pk])
        )
        told = (
            [owner]
            if owner is not None and owner.is_active
            else list(User.objects.filter(is_active=True, role="admin"))
        )
        for person in told:
            notify(
                recipient=person,
                kind="report_failed",
                title=f"{name} failed",
                body=message[:500],
                link=link,
                dedupe_key=f"report-failed:{run.pk}",
            )
    if retry:
        raise RetryRun(message, countdown=countdown)  # the task retries it after the countdown
    return run


class RetryRun(Exception):
    """This attempt failed and another may succeed: the task retries after `countdown` seconds."""

    def __init__(self, message: str, *, countdown: float):
        super().__init__(message)
        self.countdown = countdown


def runs_requeue_stuck(*, now: datetime | None = None) -> list[int]:
    """Queue again the runs whose worker died (claim gone stale), that never reached a
    worker (queued long ago), or whose retry never came back (its message was lost).
    Each run is claimed as it is done, so a twin sweep or a late retry is harmless."""
    now = now or timezone.now()
    grace = timedelta(minutes=5)
    stuck = Run.objects.filter(
        _stale_claim(now)
        | Q(status=Run.Status.QUEUED, created_at__lt=now - grace)
        | Q(status=Run.Status.RETRYING, retry_at__lt=now - grace)
    )
    ids = list(stuck.values_list("pk", flat=True)[:200])
    from ifixit.reports.tasks import execute_run

    # Straight to the broker, not through the outbox: this is the sweep that finds runs whose
    # message was lost, so a publish lost here is found again on its next round.
    for run_id in ids:
        execute_run.delay(run_id)
    return ids


def run_get_for(user: User, run_id: int) -> Run:
    run = runs_visible_to(user).select_related("schedule").filter(pk=run_id).first()
    if run is None:
        raise Run.DoesNotExist
    return run
