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
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.locations.selectors import locations_visible_to
from ifixit.notifications.services import notify
from ifixit.notifications.tasks import backoff
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


def _check_typed_addresses(owner: User, report: catalogue.Report, params: catalogue.Params, emails: list[str], errors: dict) -> None:
    """An address typed in that belongs to someone who works here gets that person's rights."""
    needed = _scope_location_ids(owner, params) if catalogue.LOCATIONS in report.accepts else set()
    people = User.objects.filter(email__in=emails).prefetch_related("locations")
    refused = sorted({p.email.lower() for p in people if not _may_receive(p, report, needed)})
    if refused:
        errors["recipient_emails"] = f"{', '.join(refused)} belongs to someone who may not see every location of this report."


def _check_recipients(owner: User, report: catalogue.Report, params: catalogue.Params, users: list[User], errors: dict) -> None:
    """A colleague receives a report only if they could run it themselves: its permission,
    and every location it covers."""
    needed = _scope_location_ids(owner, params) if catalogue.LOCATIONS in report.accepts else set()
    refused = [user for user in users if not _may_receive(user, report, needed)]
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
    before = scheduling.Cadence.of(schedule) if schedule.pk else None
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
    if report is not None and params is not None and schedule.emails and "recipient_emails" not in errors:
        _check_typed_addresses(owner, report, params, schedule.emails, errors)
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
    cadence = scheduling.Cadence.of(schedule)
    if not schedule.is_active:
        schedule.next_run_at = None
    elif schedule.next_run_at is None or cadence != before:
        schedule.next_run_at = scheduling.next_run(cadence, timezone.now())
    # else: a change of name, recipients or parameters keeps the slot it was waiting for
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
    """A run's attempt failed; `retry` says whether another attempt may succeed, `pause`
    whether the schedule would fail the same way every time."""

    def __init__(self, message: str, *, retry: bool, pause: bool = False):
        super().__init__(message)
        self.retry, self.pause = retry, pause


def _stale_claim(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.REPORTS_STALE_CLAIM_SECONDS)
    return Q(status=Run.Status.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, claimed_at__lt=stale))


