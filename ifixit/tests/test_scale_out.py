"""Scale-out: two web nodes, two workers and one beat, as separate processes on
loopback ports, sharing one PostgreSQL and one Redis (the production profile).

It shows what a dealer group relies on when it runs several machines:
- a WebSocket client on node A hears about a change made through node B;
- a job queued through either node runs exactly once;
- a worker killed mid-job loses nothing: the job is redelivered to the other worker.
"""

import asyncio
import json
import urllib.request

import pytest
import websockets
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from ifixit.accounts.services import api_token_create
from ifixit.celery import app as celery_app
from ifixit.dashboard.models import JobProbe
from ifixit.inventory.models import Phase
from ifixit.testing.factories import CarFactory, UserFactory
from ifixit.testing.processes import process_env, start_beat, start_web, start_worker, wait_for

pytestmark = [
    pytest.mark.skipif(
        settings.REDIS_IS_EMBEDDED or connection.vendor != "postgresql",
        reason="scale-out runs in the production leg (DATABASE_URL=postgres://..., REDIS_URL=redis://...)",
    ),
    pytest.mark.django_db(transaction=True),
]

# Short enough that a killed worker's job comes back within the test, longer than the
# job itself (hold_seconds below) so a healthy job is never redelivered.
VISIBILITY_TIMEOUT = 12
HOLD_SECONDS = 4


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    logs = tmp_path_factory.mktemp("cluster")
    with django_db_blocker.unblock():
        env = process_env(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT), CELERY_RESTORE_SWEEP_SECONDS="2")
    # The suite's other tests queue tasks with no worker to run them; on the production leg's
    # shared Redis they wait in the queue, and a fresh cluster would first work through them
    # (its heartbeat then misses its minute). The cluster starts from an empty broker.
    celery_app.control.purge()
    procs = {}
    try:
        procs["web_a"] = start_web("web-a", logs, env)
        procs["web_b"] = start_web("web-b", logs, env)
        procs["worker_1"] = start_worker("worker-1", logs, env)
        procs["worker_2"] = start_worker("worker-2", logs, env)
        procs["beat"] = start_beat(logs, env)
        yield procs
    finally:
        for proc in procs.values():
            proc.kill()


def api(node, method: str, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        node.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "localhost"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read() or b"{}")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_a_websocket_on_node_a_hears_a_change_made_through_node_b(cluster, north):
    manager = UserFactory(username="mia", role="manager", locations=[north])
    car = CarFactory(location=north, phase=Phase.FIXING)
    _, token = api_token_create(user=manager, name="scale-out")
    cookie = session_cookie(manager)

    async def listen_then_change():
        url = f"ws://127.0.0.1:{cluster['web_a'].port}/ws/cars/{car.pk}/"
        headers = {"Cookie": f"sessionid={cookie}", "Origin": "http://localhost"}
        async with websockets.connect(url, additional_headers=headers) as socket:
            await asyncio.to_thread(
                api, cluster["web_b"], "POST", f"/api/v1/cars/{car.pk}/phase/", token, {"to_phase": "ready", "expected_phase": "fixing"}
            )
            return json.loads(await asyncio.wait_for(socket.recv(), timeout=10))

    message = asyncio.run(listen_then_change())
    assert message == {"type": "phase_changed", "car_id": car.pk, "from": "fixing", "to": "ready", "by": "mia"}


def test_jobs_queued_through_either_node_run_exactly_once(cluster, db):
    admin = UserFactory(username="ada", role="admin", is_superuser=True)
    _, token = api_token_create(user=admin, name="scale-out")
    ids = [
        api(cluster["web_a" if n % 2 else "web_b"], "POST", "/api/v1/ops/job-probes/", token, {"hold_seconds": 0})["id"]
        for n in range(20)
    ]
    wait_for(lambda: JobProbe.objects.filter(pk__in=ids, finished_at__isnull=False).count() == 20, 60, "20 probes to finish")
    probes = list(JobProbe.objects.filter(pk__in=ids))
    assert [p.runs for p in probes] == [1] * 20
    assert {p.queued_from for p in probes} and all(p.worker.startswith(("worker-1@", "worker-2@")) for p in probes)


def test_beat_queues_its_heartbeat_once_and_a_worker_runs_it(cluster, db):
    call_command("sync_schedules")
    beat_probe = wait_for(
        lambda: JobProbe.objects.filter(origin=JobProbe.Origin.BEAT, finished_at__isnull=False).first(), 60, "beat's heartbeat"
    )
    assert beat_probe.runs == 1
    assert JobProbe.objects.filter(origin=JobProbe.Origin.BEAT).count() == 1  # one beat: one heartbeat a minute


def test_a_worker_killed_mid_job_loses_nothing(cluster, db):
    admin = UserFactory(username="ada", role="admin", is_superuser=True)
    _, token = api_token_create(user=admin, name="scale-out")
    probe_id = api(cluster["web_a"], "POST", "/api/v1/ops/job-probes/", token, {"hold_seconds": HOLD_SECONDS})["id"]
    started = wait_for(lambda: JobProbe.objects.filter(pk=probe_id, runs=1).exclude(worker="").first(), 30, "the job to start")
    victim, survivor = ("worker_1", "worker_2") if started.worker.startswith("worker-1@") else ("worker_2", "worker_1")

    cluster[victim].kill()  # the whole process group, mid-job: no ack is ever sent

    done = wait_for(
        lambda: JobProbe.objects.filter(pk=probe_id, finished_at__isnull=False).first(),
        VISIBILITY_TIMEOUT + 60,
        "the job to be redelivered and finished",
    )
    assert done.runs == 2, "the killed delivery and the redelivery"
    assert done.worker.startswith(survivor.replace("_", "-") + "@")
