"""The transactional outbox: a job is asked for in the transaction of the change that wants it,
published once that commits, and published by the relay when its writer could not."""

import json

import pytest
import redis
from django.conf import settings
from django.db import transaction

from ifixit.dashboard.models import JobProbe
from ifixit.jobs import outbox
from ifixit.jobs.models import OutboxMessage

TASK = "ifixit.dashboard.tasks.run_job_probe"


def queued_ids() -> list[str]:
    broker = redis.Redis.from_url(settings.REDIS_URL)
    return [json.loads(raw)["headers"]["id"] for raw in broker.lrange("celery", 0, -1)]


@pytest.fixture(autouse=True)
def empty_queue():
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")


def test_it_publishes_after_the_commit_with_the_message_id_as_the_task_id(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = outbox.enqueue(TASK, ["p-1"], about="dashboard.jobprobe:p-1")
        assert queued_ids() == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.published_at is not None and message.publish_attempts == 1
    assert queued_ids() == [str(message.pk)]


def test_a_rolled_back_change_asks_for_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(TASK, ["p-2"])
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert queued_ids() == []


def test_a_message_is_published_once_however_often_it_is_asked(db):
    message = OutboxMessage.objects.create(task=TASK, args=["p-3"])
    assert outbox.publish(message.pk) is True
    assert outbox.publish(message.pk) is False  # the fast path and the relay both tried
    assert queued_ids() == [str(message.pk)]


def test_the_relay_publishes_what_was_left_oldest_first_and_leaves_the_new_to_the_fast_path(db):
    import datetime

    from django.utils import timezone

    old = timezone.now() - datetime.timedelta(minutes=5)
    first = OutboxMessage.objects.create(task=TASK, args=["a"], created_at=old)
    second = OutboxMessage.objects.create(task=TASK, args=["b"], created_at=old + datetime.timedelta(seconds=1))
    fresh = OutboxMessage.objects.create(task=TASK, args=["c"])  # its writer is publishing it now
    assert outbox.relay_pending() == 2
    assert queued_ids() == [str(second.pk), str(first.pk)]  # LPUSH: the oldest is taken first
    fresh.refresh_from_db()
    assert fresh.published_at is None
    assert outbox.backlog()[0] == 1


def test_a_countdown_publishes_with_an_eta(db):
    message = outbox.enqueue(TASK, ["p-4"], countdown=600)
    outbox.publish(message.pk)
    raw = redis.Redis.from_url(settings.REDIS_URL).lrange("celery", 0, -1)
    assert json.loads(raw[0])["headers"]["eta"]


def test_about_names_the_row_a_job_concerns(db):
    probe = JobProbe.objects.create(queued_from="here")
    assert outbox.about_label(probe) == f"dashboard.jobprobe:{probe.pk}"
    assert outbox.about_label(None) == ""
