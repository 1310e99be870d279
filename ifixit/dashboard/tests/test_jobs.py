"""The job pages and the job API: admins only, a fixed number of queries however long the
history, the figures from the recorded runs, dead letters retried once or discarded with a
reason, and nothing secret or personal on show."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ifixit.accounts import roles
from ifixit.jobs.models import JobRun, OutboxMessage
from ifixit.testing.factories import UserFactory


def make_run(task="ifixit.reports.tasks.execute_run", state="succeeded", runtime_ms=100, minutes_ago=5, **extra) -> JobRun:
    finished = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return JobRun.objects.create(
        task_id=extra.pop("task_id", f"t-{JobRun.objects.count()}"), task=task, state=state, runtime_ms=runtime_ms,
        started_at=finished - datetime.timedelta(milliseconds=runtime_ms), finished_at=finished, worker="worker@a", **extra,
    )


@pytest.fixture
def dead(db):
    return make_run(
        task="ifixit.notifications.tasks.deliver", state="dead", attempt=6, about="reports.run:7",
        error="SMTPServerDisconnected: [redacted] hung up", args=[41, "Dear Jo Bloggs, your car"], kwargs={"api_token": "s3cret"},
    )


def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


PAGES = [("jobs_overview", []), ("job_runs", []), ("job_run_detail", ["dead"])]


@pytest.mark.parametrize("role", [roles.MANAGER, roles.BUYER, roles.SALES, roles.WORKSHOP])
@pytest.mark.parametrize("name,args", PAGES)
def test_only_admins_see_the_job_pages(client, dead, role, name, args):
    url = reverse(name, args=[dead.pk if a == "dead" else a for a in args])
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(UserFactory(role=role))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", [roles.MANAGER, roles.BUYER])
def test_only_admins_act_on_dead_letters(client, api_for, dead, role):
    user = UserFactory(role=role)
    client.force_login(user)
    assert client.post(reverse("job_run_action", args=[dead.pk, "retry"])).status_code == 403
    for path in ("/api/v1/ops/jobs/runs/", f"/api/v1/ops/jobs/runs/{dead.pk}/", "/api/v1/ops/jobs/tasks/", "/api/v1/ops/jobs/schedules/"):
        assert api_for(user).get(path).status_code == 403
    assert api_for(user).post(f"/api/v1/ops/jobs/runs/{dead.pk}/retry/").status_code == 403
    dead.refresh_from_db()
    assert dead.is_dead_letter


def test_the_api_asks_for_credentials(anon, dead, assert_unauthenticated):
    assert_unauthenticated(anon.get("/api/v1/ops/jobs/runs/"))
    assert_unauthenticated(anon.post(f"/api/v1/ops/jobs/runs/{dead.pk}/retry/"))


def test_the_overview_gives_each_tasks_figures_and_marks_a_missed_schedule(client, admin_user, db):
    for ms in (10, 20, 30, 40, 1000):
        make_run(runtime_ms=ms)
    make_run(state="dead", runtime_ms=50, error="ValueError: bad")
    make_run(state="retrying", runtime_ms=5)
    make_run(task="ifixit.auctions.tasks.match_lot_changes", weight=10, runtime_ms=3)  # one sampled row for ten runs
    make_run(minutes_ago=120)  # outside the last hour
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="late one", task="ifixit.jobs.tasks.sample_queues", interval=every_minute,
                                last_run_at=timezone.now() - datetime.timedelta(minutes=10))
    PeriodicTask.objects.create(name="on time", task="ifixit.jobs.tasks.sample_queues", interval=every_minute,
                                last_run_at=timezone.now() - datetime.timedelta(seconds=20))
    response = admin_client(client, admin_user).get(reverse("jobs_overview"))
    assert response.status_code == 200
    stats = {s.task: s for s in response.context["stats"]}
    reports = stats["ifixit.reports.tasks.execute_run"]
    assert (reports.runs, reports.failures, reports.retries) == (6, 1, 1)
    assert (reports.p50_ms, reports.p95_ms) == (30, 1000)
    assert stats["ifixit.auctions.tasks.match_lot_changes"].runs == 10
    schedules = {s.name: s for s in response.context["schedules"]}
    assert schedules["late one"].missed and not schedules["on time"].missed
    body = response.content.decode()
    assert "missed" in body and 'data-testid="runs-chart"' in body
    day = client.get(reverse("jobs_overview"), {"window": "day"})
    assert {s.task: s for s in day.context["stats"]}["ifixit.reports.tasks.execute_run"].runs == 7


def test_the_live_part_is_a_fragment_for_htmx(client, admin_user, htmx, db):
    OutboxMessage.objects.create(task="ifixit.jobs.tasks.sample_queues", created_at=timezone.now() - datetime.timedelta(minutes=3))
    response = admin_client(client, admin_user).get(reverse("jobs_overview"), {"part": "live"}, **htmx)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'data-testid="outbox"' in body and ">1<" in body  # one job waits to be published
    assert 'hx-trigger="every 5s"' in body


def test_the_job_pages_run_a_fixed_number_of_queries(client, admin_user, dead):
    admin_client(client, admin_user)

    def queries(name, args=()):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name, args=args)).status_code == 200
        return len(ctx)

    before = {name: queries(name) for name in ("jobs_overview", "job_runs")}
    for i in range(40):
        make_run(task=f"ifixit.tasks.t{i % 7}", state="dead" if i % 5 == 0 else "succeeded", resolved_by=None)
    assert {name: queries(name) for name in ("jobs_overview", "job_runs")} == before


def test_a_dead_letter_is_shown_without_secrets_or_customer_text(client, admin_user, dead):
    body = admin_client(client, admin_user).get(reverse("job_run_detail", args=[dead.pk])).content.decode()
    assert "Dear Jo Bloggs" not in body and "s3cret" not in body
    assert "41" in body and "text, 24 characters" in body
    assert 'href="/reports/runs/7/"' in body  # what the job concerned, linked
    assert "Retry now" in body


def test_retry_now_queues_it_once_through_the_outbox(client, admin_user, dead):
    admin_client(client, admin_user)
    response = client.post(reverse("job_run_action", args=[dead.pk, "retry"]))
    assert response.status_code == 302
    dead.refresh_from_db()
    message = OutboxMessage.objects.get()
    assert dead.resolution == "retried" and dead.resolved_by == admin_user and dead.retried_as == message.pk
    assert (message.task, message.args, message.kwargs, message.about) == (dead.task, dead.args, dead.kwargs, dead.about)
    client.post(reverse("job_run_action", args=[dead.pk, "retry"]))  # a second click
    assert OutboxMessage.objects.count() == 1


def test_discard_needs_a_reason(client, admin_user, dead):
    admin_client(client, admin_user)
    client.post(reverse("job_run_action", args=[dead.pk, "discard"]), {"note": "  "})
    dead.refresh_from_db()
    assert dead.is_dead_letter
    client.post(reverse("job_run_action", args=[dead.pk, "discard"]), {"note": "Customer already told by phone"})
    dead.refresh_from_db()
    assert (dead.resolution, dead.resolution_note, dead.resolved_by) == ("discarded", "Customer already told by phone", admin_user)


def test_the_api_lists_dead_letters_and_retries_and_discards_them(admin_api, dead):
    make_run()
    listed = admin_api.get("/api/v1/ops/jobs/runs/", {"state": "dead", "unresolved": "true"}).json()
    assert [r["id"] for r in listed["results"]] == [dead.pk] and listed["results"][0]["about_url"] == "/reports/runs/7/"
    detail = admin_api.get(f"/api/v1/ops/jobs/runs/{dead.pk}/").json()
    assert detail["args"] == [41, "‹text, 24 characters›"] and detail["kwargs"] == {"api_token": "[redacted]"}
    retried = admin_api.post(f"/api/v1/ops/jobs/runs/{dead.pk}/retry/")
    assert retried.status_code == 200 and retried.json()["resolution"] == "retried"
    again = admin_api.post(f"/api/v1/ops/jobs/runs/{dead.pk}/retry/")
    assert again.status_code == 409
    other = make_run(state="dead")
    assert admin_api.post(f"/api/v1/ops/jobs/runs/{other.pk}/discard/", {}, format="json").status_code == 400
    discarded = admin_api.post(f"/api/v1/ops/jobs/runs/{other.pk}/discard/", {"note": "duplicate"}, format="json")
    assert discarded.status_code == 200 and discarded.json()["resolution_note"] == "duplicate"
    assert admin_api.post("/api/v1/ops/jobs/runs/999999/retry/").status_code == 404
    succeeded = make_run()
    assert admin_api.post(f"/api/v1/ops/jobs/runs/{succeeded.pk}/retry/").status_code == 409


def test_the_api_gives_task_figures_and_schedules(admin_api, db):
    make_run(runtime_ms=7)
    make_run(state="dead", runtime_ms=9)
    [row] = admin_api.get("/api/v1/ops/jobs/tasks/", {"window": "day"}).json()
    assert (row["runs"], row["failures"], row["failure_rate"]) == (2, 1, 0.5)
    assert admin_api.get("/api/v1/ops/jobs/tasks/", {"window": "year"}).status_code == 400
    assert admin_api.get("/api/v1/ops/jobs/schedules/").status_code == 200
