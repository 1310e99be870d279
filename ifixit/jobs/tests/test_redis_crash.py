"""The job queue through a crash of Redis, and a worker killed mid-task, with real processes.

The test runs a Redis of its own (the embedded default's, append-only file and all) so that it
can SIGKILL it without taking the suite's down: jobs published into its queue before the kill,
and jobs asked for through the outbox while it is dead, all run once it is back, each exactly
once. A worker SIGKILLed mid-job has the job redelivered, which runs it to completion once, and
the job history says a run was lost. (A writer killed between its commit and its publish is
ifixit/jobs/tests/test_processes.py's.)"""

import json
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
import redis

from ifixit.dashboard.models import JobProbe
from ifixit.jobs.models import JobRun, OutboxMessage
from ifixit.testing.processes import process_env, run_django, start_redis, start_relay, start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]

# A job whose worker died comes back after this long; every job here is shorter (HOLD_SECONDS),
# so none that is running is handed out a second time.
VISIBILITY_TIMEOUT = 6
HOLD_SECONDS = 3
QUEUE = "celery"


@pytest.fixture(scope="module")
def crashable(django_db_setup, django_db_blocker, tmp_path_factory):
    """A Redis to kill, the outbox relay on it, and the environment of its processes."""
    logs = tmp_path_factory.mktemp("redis-crash")
    data_dir = Path(tempfile.mkdtemp(prefix="ifx-redis-", dir="/tmp"))  # short: a socket path's limit
    procs = {}
    try:
        procs["redis"] = start_redis("redis", data_dir, logs)
        with django_db_blocker.unblock():
            env = process_env(
                REDIS_URL=f"unix://{procs['redis'].extra['socket']}",
                CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
                CELERY_RESTORE_SWEEP_SECONDS="1",
            )
        procs["relay"] = start_relay(logs, env)
        yield {"env": env, "logs": logs, "data_dir": data_dir, "procs": procs}
    finally:
        for proc in procs.values():
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def queue_probes(env: dict, count: int, hold_seconds: int = 0) -> list[str]:
    """Job probes asked for through the outbox by a process of their own (using the test's
    Redis, not the suite's); their ids."""
    done = run_django(
        "from ifixit.dashboard.services import job_probe_queue\n"
        f"print(' '.join(str(job_probe_queue(hold_seconds={hold_seconds}, queued_from='redis-crash').pk) for _ in range({count})))",
        env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def messages_of(probe_ids: list[str]) -> list[OutboxMessage]:
    by_probe = {m.args[0]: m for m in OutboxMessage.objects.filter(task="ifixit.dashboard.tasks.run_job_probe")}
    return [by_probe[probe_id] for probe_id in probe_ids]


def finished(probe_ids: list[str]) -> bool:
    return JobProbe.objects.filter(pk__in=probe_ids, finished_at__isnull=False).count() == len(probe_ids)


def test_jobs_queued_in_redis_and_jobs_asked_for_while_it_is_dead_all_run_once(crashable):
    env, logs, data_dir = crashable["env"], crashable["logs"], crashable["data_dir"]
    queued = queue_probes(env, 5)  # no worker yet: they wait in Redis's queue
    assert all(m.published_at is not None for m in messages_of(queued))
    ids = [str(m.pk) for m in messages_of(queued)]
    aof = data_dir / "redis.aof"
    # On its append-only file (written before Redis answers; fsynced within the second): a
    # SIGKILL of Redis alone, unlike a power cut, cannot lose what is written there.
    wait_for(
        lambda: aof.exists() and all(i in aof.read_text(errors="replace") for i in ids), 10, "the AOF to hold them"
    )

    crashable["procs"]["redis"].kill()

    asked_while_dead = queue_probes(env, 5)
    first, *rest = messages_of(asked_while_dead)
    assert all(m.published_at is None for m in [first, *rest])
    assert first.publish_attempts >= 1 and "connecting" in first.last_error
    # Its writer left the rest to the relay at once, and the relay stops at the first refusal.
    assert [m.publish_attempts for m in rest] == [0] * 4
    crashable["procs"]["redis"] = start_redis("redis-again", data_dir, logs)

    in_queue = redis.Redis(unix_socket_path=str(crashable["procs"]["redis"].extra["socket"])).lrange(QUEUE, 0, -1)
    task_ids = {json.loads(raw)["headers"]["id"] for raw in in_queue}
    assert set(ids) <= task_ids  # reloaded from the append-only file
    wait_for(lambda: all(m.published_at for m in messages_of(asked_while_dead)), 30, "the relay to publish the rest")

    worker = start_worker("crash-worker", logs, env)
    try:
        wait_for(lambda: finished(queued + asked_while_dead), 40, "every job to run")
    finally:
        worker.kill(signal.SIGTERM)  # a warm shutdown: every job it ran is acknowledged
    probes = JobProbe.objects.filter(pk__in=queued + asked_while_dead)
    assert sorted(p.runs for p in probes) == [1] * 10
    for message in messages_of(queued + asked_while_dead):
        assert list(JobRun.objects.filter(task_id=str(message.pk)).values_list("state", flat=True)) == ["succeeded"]


def test_a_worker_killed_mid_job_has_it_redelivered_and_run_to_completion_once(crashable):
    env, logs = crashable["env"], crashable["logs"]
    doomed = start_worker("doomed-worker", logs, env)
    try:
        [probe_id] = queue_probes(env, 1, hold_seconds=HOLD_SECONDS)
        wait_for(lambda: JobProbe.objects.filter(pk=probe_id, runs=1).exists(), 30, "the job to start")
    finally:
        doomed.kill()  # SIGKILL to the whole group, mid-job: nothing is acknowledged
    assert not JobProbe.objects.filter(pk=probe_id, finished_at__isnull=False).exists()

    survivor = start_worker("survivor-worker", logs, env)
    try:
        wait_for(lambda: finished([probe_id]), VISIBILITY_TIMEOUT + 30, "the job to be redelivered and finished")
    finally:
        survivor.kill(signal.SIGTERM)
    probe = JobProbe.objects.get(pk=probe_id)
    assert probe.runs == 2 and probe.worker.startswith("survivor-worker@")  # the lost run and the redelivery
    [message] = messages_of([probe_id])
    runs = list(JobRun.objects.filter(task_id=str(message.pk)).order_by("finished_at", "pk"))
    assert [run.state for run in runs] == ["retrying", "succeeded"]
    lost, redelivered = runs
    assert "delivered it again" in lost.error and lost.worker == ""
    assert redelivered.worker.startswith("survivor-worker@")
