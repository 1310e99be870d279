"""Reads for the job pages and the job API: what runs now, how each task has done, the dead
letters, the workers, the beat schedules and the queue over time. Every read here is a fixed
number of queries whatever the history holds (the statistics are one query over the window,
summarised in Python)."""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, QuerySet
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ifixit.celery import app as celery_app
from ifixit.jobs import outbox
from ifixit.jobs.models import JobRun, QueueSample

WINDOWS = {"hour": datetime.timedelta(hours=1), "day": datetime.timedelta(days=1)}
# A schedule is missed once its next run is this late (beat checks every few seconds; a worker
# may be busy for a minute).
MISSED_AFTER = datetime.timedelta(minutes=2)


def runs(*, state: str | None = None, task: str | None = None, unresolved: bool = False) -> QuerySet[JobRun]:
    rows = JobRun.objects.select_related("resolved_by").order_by("-finished_at", "-id")
    if state:
        rows = rows.filter(state=state)
    if task:
        rows = rows.filter(task=task)
    if unresolved:
        rows = rows.filter(resolution="")
    return rows


def dead_letters() -> QuerySet[JobRun]:
    return runs(state=JobRun.State.DEAD, unresolved=True)


def attempts_of(run: JobRun) -> QuerySet[JobRun]:
    """Every recorded attempt of the same job, first to last."""
    return JobRun.objects.filter(task_id=run.task_id).order_by("attempt", "finished_at")


def percentile(sorted_values: list[int], share: float) -> int | None:
    """The nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class TaskStats:
    task: str
    runs: int = 0
    failures: int = 0
    retries: int = 0
    runtimes: list[int] = field(default_factory=list, repr=False)
    last_finished: datetime.datetime | None = None

    @property
    def short_name(self) -> str:
        return self.task.removeprefix("ifixit.")

    @property
    def failure_rate(self) -> float:
        return self.failures / self.runs if self.runs else 0.0

    @property
    def p50_ms(self) -> int | None:
        return percentile(self.runtimes, 0.50)

    @property
    def p95_ms(self) -> int | None:
        return percentile(self.runtimes, 0.95)


def task_stats(*, window: str = "hour", now: datetime.datetime | None = None) -> list[TaskStats]:
    """Per task over the last hour or day: runs (sampled successes count their weight), runs
    that failed for good, attempts that will be retried, and runtime percentiles. Skipped
    duplicates are not runs."""
    since = (now or timezone.now()) - WINDOWS[window]
    rows = (
        JobRun.objects.filter(finished_at__gte=since)
        .exclude(state=JobRun.State.SKIPPED)
        .values_list("task", "state", "weight", "runtime_ms", "finished_at")
    )
    stats: dict[str, TaskStats] = {}
    for task, state, weight, runtime_ms, finished_at in rows.iterator(chunk_size=5000):
        entry = stats.get(task) or stats.setdefault(task, TaskStats(task))
        if state == JobRun.State.RETRYING:
            entry.retries += 1
            continue
        entry.runs += weight
        entry.failures += state == JobRun.State.DEAD
        entry.runtimes.append(runtime_ms)
        if entry.last_finished is None or finished_at > entry.last_finished:
            entry.last_finished = finished_at
    for entry in stats.values():
        entry.runtimes.sort()
    return sorted(stats.values(), key=lambda s: (-s.failures, -s.runs, s.task))


@dataclass
class HourBar:
    start: datetime.datetime
    succeeded: int
    failed: int


def hourly_runs(*, hours: int = 24, task: str | None = None, now: datetime.datetime | None = None) -> list[HourBar]:
    """Runs per hour for the chart, oldest first, empty hours included."""
    now = now or timezone.now()
    first = (now - datetime.timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    rows = JobRun.objects.filter(finished_at__gte=first).exclude(state__in=[JobRun.State.SKIPPED, JobRun.State.RETRYING])
    if task:
        rows = rows.filter(task=task)
    counts: dict[datetime.datetime, list[int]] = defaultdict(lambda: [0, 0])
    for state, weight, finished_at in rows.values_list("state", "weight", "finished_at").iterator(chunk_size=5000):
        hour = finished_at.replace(minute=0, second=0, microsecond=0)
        counts[hour][state == JobRun.State.DEAD] += weight if state == JobRun.State.SUCCEEDED else 1
    return [HourBar(first + datetime.timedelta(hours=i), *counts[first + datetime.timedelta(hours=i)]) for i in range(hours)]


def queue_depth_history(*, hours: int = 24, now: datetime.datetime | None = None) -> list[QueueSample]:
    since = (now or timezone.now()) - datetime.timedelta(hours=hours)
    return list(QueueSample.objects.filter(taken_at__gte=since).order_by("taken_at"))


def queue_length(queue: str = "celery") -> int | None:
    """Messages waiting in the broker's queue; None if the broker is not Redis or not there."""
    try:
        with celery_app.connection_for_write() as conn:
            return conn.default_channel.client.llen(queue)
    except Exception:
        return None


