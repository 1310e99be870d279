"""Every write on reports: schedules, runs, and the work of a run.

A run is claimed with a conditional update (status queued or retrying, or a claim whose
worker stopped beating) before any work, and records the moment its email went, so a
duplicate beat, a retried task or a task redelivered after its worker was killed never
emails a report twice and never skips it. Slow work happens outside transactions.
"""

import logging
import time
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.inventory.selectors import locations_visible_to
from ifixit.notifications.services import notify
from ifixit.reports import catalogue, renderers, scheduling
from ifixit.reports.models import Format, Run, Schedule
from ifixit.reports.selectors import runs_visible_to, schedules_visible_to

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
SCHEDULE_FIELDS = [
    "name", "report_key", "params", "format", "frequency", "weekday", "day_of_month", "on_last_day", "time_of_day",
    "time_zone", "recipient_user_ids", "recipient_emails", "is_active",
]
LINK_SALT = "ifixit.reports.file"


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


def _local_today(time_zone: str):
    return timezone.now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()


# --- Schedules ----------------------------------------------------------------------------


def _normalise_emails(text: str, errors: dict) -> str:
    emails = []
    for raw in (text or "").replace(",", "\n").replace(";", "\n").splitlines():
        address = raw.strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors["recipient_emails"] = f"{raw.strip()} is not an email address."
            continue
        if address not in emails:
            emails.append(address)
    return "\n".join(emails)


def _scope_location_ids(owner: User, params: catalogue.Params) -> set[int]:
    if params.locations:
        return set(params.locations)
    return set(locations_visible_to(owner).values_list("pk", flat=True))


def _check_recipients(owner: User, report: catalogue.Report, params: catalogue.Params, users: list[User], errors: dict) -> None:
    """A colleague receives a report only if they could run it themselves: its permission,
    and every location it covers."""
    needed = _scope_location_ids(owner, params) if catalogue.LOCATIONS in report.accepts else set()
    refused = []
    for user in users:
        if not user.is_active or not user.has_perm(report.permission):
            refused.append(user)
            continue
        if needed and not user.is_group_wide and needed - set(user.locations.values_list("pk", flat=True)):
            refused.append(user)
    if refused:
        names = ", ".join(u.get_full_name() or u.username for u in refused)
        errors["recipient_users"] = f"{names} may not see every location of this report; choose fewer locations or other people."