def _claim(run_id: int, now: datetime) -> datetime | None:
    """Take the run, or None. The claim's time is its token: every later write of this
    attempt is conditional on it, so a worker whose claim was taken over (it stalled
    past the stale limit) can no longer change the run, nor send it."""
    claimed = (
        Run.objects.filter(pk=run_id)
        .filter(Q(status__in=[Run.Status.QUEUED, Run.Status.RETRYING]) | _stale_claim(now))
        .update(status=Run.Status.RUNNING, claimed_at=now, heartbeat_at=now, attempts=F("attempts") + 1, progress=5, error="", retry_at=None)
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


def _recipients(run: Run) -> list[str]:
    """Where a scheduled run goes: its colleagues who may still see it, and the outside
    addresses that are not the address of a colleague who may not."""
    schedule = run.schedule
    if schedule is None:
        return []
    report = catalogue.get(run.report_key)
    params = catalogue.Params.from_json(run.params)
    needed = _scope_location_ids(schedule.owner, params) if catalogue.LOCATIONS in report.accepts else set()
    addresses = []
    for user in schedule.recipient_users.filter(is_active=True).exclude(email="").prefetch_related("locations"):
        if _may_receive(user, report, needed):
            addresses.append(user.email.lower())
    typed = schedule.emails
    staff = {u.email.lower(): u for u in User.objects.filter(email__in=typed).prefetch_related("locations")} if typed else {}
    for address in typed:
        person = staff.get(address)
        if person is not None and not _may_receive(person, report, needed):
            continue  # a colleague's (or former colleague's) address typed in: their rights apply
        if address not in addresses:
            addresses.append(address)
    return addresses


def _may_receive(user: User, report: catalogue.Report, needed: set[int]) -> bool:
    if not user.is_active or not user.has_perm(report.permission):
        return False
    return not needed or user.is_group_wide or not (needed - {loc.pk for loc in user.locations.all()})


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
    period = next((value for label, value in parameters if label == "Period"), f"{run.report_date:%d %b %Y}")
    message = EmailMessage(
        subject=f"{schedule.name}: {period}",
        body="\n".join(lines),
        # Colleagues see each other; outside addresses are blind-copied, unseen by anyone.
        to=[a for a in addresses if a in internal],
        bcc=[a for a in addresses if a not in internal],
        headers={"Message-ID": f"<report-run-{run.pk}@{settings.SITE_URL.split('//')[-1].split('/')[0]}>"},
    )
    if not as_link:
        message.attach(run.file_name, content, renderers.FORMATS[run.format].content_type)
    message.send()
    return as_link


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
        return _failed(run, token, str(exc), retry=exc.retry and not final_attempt and run.attempts < MAX_ATTEMPTS, pause=exc.pause)
    except Exception as exc:  # a bug or an outage: recorded on the run, never silent
        logger.exception("report run %s failed", run.pk)
        return _failed(run, token, f"{exc.__class__.__name__}: {exc}", retry=not final_attempt and run.attempts < MAX_ATTEMPTS)
    done = Run.Status.READY if run.trigger == Run.Trigger.ON_DEMAND else Run.Status.SENT
    if not _mine(run, token).update(
        status=done, progress=100, finished_at=timezone.now(), duration_ms=int((time.monotonic() - started) * 1000)
    ):
        return None
    run.refresh_from_db()
    if run.trigger == Run.Trigger.ON_DEMAND and run.requested_by:
        report = catalogue.get(run.report_key)
        notify(
            recipient=run.requested_by, kind="report_ready", title=f"{report.title} is ready",
            body=f"{run.file_name}, {run.row_count} rows.", link=reverse("report_run_detail", args=[run.pk]),
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
            content = renderers.render(run.format, report=report, result=result, parameters=parameters, generated_at=timezone.now())
            start, end = (scope.start, scope.end) if scope.start else (run.report_date, run.report_date)
            run.file_name = f"{report.key}-{start:%Y%m%d}-{end:%Y%m%d}.{renderers.FORMATS[run.format].extension}"
            run.file.save(run.file_name, ContentFile(content), save=False)
            run.row_count, run.file_size = len(result.rows), len(content)
            _beat(run, token, 80, file=run.file.name, file_name=run.file_name, row_count=run.row_count, file_size=run.file_size)
    if run.trigger == Run.Trigger.ON_DEMAND:
        return
    addresses = _recipients(run)
    if not addresses:
        raise RunFailed("Nobody to send it to: every recipient has left or may no longer see these locations.", retry=False)
    if not _mine(run, token).filter(sending_at__isnull=True, emailed_at__isnull=True).update(sending_at=timezone.now()):
        raise ClaimLost
    try:
        as_link = _email(run, report=report, parameters=parameters, content=content, addresses=addresses)
    except Exception as exc:
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
        status=status, error=message[:2000], finished_at=None if retry else timezone.now(),
        retry_at=timezone.now() + timedelta(seconds=countdown) if retry else None,
    )
    if not updated:
        return None
    run.refresh_from_db()
    if not retry:
        owner = run.schedule.owner if run.schedule_id else run.requested_by
        if pause and run.schedule_id:
            # It would fail the same way every time: stop it until someone looks.
            Schedule.objects.filter(pk=run.schedule_id).update(is_active=False, next_run_at=None)
            message += " The schedule is paused."
        name = run.schedule.name if run.schedule_id else catalogue.get(run.report_key).title
        link = reverse("report_schedule_detail", args=[run.schedule_id]) if run.schedule_id else reverse("report_run_detail", args=[run.pk])
        told = [owner] if owner is not None and owner.is_active else list(User.objects.filter(is_active=True, role="admin"))
        for person in told:
            notify(recipient=person, kind="report_failed", title=f"{name} failed", body=message[:500], link=link,
                   dedupe_key=f"report-failed:{run.pk}")
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

    for run_id in ids:
        execute_run.delay(run_id)
    return ids


def run_get_for(user: User, run_id: int) -> Run:
    run = runs_visible_to(user).select_related("schedule").filter(pk=run_id).first()
    if run is None:
        raise Run.DoesNotExist
    return run
