"""Demo report schedules with a run history, so the scheduled-reports pages have
something to show after `make run`: a weekly group sales workbook with its past runs
and files, a Leeds month-end stock PDF, and a paused finance mix whose last run failed."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.locations.models import Location
from ifixit.reports import catalogue, renderers, scheduling
from ifixit.reports.models import Run, Schedule


@dataclass
class ReportsSummary:
    schedules: int = 0
    runs: int = 0

    def line(self) -> str:
        return f"{self.schedules} report schedules with {self.runs} past runs."


def _past_runs(schedule: Schedule, *, count: int, now: datetime, owner: User, failed_last: bool = False) -> int:
    """The schedule's last `count` slots, made and sent as the worker would have."""
    cadence = scheduling.Cadence.of(schedule)
    slots, current = [], now - timedelta(days=40 * count)
    while True:
        current = scheduling.next_run(cadence, current)
        if current > now:
            break
        slots.append(current)
    slots = slots[-count:]
    report = catalogue.get(schedule.report_key)
    params = catalogue.Params.from_json(schedule.params)
    recipients = [u.email for u in schedule.recipient_users.all()] + schedule.emails
    for i, slot in enumerate(slots):
        today = timezone.localtime(slot).date()
        report, scope, result = catalogue.run(schedule.report_key, params, user=owner, today=today)
        parameters = params.describe(report, today=today, location_names={loc.pk: loc.name for loc in scope.locations})
        content = renderers.render(schedule.format, report=report, result=result, parameters=parameters, generated_at=slot)
        failed = failed_last and i == len(slots) - 1
        start, end = (scope.start, scope.end) if scope.start else (today, today)
        run = Run(
            schedule=schedule, trigger=Run.Trigger.SCHEDULE, scheduled_for=slot, report_key=schedule.report_key,
            params=schedule.params, format=schedule.format, requested_by=owner, created_at=slot, claimed_at=slot,
            heartbeat_at=slot, started_at=slot, attempts=4 if failed else 1, progress=100,
            status=Run.Status.FAILED if failed else Run.Status.SENT,
            finished_at=slot + timedelta(seconds=2), duration_ms=350 + 40 * i, row_count=len(result.rows),
            file_name=f"{report.key}-{start:%Y%m%d}-{end:%Y%m%d}.{renderers.FORMATS[schedule.format].extension}",
            file_size=len(content), recipients=[] if failed else recipients, emailed_at=None if failed else slot + timedelta(seconds=2),
            error="The mail server did not take it: SMTPDataError: (451, b'4.3.0 Mailbox temporarily unavailable')" if failed else "",
        )
        run.file.save(run.file_name, ContentFile(content), save=False)
        run.save()
    return len(slots)


def reports_demo_data_create(*, now: datetime | None = None) -> ReportsSummary | None:
    now = now or timezone.now()
    admin = User.objects.filter(username="admin").first()
    leeds_manager = User.objects.filter(username="manager.leeds").first()
    leeds = Location.objects.filter(name="Leeds").first()
    if admin is None or leeds_manager is None or leeds is None:
        return None
    summary = ReportsSummary()

    def make(owner, recipients, **fields) -> Schedule:
        schedule = Schedule.objects.create(owner=owner, **fields)
        schedule.recipient_users.set(recipients)
        if schedule.is_active:
            schedule.next_run_at = scheduling.next_run(scheduling.Cadence.of(schedule), now)
            schedule.save(update_fields=["next_run_at"])
        summary.schedules += 1
        return schedule

    weekly = make(
        admin, [admin], name="Group sales, weekly", report_key="sales", params=catalogue.Params(period="last_week").to_json(),
        format="xlsx", frequency="weekly", weekday=0, time_of_day=time(7, 0), time_zone="Europe/London",
        recipient_emails="accounts@ifixit.example",
    )
    summary.runs += _past_runs(weekly, count=6, now=now, owner=admin)
    month_end = make(
        leeds_manager, [leeds_manager], name="Leeds stock at month end", report_key="stock",
        params=catalogue.Params(locations=(leeds.pk,)).to_json(), format="pdf", frequency="monthly", on_last_day=True,
        time_of_day=time(18, 0), time_zone="Europe/London",
    )
    summary.runs += _past_runs(month_end, count=2, now=now, owner=leeds_manager)
    finance = make(
        admin, [admin], name="Finance mix for the bank", report_key="finance_mix",
        params=catalogue.Params(period="last_month").to_json(), format="csv", frequency="monthly", day_of_month=1,
        time_of_day=time(8, 0), time_zone="Europe/London", recipient_emails="dealer.support@northgate.example", is_active=False,
    )
    summary.runs += _past_runs(finance, count=2, now=now, owner=admin, failed_last=True)
    return summary
