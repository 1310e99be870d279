"""Writes on schedules: saved (checked whole), paused, resumed, deleted, sent now; and the
beat's queueing of the schedules whose slot has come, once per slot."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.reports import catalogue, scheduling
from ifixit.reports.models import Format, Run, Schedule
from ifixit.reports.selectors import schedules_visible_to
from ifixit.reports.services.recipients import check_recipients, check_typed_addresses, normalise_emails
from ifixit.reports.services.runs import queue_run

SCHEDULE_FIELDS = [
    "name",
    "report_key",
    "params",
    "format",
    "frequency",
    "weekday",
    "day_of_month",
    "on_last_day",
    "time_of_day",
    "time_zone",
    "recipient_user_ids",
    "recipient_emails",
    "is_active",
]


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


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
            errors.update(
                {
                    f"params.{k}" if k not in ("period", "start", "end", "locations", "phase", "make") else k: v[0]
                    for k, v in exc.message_dict.items()
                }
            )
        except (TypeError, ValueError) as exc:
            errors["params"] = f"These parameters cannot be read: {exc}"
    if schedule.format not in Format.values:
        errors["format"] = "Choose CSV, XLSX or PDF."
    schedule.recipient_emails = normalise_emails(schedule.recipient_emails, errors)
    users = (
        list(User.objects.filter(pk__in=recipient_ids))
        if recipient_ids is not None
        else (list(schedule.recipient_users.all()) if schedule.pk else [])
    )
    if recipient_ids is not None and len(users) != len(set(recipient_ids)):
        errors["recipient_users"] = "Choose people who work here."
    if not users and not schedule.emails and "recipient_emails" not in errors:
        errors["recipient_users"] = "A schedule needs at least one recipient: a colleague or an email address."
    if report is not None and params is not None and users and "recipient_users" not in errors:
        check_recipients(owner, report, params, users, errors)
    if report is not None and params is not None and schedule.emails and "recipient_emails" not in errors:
        check_typed_addresses(owner, report, params, schedule.emails, errors)
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


@transaction.atomic
def schedule_send_now(*, user: User, schedule_id: int) -> Run:
    """Run the schedule once now, to its recipients, outside its cadence."""
    schedule = _own_schedule(user, schedule_id)
    run = Run.objects.create(
        schedule=schedule,
        trigger=Run.Trigger.SEND_NOW,
        report_key=schedule.report_key,
        params=schedule.params,
        format=schedule.format,
        requested_by=user,
    )
    queue_run(run)
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
                moved = Schedule.objects.filter(pk=schedule.pk, is_active=True, next_run_at=slot).update(
                    next_run_at=following
                )
                if not moved:
                    continue  # another beat took this slot
                run = Run.objects.create(
                    schedule=schedule,
                    trigger=Run.Trigger.SCHEDULE,
                    scheduled_for=slot,
                    report_key=schedule.report_key,
                    params=schedule.params,
                    format=schedule.format,
                    requested_by=schedule.owner,
                )
                queue_run(run)
        except IntegrityError:
            continue  # the run for this slot exists already
        queued.append(run.pk)
    return queued