@transaction.atomic
def schedule_save(*, user: User, schedule_id: int | None = None, **fields) -> Schedule:
    """Create or change a schedule, checked whole: the report and its parameters, the
    cadence, the recipients. Its next run is worked out from now."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    if schedule_id is None:
        _require(user, "reports.add_schedule")
        schedule = Schedule(owner=user)
    else:
        _require(user, "reports.change_schedule")
        schedule = schedules_visible_to(user).select_for_update().filter(pk=schedule_id).first()
        if schedule is None:
            raise ValidationError({"schedule": "No such schedule."})
    recipient_ids = fields.pop("recipient_user_ids", None)
    for name, value in fields.items():
        setattr(schedule, name, value.strip() if isinstance(value, str) and name != "recipient_emails" else value)

    errors: dict[str, str] = {}
    owner = schedule.owner
    report = None
    try:
        report = catalogue.get(schedule.report_key)
    except ValidationError as exc:
        errors.update({"report_key": exc.message_dict["report"][0]})
    params = None
    if report is not None:
        if not owner.has_perm(report.permission):
            errors["report_key"] = f"You may not run “{report.title}”."
        try:
            params = catalogue.Params.from_json(schedule.params or {})
            catalogue.check_params(report, params, user=owner)
        except ValidationError as exc:
            errors.update({f"params.{k}" if k not in ("period", "start", "end", "locations", "phase", "make") else k: v[0] for k, v in exc.message_dict.items()})
        except (TypeError, ValueError) as exc:
            errors["params"] = f"These parameters cannot be read: {exc}"
    if schedule.format not in Format.values:
        errors["format"] = "Choose CSV, XLSX or PDF."
    schedule.recipient_emails = _normalise_emails(schedule.recipient_emails, errors)
    users = list(User.objects.filter(pk__in=recipient_ids)) if recipient_ids is not None else (list(schedule.recipient_users.all()) if schedule.pk else [])
    if recipient_ids is not None and len(users) != len(set(recipient_ids)):
        errors["recipient_users"] = "Choose people who work here."
    if not users and not schedule.emails and "recipient_emails" not in errors:
        errors["recipient_users"] = "A schedule needs at least one recipient: a colleague or an email address."
    if report is not None and params is not None and users and "recipient_users" not in errors:
        _check_recipients(owner, report, params, users, errors)
    if schedule.frequency == Schedule.Frequency.WEEKLY and schedule.weekday is None:
        errors["weekday"] = "Choose the day of the week."
    if schedule.frequency == Schedule.Frequency.MONTHLY and not schedule.on_last_day and not schedule.day_of_month:
        errors["day_of_month"] = "Choose the day of the month, or the last day."
    if schedule.frequency != Schedule.Frequency.WEEKLY:
        schedule.weekday = None
    if schedule.frequency != Schedule.Frequency.MONTHLY:
        schedule.day_of_month, schedule.on_last_day = None, False
    elif schedule.on_last_day:
        schedule.day_of_month = None
    if not schedule.name:
        schedule.name = report.title if report else ""
    try:
        schedule.full_clean(exclude=["owner", "params", "recipient_users", *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages[0])
    if errors:
        raise ValidationError(errors)
    schedule.params = params.to_json()
    schedule.next_run_at = scheduling.next_run(scheduling.Cadence.of(schedule), timezone.now()) if schedule.is_active else None
    schedule.save()
    if recipient_ids is not None:
        schedule.recipient_users.set(users)
    return schedule


def _own_schedule(user: User, schedule_id: int, perm: str = "reports.change_schedule") -> Schedule:
    _require(user, perm)
    schedule = schedules_visible_to(user).select_for_update().filter(pk=schedule_id).first()
    if schedule is None:
        raise ValidationError({"schedule": "No such schedule."})
    return schedule


@transaction.atomic
def schedule_pause(*, user: User, schedule_id: int) -> Schedule:
    schedule = _own_schedule(user, schedule_id)
    schedule.is_active, schedule.next_run_at = False, None
    schedule.save(update_fields=["is_active", "next_run_at", "updated_at"])
    return schedule


@transaction.atomic
def schedule_resume(*, user: User, schedule_id: int) -> Schedule:
    """Resume from now on: slots missed while paused are not sent."""
    schedule = _own_schedule(user, schedule_id)
    schedule.is_active = True
    schedule.next_run_at = scheduling.next_run(scheduling.Cadence.of(schedule), timezone.now())
    schedule.save(update_fields=["is_active", "next_run_at", "updated_at"])
    return schedule


@transaction.atomic
def schedule_delete(*, user: User, schedule_id: int) -> None:
    """The schedule goes; its runs and their files stay in the history (schedule left empty)."""
    schedule = _own_schedule(user, schedule_id, "reports.delete_schedule")
    schedule.delete()


def _queue(run: Run) -> None:
    from ifixit.reports.tasks import execute_run

    transaction.on_commit(lambda: execute_run.delay(run.pk))


@transaction.atomic
def schedule_send_now(*, user: User, schedule_id: int) -> Run:
    """Run the schedule once now, to its recipients, outside its cadence."""
    schedule = _own_schedule(user, schedule_id)
    run = Run.objects.create(
        schedule=schedule, trigger=Run.Trigger.SEND_NOW, report_key=schedule.report_key, params=schedule.params,
        format=schedule.format, requested_by=user,
    )
    _queue(run)
    return run


def schedules_queue_due(*, now: datetime | None = None) -> list[int]:
    """Queue one run for each schedule whose slot has come, and move the schedule to its
    next slot. The move is a conditional update on the slot just taken, and the run is
    unique per schedule and slot, so two beats at once queue it once. A schedule whose
    slots were missed (beat down for days) is sent once, late, not once per missed slot."""
    now = now or timezone.now()
    queued = []
    due = Schedule.objects.filter(is_active=True, next_run_at__lte=now).order_by("next_run_at")[:500]
    for schedule in due:
        slot = schedule.next_run_at
        following = scheduling.next_run(scheduling.Cadence.of(schedule), max(slot, now))
        try:
            with transaction.atomic():
                moved = Schedule.objects.filter(pk=schedule.pk, is_active=True, next_run_at=slot).update(next_run_at=following)
                if not moved:
                    continue  # another beat took this slot
                run = Run.objects.create(
                    schedule=schedule, trigger=Run.Trigger.SCHEDULE, scheduled_for=slot, report_key=schedule.report_key,
                    params=schedule.params, format=schedule.format, requested_by=schedule.owner,
                )
                _queue(run)
        except IntegrityError:
            continue  # the run for this slot exists already
        queued.append(run.pk)
    return queued


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
    _queue(run)
    return run


# --- Doing a run ------------------------------------------------------------------------------


class RunFailed(Exception):
    """A run's attempt failed; `retry` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


def _stale_claim(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.REPORTS_STALE_CLAIM_SECONDS)
    return Q(status=Run.Status.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, claimed_at__lt=stale))


def _claim(run_id: int, now: datetime) -> bool:
    return bool(
        Run.objects.filter(pk=run_id)
        .filter(Q(status__in=[Run.Status.QUEUED, Run.Status.RETRYING]) | _stale_claim(now))
        .update(status=Run.Status.RUNNING, claimed_at=now, heartbeat_at=now, attempts=F("attempts") + 1, progress=5, error="")
    )


