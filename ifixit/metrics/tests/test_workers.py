"""/metrics with real Celery workers: two worker processes run a batch of tasks and the scrape
adds up what both recorded; a worker killed mid-task stops counting as running."""

import signal

import pytest

from ifixit.celery import app as celery_app
from ifixit.jobs.models import JobRun
from ifixit.metrics.tests.scraping import scrape, value
from ifixit.metrics.tests.worker_tasks import nap
from ifixit.testing.processes import process_env, start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]

TASK = nap.name
BATCH = 8


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return tmp_path_factory.mktemp("metrics-workers")


@pytest.fixture
def env(django_db_blocker):
    with django_db_blocker.unblock():
        return process_env()


@pytest.fixture
def two_workers(env, logs):
    celery_app.control.purge()  # other tests' messages, queued with no worker, are not ours to run
    workers = []
    try:
        for name in ("metrics-a", "metrics-b"):
            workers.append(start_worker(name, logs, env, include="ifixit.metrics.tests.worker_tasks"))
        yield workers
    finally:
        for worker in workers:
            worker.kill(signal.SIGTERM)  # a warm shutdown: the pool children end as in production


def test_task_series_of_two_workers_are_summed(two_workers):
    before = scrape()
    for _ in range(BATCH):
        nap.delay(0.3)
    runs = JobRun.objects.filter(task=TASK, state="succeeded", finished_at__isnull=False)
    wait_for(lambda: runs.count() >= BATCH, 60, "both workers to run the batch")
    assert {worker.split("@")[0] for worker in runs.values_list("worker", flat=True)} == {"metrics-a", "metrics-b"}
    after = scrape()

    def grown(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grown("ifixit_celery_tasks_total", task=TASK, state="success") == BATCH
    assert grown("ifixit_celery_task_runtime_seconds_count", task=TASK) == BATCH
    assert grown("ifixit_celery_task_runtime_seconds_sum", task=TASK) >= BATCH * 0.3
    assert grown("ifixit_celery_task_failures_total", task=TASK) == 0
    assert value(after, "ifixit_celery_tasks_running", task=TASK) == 0


def test_a_worker_killed_mid_task_no_longer_counts_as_running(env, logs):
    celery_app.control.purge()
    worker = start_worker("metrics-doomed", logs, env, include="ifixit.metrics.tests.worker_tasks")
    try:
        nap.delay(20)
        wait_for(lambda: value(scrape(), "ifixit_celery_tasks_running", task=TASK) == 1, 30, "the task to start")
    finally:
        worker.kill()  # SIGKILL: nothing of it can say it is going
    # A scrape finds the dead process's files and marks them dead (ifixit.metrics.processes).
    wait_for(
        lambda: value(scrape(), "ifixit_celery_tasks_running", task=TASK) == 0, 10, "the dead child to stop counting"
    )
