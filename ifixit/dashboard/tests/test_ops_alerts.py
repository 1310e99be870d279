"""Operations alerts: each condition (feed down, work waiting in the outbox or the queue, a task
failing repeatedly, a missed schedule) opens one episode and tells each admin once, says nothing
more while it lasts, sends one all-clear when it ends and alerts again at the next episode; the
jobs overview and the job API show the open ones to admins only; the check's queries do not
grow with the number of sources, tasks and schedules."""

import datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ifixit.accounts import roles
from ifixit.auctions.models import AuctionSource, FeedHealth
from ifixit.dashboard import ops_alerts
from ifixit.dashboard.models import OpsAlert
from ifixit.dashboard.tasks import check_ops_alerts
from ifixit.jobs.models import JobRun, OutboxMessage, QueueSample
from ifixit.notifications.models import Delivery, Notification
from ifixit.schedules import SCHEDULES
from ifixit.testing.factories import UserFactory

# The checks run hours in the past: the outbox messages that the alerts' own emails write (at the
# real time, and never published in a test) are then younger than the check's "now".
T0 = timezone.now() - datetime.timedelta(hours=3)
MINUTE = datetime.timedelta(minutes=1)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def people(admin_user, manager, sales_user):
    """Two admins (one a superuser), and a location manager and a salesperson who are never told."""
    return {"admins": [admin_user, UserFactory(username="abe", role=roles.ADMIN)], "others": [manager, sales_user]}


def told(people) -> dict[str, list[str]]:
    """username -> titles of the operations notifications they got, oldest first."""
    seen = {u.username: [] for group in people.values() for u in group}
    for username, title in (
        Notification.objects.filter(kind="operations").order_by("id").values_list("recipient__username", "title")
    ):
        seen[username].append(title)
    return seen


# --- Each condition, put into and out of its failing state with real rows ----------------------


def source(name="Copart UK", **extra) -> AuctionSource:
    found, _ = AuctionSource.objects.get_or_create(
        name=name, defaults={"url": "http://127.0.0.1:1", "created_at": T0 - datetime.timedelta(days=1), **extra}
    )
    return found


def feed_silent(t):
    FeedHealth.objects.update_or_create(
        source=source(), defaults={"state": FeedHealth.State.BACKING_OFF, "last_message_at": t - minutes(10)}
    )


def feed_back(t):
    FeedHealth.objects.filter(source=source()).update(state=FeedHealth.State.LIVE, last_message_at=t)


def outbox_stuck(t):
    OutboxMessage.objects.create(
        task="ifixit.reports.tasks.execute_run", created_at=t - minutes(15), available_at=t - minutes(15)
    )


def outbox_relayed(t):
    OutboxMessage.objects.filter(published_at__isnull=True).update(published_at=t)


def queue_full(t):
    QueueSample.objects.bulk_create(
        QueueSample(taken_at=t - minutes(i), queued=40 + i, outbox_backlog=0) for i in range(12)
    )


def queue_drained(t):
    QueueSample.objects.create(taken_at=t, queued=0, outbox_backlog=0)


def task_failing(t):
    for i, state in enumerate(["retrying", "retrying", "dead"]):
        finished = t - minutes(3 - i)
        JobRun.objects.create(
            task_id=f"deliver-{t.timestamp()}",
            task="ifixit.notifications.tasks.deliver",
            state=state,
            attempt=i + 1,
            runtime_ms=30,
            started_at=finished,
            finished_at=finished,
            error="SMTPServerDisconnected",
        )


def task_quiet(t):
    """Nothing to do: the failures age out of the window (the check runs 20 minutes on)."""


def schedule(name="scheduled reports") -> PeriodicTask:
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    found, _ = PeriodicTask.objects.get_or_create(
        name=name, defaults={"task": "ifixit.reports.tasks.queue_due_reports", "interval": every_minute}
    )
    return found


def schedule_late(t):
    PeriodicTask.objects.filter(pk=schedule().pk).update(last_run_at=t - minutes(10))


def schedule_ran(t):
    PeriodicTask.objects.filter(pk=schedule().pk).update(last_run_at=t - datetime.timedelta(seconds=30))


