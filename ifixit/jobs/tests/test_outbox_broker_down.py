"""The outbox while the broker is down: a refused publish leaves the process's next messages to
the relay for a moment (each attempt would make its commit wait seconds for the refusal). The
refusal itself, from a Redis really killed, is test_redis_crash's."""

import datetime
import time

from ifixit.jobs import outbox
from ifixit.jobs.models import OutboxMessage

TASK = "ifixit.dashboard.tasks.run_job_probe"


def test_after_a_refused_publish_commits_leave_their_messages_to_the_relay_for_a_moment(db, monkeypatch):
    monkeypatch.setattr(outbox, "_refused_at", time.monotonic())  # as a refusal leaves it
    message = OutboxMessage.objects.create(task=TASK, args=["p-1"])
    assert outbox.publish(message.pk) is False
    message.refresh_from_db()
    assert message.published_at is None and message.publish_attempts == 0  # not even tried
    assert outbox.relay_pending(grace=datetime.timedelta(0)) == 1  # the relay does not pause
    message.refresh_from_db()
    assert message.published_at is not None


def test_the_pause_ends(db, monkeypatch):
    monkeypatch.setattr(outbox, "_refused_at", time.monotonic() - outbox.BROKER_DOWN_PAUSE)
    message = OutboxMessage.objects.create(task=TASK, args=["p-2"])
    assert outbox.publish(message.pk) is True
    assert outbox._refused_at is None  # a publish that worked forgets the refusal