def _beat(run: Run, progress: int) -> None:
    """Keep the claim fresh and show how far the run has got."""
    Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(heartbeat_at=timezone.now(), progress=progress)


def _recipients(run: Run) -> list[str]:
    """Where a scheduled run goes: its colleagues who may still see it, and the outside addresses."""
    schedule = run.schedule
    if schedule is None:
        return []
    report = catalogue.get(run.report_key)
    params = catalogue.Params.from_json(run.params)
    needed = _scope_location_ids(schedule.owner, params) if catalogue.LOCATIONS in report.accepts else set()
    addresses = []
    for user in schedule.recipient_users.filter(is_active=True).exclude(email="").prefetch_related("locations"):
        if not user.has_perm(report.permission):
            continue
        if needed and not user.is_group_wide and needed - {loc.pk for loc in user.locations.all()}:
            continue  # moved away from a location the report covers since the schedule was made
        addresses.append(user.email.lower())
    for address in schedule.emails:
        if address not in addresses:
            addresses.append(address)
    return addresses


def file_link(run: Run) -> str:
    token = signing.TimestampSigner(salt=LINK_SALT).sign(str(run.pk))
    return settings.SITE_URL + reverse("report_file_link", args=[token])


def run_for_link(token: str) -> Run | None:
    max_age = timedelta(days=settings.REPORTS_LINK_VALID_DAYS)
    try:
        run_id = int(signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None
    return Run.objects.filter(pk=run_id).exclude(file="").first()


def _email(run: Run, *, report: catalogue.Report, parameters: list[tuple[str, str]], content: bytes, addresses: list[str]) -> bool:
    """Send the report to its recipients; True if it went as a link (too big to attach)."""
    schedule = run.schedule
    internal = {u.email.lower() for u in schedule.recipient_users.all() if u.email}
    as_link = len(content) > settings.REPORTS_ATTACH_MAX_BYTES
    lines = [f"{report.title}", ""] + [f"{label}: {value}" for label, value in parameters]
    lines += ["", f"{run.row_count} row{'s' if run.row_count != 1 else ''}."]
    if as_link:
        lines += ["", f"The file is too large to attach ({len(content) // 1024:,} KB). Download it within "
                      f"{settings.REPORTS_LINK_VALID_DAYS} days:", file_link(run)]
    else:
        lines += ["", f"The report is attached ({run.file_name})."]
    lines += ["", f"Sent by I-fixit on behalf of {schedule.owner.get_full_name() or schedule.owner.username} "
                  f"({schedule.name}, {schedule.cadence.lower()}).",
              f"Change or stop it: {settings.SITE_URL}{reverse('report_schedule_detail', args=[schedule.pk])}"]
    message = EmailMessage(
        subject=f"{schedule.name}: {parameters[0][1] if parameters else report.title}",
        body="\n".join(lines),
        # Colleagues see each other; outside addresses are blind-copied, unseen by anyone.
        to=[a for a in addresses if a in internal],
        bcc=[a for a in addresses if a not in internal],
        # The same Message-ID on every attempt: a resend after a crash at the wrong
        # moment is recognised as the same message by mail servers and clients.
        headers={"Message-ID": f"<report-run-{run.pk}@{settings.SITE_URL.split('//')[-1].split('/')[0]}>"},
    )
    if not as_link:
        message.attach(run.file_name, content, renderers.FORMATS[run.format].content_type)
    message.send()
    return as_link


def run_execute(*, run_id: int, final_attempt: bool = False) -> Run | None:
    """Do a run once: claim it, build the report as the person who asked for it, render
    the file, store it, and (scheduled or sent now) email it, recording that it went.
    Returns None when there was nothing to do (done already, or another worker has it)."""
    now = timezone.now()
    if not _claim(run_id, now):
        return None
    run = Run.objects.select_related("schedule__owner", "requested_by").get(pk=run_id)
    started = time.monotonic()
    try:
        _do(run)
    except RunFailed as exc:
        return _failed(run, str(exc), retry=exc.retry and not final_attempt and run.attempts < MAX_ATTEMPTS)
    except Exception as exc:  # a bug or an outage: recorded on the run, never silent
        logger.exception("report run %s failed", run.pk)
        return _failed(run, f"{exc.__class__.__name__}: {exc}", retry=not final_attempt and run.attempts < MAX_ATTEMPTS)
    done = Run.Status.READY if run.trigger == Run.Trigger.ON_DEMAND else Run.Status.SENT
    finished = timezone.now()
    Run.objects.filter(pk=run.pk).update(
        status=done, progress=100, finished_at=finished,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    run.refresh_from_db()
    if run.trigger == Run.Trigger.ON_DEMAND and run.requested_by:
        report = catalogue.get(run.report_key)
        notify(
            recipient=run.requested_by, kind="report_ready", title=f"{report.title} is ready",
            body=f"{run.file_name}, {run.row_count} rows.", link=reverse("report_run_detail", args=[run.pk]),
            dedupe_key=f"report-ready:{run.pk}",
        )
    return run


def _do(run: Run) -> None:
    # A schedule's run is always its owner's report, whoever pressed "send now": its
    # recipients were checked against the owner's locations, not the presser's.
    user = run.schedule.owner if run.schedule_id else run.requested_by
    if user is None or not user.is_active:
        raise RunFailed("The person this report runs for no longer has an account.", retry=False)
    params = catalogue.Params.from_json(run.params)
    zone = run.schedule.time_zone if run.schedule_id else settings.TIME_ZONE
    # A relative period ("last week") is relative to the slot's day, even when the run is late.
    today = run.scheduled_for.astimezone(zoneinfo.ZoneInfo(zone)).date() if run.scheduled_for else _local_today(zone)
    run.started_at = run.started_at or timezone.now()
    Run.objects.filter(pk=run.pk).update(started_at=run.started_at)
    try:
        report, scope, result = catalogue.run(run.report_key, params, user=user, today=today)
    except (ValidationError, PermissionDenied) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        raise RunFailed(f"The report cannot run as set up: {message}", retry=False)
    _beat(run, 40)
    names = {loc.pk: loc.name for loc in scope.locations}
    parameters = params.describe(report, today=today, location_names=names)
    if run.file:
        content = run.file.read()  # rendered by an attempt that died before sending
    else:
        content = renderers.render(run.format, report=report, result=result, parameters=parameters, generated_at=timezone.now())
        _beat(run, 80)
        start, end = (scope.start, scope.end) if scope.start else (today, today)
        run.file_name = f"{report.key}-{start:%Y%m%d}-{end:%Y%m%d}.{renderers.FORMATS[run.format].extension}"
        run.file.save(run.file_name, ContentFile(content), save=False)
        run.row_count, run.file_size = len(result.rows), len(content)
        Run.objects.filter(pk=run.pk).update(file=run.file.name, file_name=run.file_name, row_count=run.row_count, file_size=run.file_size)
    if run.trigger == Run.Trigger.ON_DEMAND or run.emailed_at:
        return
    addresses = _recipients(run)
    if not addresses:
        raise RunFailed("Nobody to send it to: every recipient has left or may no longer see these locations.", retry=False)
    try:
        as_link = _email(run, report=report, parameters=parameters, content=content, addresses=addresses)
    except Exception as exc:
        raise RunFailed(f"The mail server did not take it: {exc.__class__.__name__}: {exc}", retry=True)
    Run.objects.filter(pk=run.pk).update(emailed_at=timezone.now(), recipients=addresses, sent_as_link=as_link)


def _failed(run: Run, message: str, *, retry: bool) -> Run:
    status = Run.Status.RETRYING if retry else Run.Status.FAILED
    Run.objects.filter(pk=run.pk).update(status=status, error=message[:2000], finished_at=None if retry else timezone.now())
    run.refresh_from_db()
    if not retry:
        owner = run.schedule.owner if run.schedule_id else run.requested_by
        if owner is not None:
            name = run.schedule.name if run.schedule_id else catalogue.get(run.report_key).title
            link = reverse("report_schedule_detail", args=[run.schedule_id]) if run.schedule_id else reverse("report_run_detail", args=[run.pk])
            notify(recipient=owner, kind="report_failed", title=f"{name} failed", body=message[:500], link=link,
                   dedupe_key=f"report-failed:{run.pk}")
    if retry:
        raise RetryRun(message)  # the task retries it with backoff
    return run


class RetryRun(Exception):
    """This attempt failed and another may succeed: the task retries with backoff."""


def runs_requeue_stuck(*, now: datetime | None = None) -> list[int]:
    """Queue again the runs whose worker died (claim gone stale) or that never reached a
    worker (queued long ago). Each run is claimed as it is done, so a twin sweep is harmless."""
    now = now or timezone.now()
    stuck = Run.objects.filter(_stale_claim(now) | Q(status=Run.Status.QUEUED, created_at__lt=now - timedelta(minutes=5)))
    ids = list(stuck.values_list("pk", flat=True)[:200])
    for run_id in ids:
        from ifixit.reports.tasks import execute_run

        execute_run.delay(run_id)
    return ids


def run_get_for(user: User, run_id: int) -> Run:
    run = runs_visible_to(user).select_related("schedule").filter(pk=run_id).first()
    if run is None:
        raise Run.DoesNotExist
    return run
