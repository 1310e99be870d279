"""The job system with real processes: a worker, the outbox relay, and a writer killed at the
outbox's worst moments; a failing job retried or dead-lettered, then run again by an admin."""

import subprocess
import sys
import uuid

import pytest

from ifixit.celery import app as celery_app
from ifixit.dashboard.models import JobProbe
from ifixit.jobs import outbox, services
from ifixit.jobs.models import JobRun, OutboxMessage
from ifixit.testing.processes import ROOT, process_env, start_relay, start_worker, wait_for
from ifixit.testing.tasks import flaky, runs_of

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def job_system(django_db_setup, django_db_blocker, tmp_path_factory):
    logs = tmp_path_factory.mktemp("jobs")
    with django_db_blocker.unblock():
        env = process_env()
    celery_app.control.purge()  # other tests' messages, queued with no worker, are not ours to run
    procs = {}
    try:
        procs["worker"] = start_worker("jobs-worker", logs, env, include="ifixit.testing.tasks")
        procs["relay"] = start_relay(logs, env)
        yield {"env": env, **procs}
    finally:
        for proc in procs.values():
            proc.kill()


def crash(mode: str, env: dict) -> str:
    """Run a writer that queues a job probe and is SIGKILLed at `mode`; the probe's id."""
    done = subprocess.run(
        [sys.executable, "-m", "ifixit.testing.outbox_crash", mode], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -9, (done.returncode, done.stdout, done.stderr)  # it really was killed
    return done.stdout.split()[0]


def probe_runs(probe_id: str) -> int:
    return JobProbe.objects.filter(pk=probe_id, finished_at__isnull=False).values_list("runs", flat=True).first() or 0


def test_a_writer_killed_between_commit_and_publish_loses_nothing(job_system):
    probe_id = crash("before-publish", job_system["env"])
    message = OutboxMessage.objects.get(args=[probe_id])
    assert message.published_at is None  # committed with the probe, never published by its writer
    wait_for(lambda: probe_runs(probe_id), 60, "the relay to publish it and the worker to run it")
    message.refresh_from_db()
    assert message.published_at is not None
    assert probe_runs(probe_id) == 1
    assert list(JobRun.objects.filter(task_id=str(message.pk)).values_list("state", flat=True)) == ["succeeded"]


def test_a_message_published_twice_runs_once(job_system):
    probe_id = crash("after-publish", job_system["env"])  # the broker has it; the claim was rolled back
    message = OutboxMessage.objects.get(args=[probe_id])
    wait_for(lambda: JobRun.objects.filter(task_id=str(message.pk)).count() == 2, 60, "both deliveries to reach the worker")
    states = sorted(JobRun.objects.filter(task_id=str(message.pk)).values_list("state", flat=True))
    assert states == ["skipped", "succeeded"]
    assert probe_runs(probe_id) == 1  # the probe counts every delivery that started it


def test_a_transient_failure_is_retried_with_backoff_until_it_works(job_system):
    key = uuid.uuid4().hex
    message = outbox.enqueue(flaky, [key, 2, "transient"])
    wait_for(lambda: JobRun.objects.filter(task_id=str(message.pk), state="succeeded").exists(), 60, "the third attempt")
    attempts = list(JobRun.objects.filter(task_id=str(message.pk)).order_by("attempt").values_list("attempt", "state"))
    assert attempts == [(1, "retrying"), (2, "retrying"), (3, "succeeded")]
    assert runs_of(key) == 3


def test_a_job_failing_after_its_retries_is_a_dead_letter_and_retry_now_runs_it_once(job_system, admin_user):
    key = uuid.uuid4().hex
    message = outbox.enqueue(flaky, [key, 3, "transient"])  # fails 3 times; max_retries=2 allows 3 attempts
    dead = wait_for(lambda: JobRun.objects.filter(task_id=str(message.pk), state="dead").first(), 60, "the dead letter")
    assert dead.attempt == 3 and dead.is_dead_letter
    assert dead.args == [key, 3, "transient"]  # kept to be run again
    assert "hunter2" not in dead.error + dead.traceback and "jo@example.com" not in dead.error + dead.traceback
    assert "SMTPServerDisconnected" in dead.error

    services.dead_letter_retry(user=admin_user, run_id=dead.pk)
    dead.refresh_from_db()
    assert dead.resolution == "retried" and dead.resolved_by == admin_user and dead.retried_as
    wait_for(lambda: JobRun.objects.filter(task_id=str(dead.retried_as), state="succeeded").exists(), 60, "the retry")
    assert runs_of(key) == 4  # three failures and the one retry
    assert JobRun.objects.filter(task_id=str(dead.retried_as)).count() == 1


def test_a_permanent_failure_is_not_retried(job_system):
    key = uuid.uuid4().hex
    message = outbox.enqueue(flaky, [key, 1, "permanent"])
    dead = wait_for(lambda: JobRun.objects.filter(task_id=str(message.pk), state="dead").first(), 60, "the dead letter")
    assert dead.attempt == 1 and runs_of(key) == 1
    assert "ValueError" in dead.error and "jo@example.com" not in dead.error and "abcdefghijklmnop" not in dead.error
