"""Job probes through a real Celery worker process, the suite's Redis and the test database."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from ifixit.dashboard import services
from ifixit.dashboard.models import JobProbe
from ifixit.testing.processes import process_env, start_worker, wait_for


@pytest.fixture
def worker(transactional_db, tmp_path):
    proc = start_worker("probe-worker", tmp_path, process_env())
    yield proc
    proc.kill()


def finished(probe_id):
    return JobProbe.objects.filter(pk=probe_id, finished_at__isnull=False).first()


def test_a_real_worker_runs_a_probe_once(worker):
    probe = services.job_probe_queue(hold_seconds=0)
    done = wait_for(lambda: finished(probe.pk), 30, "the probe to finish")
    assert done.runs == 1
    assert done.worker.startswith("probe-worker@")
    assert done.wait_seconds is not None and done.wait_seconds >= 0


def test_check_workers_reports_the_running_worker(worker, capsys):
    call_command("check_workers", "--min", "1", "--timeout", "5")
    assert "probe-worker@" in capsys.readouterr().out


def test_check_workers_fails_when_a_named_worker_is_missing(worker):
    with pytest.raises(Exception, match="did not answer"):
        call_command("check_workers", "--hostname", "nobody@nowhere", "--timeout", "2")


def test_sync_schedules_loads_the_declared_schedule_and_keeps_a_pause(db):
    call_command("sync_schedules")
    task = PeriodicTask.objects.get(name="ifixit: job-health heartbeat")
    assert task.task == "ifixit.dashboard.tasks.beat_heartbeat" and task.interval.every == 60
    task.enabled = False
    task.save()
    call_command("sync_schedules")
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False


def test_the_ops_api_is_for_admins_only(client, manager, admin_user, db):
    client.force_login(manager)
    assert client.post(reverse("api-job-probes"), {}).status_code == 403
    assert client.get(reverse("api-job-health")).status_code == 403
    client.logout()
    assert client.get(reverse("api-job-health")).status_code in (401, 403)
    client.force_login(admin_user)
    response = client.post(reverse("api-job-probes"), {"hold_seconds": 500}, content_type="application/json")
    assert response.status_code == 400 and "hold_seconds" in response.json()
    assert not JobProbe.objects.exists()


def test_an_admin_queues_a_probe_and_reads_health(client, admin_user, worker):
    client.force_login(admin_user)
    response = client.post(reverse("api-job-probes"), {"hold_seconds": 0}, content_type="application/json")
    assert response.status_code == 202
    probe_id = response.json()["id"]
    wait_for(lambda: finished(probe_id), 30, "the probe to finish")
    body = client.get(reverse("api-job-probe", args=[probe_id])).json()
    assert body["runs"] == 1 and body["worker"].startswith("probe-worker@")
    health = client.get(reverse("api-job-health")).json()
    assert any(name.startswith("probe-worker@") for name in health["workers"])
    assert client.get(reverse("api-job-probes")).status_code == 405


def test_old_probes_are_pruned(db):
    from datetime import timedelta

    from django.utils import timezone

    old = JobProbe.objects.create(origin=JobProbe.Origin.BEAT, queued_at=timezone.now() - timedelta(days=15))
    recent = JobProbe.objects.create(origin=JobProbe.Origin.BEAT, queued_at=timezone.now() - timedelta(days=13))
    assert services.job_probes_prune() == 1
    assert list(JobProbe.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not JobProbe.objects.filter(pk=old.pk).exists()
