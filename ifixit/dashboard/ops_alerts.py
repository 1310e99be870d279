"""Alerts to the group's admins about the system itself: a feed down, work waiting too long, a
task failing again and again, a schedule that missed its run.

Each condition is a function of `now` returning what fails at that moment, by subject (a source,
the outbox or a queue, a task, a schedule). `ops_alerts_check` compares that with the open
episodes (`OpsAlert`): a subject that starts failing opens an episode and tells every admin once,
through the notification centre; while it keeps failing nothing more is sent; when it stops, the
episode closes with one all-clear. Episodes live in the database, so a restarted beat or worker
does not alert again, and two checks running at once cannot both open or close one (a unique
constraint on the open episode, a conditional update on the close).

The thresholds are the OPS_ALERT_* settings (docs/configuration.md).

Beat runs the check (ifixit.dashboard.tasks.check_ops_alerts): if beat itself is down nothing
here runs, so beat must also be watched from outside (a missed-beat rule on /metrics).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from ifixit.accounts import roles
from ifixit.accounts.models import User
from ifixit.auctions.models import AuctionSource
from ifixit.dashboard.models import OpsAlert
from ifixit.jobs import outbox, selectors
from ifixit.jobs.models import JobRun, QueueSample
from ifixit.notifications.services import notify_many

NOTIFICATION_KIND = "operations"


def _minutes(name: str) -> datetime.timedelta:
    return datetime.timedelta(minutes=getattr(settings, name))


@dataclass(frozen=True)
class Problem:
    title: str
    details: str = ""
    link: str = ""


def _for_minutes(delta: datetime.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# --- The conditions: each returns {subject: Problem} for what fails now ---------------------------


def feeds_down(now: datetime.datetime) -> dict[str, Problem]:
    """Enabled, unpaused sources with no message (heartbeats included: the feeds send one a
    second) for OPS_ALERT_FEED_DOWN_MINUTES, whether disconnected or the feeds process gone. A
    source that never sent anything counts from when it was added."""
    limit = _minutes("OPS_ALERT_FEED_DOWN_MINUTES")
    down = {}
    for source in AuctionSource.objects.filter(enabled=True, paused=False).select_related("health"):
        health = source.current_health
        heard = health.last_message_at or source.created_at
        if now - heard >= limit:
            down[f"source:{source.pk}"] = Problem(
                title=f"Feed “{source.name}” down",
                details=f"No message for {_for_minutes(now - heard)}; the feed is {health.get_state_display().lower()}.",
                link=reverse("integration_dashboard"),
            )
    return down


def work_waiting(now: datetime.datetime) -> dict[str, Problem]:
    """The outbox holds a message unpublished for OPS_ALERT_BACKLOG_MINUTES (the relay is down
    or the broker refuses), or the Celery queue has not been empty in any sample for that long
    (the samples, one a minute, give depth only: a queue never seen empty for N minutes is work
    waiting that long)."""
    limit = _minutes("OPS_ALERT_BACKLOG_MINUTES")
    waiting = {}
    count, oldest = outbox.backlog()
    if oldest is not None and now - oldest >= limit:
        waiting["outbox"] = Problem(
            title="Outbox backlog",
            details=f"{count} job{'s' if count != 1 else ''} not yet handed to the broker, the oldest for {_for_minutes(now - oldest)}.",
            link=reverse("jobs_overview"),
        )
    busy_since = _queue_busy_since(now)
    if busy_since is not None and now - busy_since >= limit:
        waiting["queue:celery"] = Problem(
            title="Queue “celery” backlog",
            details=f"Jobs have been waiting in the queue in every sample for {_for_minutes(now - busy_since)}.",
            link=reverse("jobs_overview"),
        )
    return waiting


def _queue_busy_since(now: datetime.datetime) -> datetime.datetime | None:
    """The first sample of the current unbroken run of non-empty samples, or None if the latest
    sample found the queue empty. Samples where the broker did not answer say nothing."""
    samples = QueueSample.objects.filter(taken_at__lte=now, queued__isnull=False)
    latest = samples.order_by("-taken_at").values_list("queued", flat=True).first()
    if not latest:
        return None
    last_empty = samples.filter(queued=0).order_by("-taken_at").values_list("taken_at", flat=True).first()
    busy = samples.filter(taken_at__gt=last_empty) if last_empty else samples
    return busy.order_by("taken_at").values_list("taken_at", flat=True).first()


def tasks_failing(now: datetime.datetime) -> dict[str, Problem]:
    """Tasks with OPS_ALERT_TASK_FAILURES or more failed runs (retrying or dead) in the last
    OPS_ALERT_TASK_FAILURE_MINUTES; the episode ends when the failures fall below that."""
    least = settings.OPS_ALERT_TASK_FAILURES
    window = _minutes("OPS_ALERT_TASK_FAILURE_MINUTES")
    rows = (
        JobRun.objects.filter(
            finished_at__gt=now - window, finished_at__lte=now, state__in=[JobRun.State.RETRYING, JobRun.State.DEAD]
        )
        .values("task")
        .annotate(failures=Count("id"), dead=Count("id", filter=Q(state=JobRun.State.DEAD)), last=Max("finished_at"))
        .filter(failures__gte=least)
    )
    return {
        row["task"]: Problem(
            title=f"Task {row['task'].removeprefix('ifixit.')} failing repeatedly",
            details=f"{row['failures']} failed runs in the last {_for_minutes(window)} ({row['dead']} failed for good).",
            link=f"{reverse('job_runs')}?{urlencode({'task': row['task']})}",
        )
        for row in rows
    }


def schedules_missed(now: datetime.datetime) -> dict[str, Problem]:
    """Enabled beat schedules whose next run is OPS_ALERT_SCHEDULE_LATE_MINUTES overdue (more
    than the pages' "missed": beat writes its last runs to the database only every few minutes,
    so a minute's schedule can look a little late without being so)."""
    late = max(_minutes("OPS_ALERT_SCHEDULE_LATE_MINUTES"), selectors.MISSED_AFTER)
    return {
        schedule.name: Problem(
            title=f"Schedule “{schedule.name}” missed its run",
            details=f"Due {_for_minutes(now - schedule.next_run)} ago ({schedule.task}).",
            link=f"{reverse('jobs_overview')}#schedules",
        )
        for schedule in selectors.schedules(now=now)
        if schedule.enabled and schedule.next_run and now - schedule.next_run >= late
    }


CONDITIONS: dict[str, Callable[[datetime.datetime], dict[str, Problem]]] = {
    OpsAlert.Kind.FEED_DOWN: feeds_down,
    OpsAlert.Kind.BACKLOG: work_waiting,
    OpsAlert.Kind.TASK_FAILING: tasks_failing,
    OpsAlert.Kind.SCHEDULE_MISSED: schedules_missed,
}


# --- Episodes ---------------------------------------------------------------------------------


def open_alerts() -> QuerySet[OpsAlert]:
    return OpsAlert.objects.filter(closed_at__isnull=True).order_by("opened_at", "id")


def admins() -> QuerySet[User]:
    """Who is told: every active group admin (as `roles.is_group_admin` says), nobody else."""
    return User.objects.filter(is_active=True).filter(Q(role=roles.ADMIN) | Q(is_superuser=True)).order_by("pk")


@dataclass
class CheckResult:
    opened: list[OpsAlert] = field(default_factory=list)
    closed: list[OpsAlert] = field(default_factory=list)
    still_open: int = 0


def ops_alerts_check(*, now: datetime.datetime | None = None) -> CheckResult:
    """Open an episode for each newly failing subject and close those that recovered, telling
    the admins once each time. Safe to run twice at once: see `_open` and `_close`."""
    now = now or timezone.now()
    failing = {
        (kind, subject): problem
        for kind, condition in CONDITIONS.items()
        for subject, problem in condition(now).items()
    }
    current = {(alert.kind, alert.subject): alert for alert in open_alerts()}
    result = CheckResult()
    lasting = [alert.pk for key, alert in current.items() if key in failing]
    if lasting:
        result.still_open = OpsAlert.objects.filter(pk__in=lasting, closed_at__isnull=True).update(last_seen_at=now)
    recipients = None
    for key in sorted(failing.keys() - current.keys()):
        recipients = recipients if recipients is not None else list(admins())
        alert = _open(kind=key[0], subject=key[1], problem=failing[key], now=now, recipients=recipients)
        if alert is not None:
            result.opened.append(alert)
    for key in sorted(current.keys() - failing.keys()):
        recipients = recipients if recipients is not None else list(admins())
        if _close(alert=current[key], now=now, recipients=recipients):
            result.closed.append(current[key])
    return result


@transaction.atomic
def _open(
    *, kind: str, subject: str, problem: Problem, now: datetime.datetime, recipients: list[User]
) -> OpsAlert | None:
    """The episode and its notifications commit together or not at all. A twin check opening
    the same episode meets the unique constraint on open episodes (on PostgreSQL it waits for
    the first to commit): it gets None and sends nothing."""
    try:
        with transaction.atomic():
            alert = OpsAlert.objects.create(
                kind=kind,
                subject=subject,
                title=problem.title[:200],
                details=problem.details[:500],
                link=problem.link[:300],
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        return None
    notify_many(
        recipients=recipients,
        kind=NOTIFICATION_KIND,
        title=alert.title,
        body=alert.details,
        link=alert.link,
        dedupe_key=f"ops-alert:{alert.pk}:opened",
    )
    return alert


@transaction.atomic
def _close(*, alert: OpsAlert, now: datetime.datetime, recipients: list[User]) -> bool:
    """Closed by a conditional update: of two checks closing the same episode, one updates the
    row and sends the all-clear, the other updates nothing and sends nothing."""
    if not OpsAlert.objects.filter(pk=alert.pk, closed_at__isnull=True).update(closed_at=now, last_seen_at=now):
        return False
    alert.closed_at = now
    notify_many(
        recipients=recipients,
        kind=NOTIFICATION_KIND,
        title=f"Resolved: {alert.title}"[:200],
        body=f"All clear after {_for_minutes(now - alert.opened_at)}.",
        link=alert.link,
        dedupe_key=f"ops-alert:{alert.pk}:cleared",
    )
    return True