CONDITIONS = {
    "feed down": (feed_silent, feed_back, OpsAlert.Kind.FEED_DOWN, "Feed “Copart UK” down", "/ops/"),
    "outbox backlog": (outbox_stuck, outbox_relayed, OpsAlert.Kind.BACKLOG, "Outbox backlog", "/ops/jobs/"),
    "queue backlog": (queue_full, queue_drained, OpsAlert.Kind.BACKLOG, "Queue “celery” backlog", "/ops/jobs/"),
    "task failing": (
        task_failing,
        task_quiet,
        OpsAlert.Kind.TASK_FAILING,
        "Task notifications.tasks.deliver failing repeatedly",
        "/ops/jobs/runs/?task=ifixit.notifications.tasks.deliver",
    ),
    "schedule missed": (
        schedule_late,
        schedule_ran,
        OpsAlert.Kind.SCHEDULE_MISSED,
        "Schedule “scheduled reports” missed its run",
        "/ops/jobs/#schedules",
    ),
}


@pytest.mark.parametrize("condition", CONDITIONS)
def test_it_alerts_the_admins_once_per_episode_with_the_all_clear(people, condition):
    fail, recover, kind, title, link = CONDITIONS[condition]
    fail(T0)
    result = ops_alerts.ops_alerts_check(now=T0)
    assert [(a.kind, a.title) for a in result.opened] == [(kind, title)]
    episode = OpsAlert.objects.get()
    assert (episode.opened_at, episode.closed_at, episode.link) == (T0, None, link)
    assert told(people) == {"ada": [title], "abe": [title], "nina": [], "sal": []}
    # In-app and by email, for each admin.
    assert Delivery.objects.filter(notification__kind="operations", channel="email").count() == 2
    assert set(Notification.objects.filter(kind="operations").values_list("link", "in_app")) == {(link, True)}

    for later in (T0 + MINUTE, T0 + minutes(2)):  # while it lasts: nothing more
        assert ops_alerts.ops_alerts_check(now=later).opened == []
    episode.refresh_from_db()
    assert episode.last_seen_at == T0 + minutes(2) and episode.closed_at is None
    assert told(people)["ada"] == [title]

    ended = T0 + minutes(20)
    recover(ended)
    result = ops_alerts.ops_alerts_check(now=ended)
    assert [a.pk for a in result.closed] == [episode.pk]
    episode.refresh_from_db()
    assert episode.closed_at == ended
    assert told(people) == {
        "ada": [title, f"Resolved: {title}"],
        "abe": [title, f"Resolved: {title}"],
        "nina": [],
        "sal": [],
    }
    assert ops_alerts.ops_alerts_check(now=ended + MINUTE).closed == []  # one all-clear, not one a minute

    again = T0 + minutes(60)
    fail(again)
    assert len(ops_alerts.ops_alerts_check(now=again).opened) == 1
    assert OpsAlert.objects.count() == 2 and OpsAlert.objects.filter(closed_at__isnull=True).count() == 1
    assert told(people)["abe"] == [title, f"Resolved: {title}", title]


def test_a_feed_is_down_only_when_enabled_unpaused_and_silent_for_the_setting(people, settings):
    feed_silent(T0)
    quiet = source("Paused one", paused=True)
    FeedHealth.objects.create(source=quiet, state=FeedHealth.State.PAUSED, last_message_at=T0 - minutes(60))
    source("Switched off", enabled=False)  # never sent anything, added a day ago
    FeedHealth.objects.create(source=source("Live one"), state=FeedHealth.State.LIVE, last_message_at=T0 - MINUTE)
    settings.OPS_ALERT_FEED_DOWN_MINUTES = 30
    assert ops_alerts.feeds_down(T0) == {}
    settings.OPS_ALERT_FEED_DOWN_MINUTES = 5
    assert list(ops_alerts.feeds_down(T0)) == [f"source:{source().pk}"]
    assert "No message for 10 minutes" in ops_alerts.feeds_down(T0)[f"source:{source().pk}"].details


def test_a_queue_emptied_in_between_is_not_a_backlog(db):
    queue_full(T0)
    QueueSample.objects.create(taken_at=T0 - minutes(4), queued=0)  # it was empty four minutes ago
    QueueSample.objects.create(taken_at=T0 - minutes(2), queued=None)  # the broker did not answer: no evidence
    assert ops_alerts.work_waiting(T0) == {}
    assert "queue:celery" in ops_alerts.work_waiting(T0 + minutes(7))  # busy since T0-3, ten minutes on


def test_two_failures_are_not_repeated_failure(db):
    task_failing(T0)
    JobRun.objects.filter(state="retrying").first().delete()
    assert ops_alerts.tasks_failing(T0) == {}


def test_only_one_episode_of_a_subject_can_be_open(db):
    OpsAlert.objects.create(kind="feed_down", subject="source:1", title="Feed down", opened_at=T0, last_seen_at=T0)
    OpsAlert.objects.create(
        kind="feed_down", subject="source:1", title="Feed down", opened_at=T0, last_seen_at=T0, closed_at=T0
    )
    with pytest.raises(IntegrityError):
        OpsAlert.objects.create(kind="feed_down", subject="source:1", title="Feed down", opened_at=T0, last_seen_at=T0)