@dataclass
class LiveJob:
    worker: str
    state: str  # running, reserved (taken, waiting for a free slot) or scheduled (an ETA)
    task: str
    task_id: str
    started: datetime.datetime | None = None
    eta: str = ""


@dataclass
class Worker:
    name: str
    answering: bool
    last_seen: datetime.datetime | None
    running: list[LiveJob] = field(default_factory=list)
    concurrency: int | None = None


@dataclass
class Live:
    jobs: list[LiveJob]
    workers: list[Worker]
    queued: int | None
    outbox_backlog: int
    outbox_oldest: datetime.datetime | None
    broker_answered: bool


def live(*, timeout: float = 1.0) -> Live:
    """What runs now, asked of the workers through the broker: a ping finds who answers, then
    each question (active, reserved, scheduled, stats) returns as soon as all of them have
    replied; with each worker's last recorded run."""
    answered = True
    active = reserved = scheduled = stats = {}
    try:
        answering = [name for reply in celery_app.control.ping(timeout=timeout / 2) or [] for name in reply]
        if answering:
            inspect = celery_app.control.inspect(destination=answering, timeout=timeout, limit=len(answering))
            active = inspect.active() or {}
            reserved = inspect.reserved() or {}
            scheduled = inspect.scheduled() or {}
            stats = inspect.stats() or {}
    except Exception:  # the broker is down: say so, show what the database knows
        answered = False
    jobs = []
    for worker, entries in active.items():
        for entry in entries:
            started = entry.get("time_start")
            jobs.append(
                LiveJob(
                    worker,
                    "running",
                    entry.get("name", ""),
                    entry.get("id", ""),
                    started=_from_monotonic(started),
                )
            )
    for worker, entries in reserved.items():
        jobs.extend(LiveJob(worker, "reserved", e.get("name", ""), e.get("id", "")) for e in entries)
    for worker, entries in scheduled.items():
        for e in entries:
            request = e.get("request", {})
            jobs.append(LiveJob(worker, "scheduled", request.get("name", ""), request.get("id", ""), eta=e.get("eta", "")))
    last_seen = dict(
        JobRun.objects.filter(finished_at__gte=timezone.now() - datetime.timedelta(days=1))
        .values_list("worker")
        .annotate(last=Max("finished_at"))
        .values_list("worker", "last")
    )
    names = sorted(set(stats) | set(active) | {w for w in last_seen if w})
    workers = []
    for name in names:
        pool = (stats.get(name) or {}).get("pool") or {}
        workers.append(
            Worker(
                name=name,
                answering=name in stats,
                last_seen=timezone.now() if name in stats else last_seen.get(name),
                running=[j for j in jobs if j.worker == name and j.state == "running"],
                concurrency=pool.get("max-concurrency"),
            )
        )
    backlog, oldest = outbox.backlog()
    return Live(jobs, workers, queue_length() if answered else None, backlog, oldest, answered)


def _from_monotonic(value) -> datetime.datetime | None:
    """Celery reports a running task's start as time.time() of the worker's host."""
    if not value:
        return None
    try:
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass
class Schedule:
    name: str
    task: str
    enabled: bool
    every: datetime.timedelta | None
    last_run: datetime.datetime | None
    next_run: datetime.datetime | None
    missed: bool
    total_runs: int


def schedules(*, now: datetime.datetime | None = None) -> list[Schedule]:
    """Every beat schedule with its last run and when the next is due; one whose next run is
    more than a couple of minutes overdue is missed (beat down, or the schedule stuck)."""
    now = now or timezone.now()
    result = []
    for task in PeriodicTask.objects.select_related("interval", "crontab").order_by("name"):
        every = task.interval.schedule.run_every if task.interval else None
        if task.last_run_at and every:
            next_run = task.last_run_at + every
        elif every:
            next_run = (task.start_time or task.date_changed) + every if (task.start_time or task.date_changed) else None
        else:
            next_run = None
        if next_run is None and task.crontab:
            remaining = task.crontab.schedule.remaining_estimate(task.last_run_at or now)
            next_run = now + remaining
        missed = bool(task.enabled and next_run and now - next_run > MISSED_AFTER)
        result.append(Schedule(task.name, task.task, task.enabled, every, task.last_run_at, next_run, missed, task.total_run_count))
    return result


def dead_letter_count() -> int:
    return JobRun.objects.filter(state=JobRun.State.DEAD, resolution="").count()