def test_the_check_runs_a_fixed_number_of_queries_however_many_subjects(people):
    def failing_world(n: int, t):
        for i in range(n):
            FeedHealth.objects.create(
                source=source(f"Source {n}-{i}"), state=FeedHealth.State.FAILING, last_message_at=t - minutes(30)
            )
            FeedHealth.objects.create(source=source(f"Healthy {n}-{i}"), state=FeedHealth.State.LIVE, last_message_at=t)
            for attempt in range(3):
                JobRun.objects.create(
                    task_id=f"{n}-{i}-{attempt}",
                    task=f"ifixit.tasks.t{n}_{i}",
                    state="dead",
                    runtime_ms=1,
                    started_at=t - MINUTE,
                    finished_at=t - MINUTE,
                )
            PeriodicTask.objects.filter(pk=schedule(f"schedule {n}-{i}").pk).update(last_run_at=t - minutes(30))

    def queries(t) -> int:
        with CaptureQueriesContext(connection) as ctx:
            result = ops_alerts.ops_alerts_check(now=t)
        assert (
            result.opened == []
            and result.closed == []
            and result.still_open == OpsAlert.objects.filter(closed_at__isnull=True).count()
        )
        return len(ctx)

    failing_world(2, T0)
    assert len(ops_alerts.ops_alerts_check(now=T0).opened) == 6
    few = queries(T0 + MINUTE)
    failing_world(10, T0 + MINUTE)
    assert len(ops_alerts.ops_alerts_check(now=T0 + MINUTE).opened) == 30
    assert queries(T0 + minutes(2)) == few


def test_beat_runs_the_check_every_minute(people):
    assert any(s.task == "ifixit.dashboard.tasks.check_ops_alerts" and s.seconds == 60 for s in SCHEDULES)
    feed_silent(timezone.now())
    assert check_ops_alerts.apply().get() == {"opened": 1, "closed": 0, "still_open": 0}
    assert check_ops_alerts.apply().get() == {"opened": 0, "closed": 0, "still_open": 1}
    assert len(told(people)["ada"]) == 1


# --- The page and the API ---------------------------------------------------------------------


def test_the_overview_lists_the_open_alerts_for_admins(client, people):
    feed_silent(T0)
    ops_alerts.ops_alerts_check(now=T0)
    client.force_login(people["admins"][1])
    response = client.get(reverse("jobs_overview"))
    assert response.status_code == 200
    assert [a.title for a in response.context["open_alerts"]] == ["Feed “Copart UK” down"]
    body = response.content.decode()
    assert 'data-testid="open-alerts"' in body and "Feed “Copart UK” down" in body and 'href="/ops/"' in body
    local = timezone.localtime(T0)
    since = f'since <time datetime="{dateformat.format(local, "c")}">{dateformat.format(local, "j M H:i")}</time>'
    assert since in body

    feed_back(T0 + minutes(20))
    ops_alerts.ops_alerts_check(now=T0 + minutes(20))
    body = client.get(reverse("jobs_overview")).content.decode()
    assert "Feed “Copart UK” down" not in body and "None: no feed down" in body


@pytest.mark.parametrize("role", [roles.MANAGER, roles.SALES, roles.WORKSHOP, roles.BUYER])
def test_non_admins_see_no_alerts(client, api_for, db, role):
    feed_silent(T0)
    ops_alerts.ops_alerts_check(now=T0)
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get(reverse("jobs_overview"))
    assert response.status_code == 403 and "Copart" not in response.content.decode()
    response = api_for(user).get("/api/v1/ops/jobs/alerts/")
    assert response.status_code == 403 and "Copart" not in response.content.decode()


def test_the_api_lists_the_open_alerts(admin_api, anon, assert_unauthenticated, people):
    assert_unauthenticated(anon.get("/api/v1/ops/jobs/alerts/"))
    assert admin_api.get("/api/v1/ops/jobs/alerts/").json() == []
    task_failing(T0)
    ops_alerts.ops_alerts_check(now=T0)
    [alert] = admin_api.get("/api/v1/ops/jobs/alerts/").json()
    assert alert["kind"] == "task_failing" and alert["subject"] == "ifixit.notifications.tasks.deliver"
    assert alert["link"] == "/ops/jobs/runs/?task=ifixit.notifications.tasks.deliver"
    assert alert["details"] == "3 failed runs in the last 15 minutes (1 failed for good)."
    assert admin_api.post("/api/v1/ops/jobs/alerts/").status_code == 405
