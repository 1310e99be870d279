"""The transactional outbox: how every part of the system asks for a background job.

`enqueue()` writes the intent (an `OutboxMessage`) in the caller's transaction and, once that
commits, publishes it to the broker at once. If the process dies between the commit and the
publish, or the broker is down, the row stays unpublished and the relay (`manage.py
outbox_relay`, a process of its own) publishes it. Nothing is lost: the intent commits with the
change or not at all. Nothing runs twice: the message's id is the Celery task id, and a worker
given a task id that already succeeded skips it (ifixit.jobs.recording), so a message published
twice (the relay died after the publish, before its commit) runs once.

A publish claims its row inside a transaction that commits only after the broker accepted the
message: two relays, or the relay and the fast path, never both publish a row, and a publish
that failed leaves the row to be tried again.

A broker that is down is slow to say so (the Redis client retries its connection for seconds):
after one refusal, a process leaves its messages to the relay for a few seconds rather than
make every commit wait that long again.
"""

import datetime
import logging
import time

from celery import Task
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from ifixit.celery import app as celery_app
from ifixit.jobs.models import OutboxMessage

log = logging.getLogger(__name__)

# What a broker that is down or restarting raises when a message is published to it.
BROKER_ERRORS = (BrokerError, RedisError, ConnectionError, OSError)
# The relay leaves a message this long to the fast path of the process that wrote it.
RELAY_GRACE = datetime.timedelta(seconds=2)
RELAY_HEARTBEAT_KEY = "jobs:outbox-relay:last-round"
# After the broker refused a publish, this process's commits leave theirs to the relay this long.
BROKER_DOWN_PAUSE = 5.0
_refused_at: float | None = None  # time.monotonic() of this process's last refused publish


def about_label(about) -> str:
    """'app_label.model:pk' for a model instance; a string as it is."""
    if about is None:
        return ""
    if isinstance(about, models.Model):
        return f"{about._meta.label_lower}:{about.pk}"
    return str(about)[:120]


def enqueue(
    task: Task | str, args: list | tuple = (), kwargs: dict | None = None, *, about=None, countdown: float | None = None
) -> OutboxMessage:
    """Ask for `task` to run with these (JSON) arguments once the current transaction commits.

    `about` is what the job concerns (a model instance, or "app.model:pk"): the job pages link to
    it. Outside a transaction the message commits at once and is published straight away.
    """
    now = timezone.now()
    message = OutboxMessage.objects.create(
        task=task if isinstance(task, str) else task.name,
        args=list(args),
        kwargs=kwargs or {},
        about=about_label(about),
        created_at=now,
        available_at=now + datetime.timedelta(seconds=countdown) if countdown else now,
    )
    message_id = message.pk
    transaction.on_commit(lambda: publish(message_id))
    return message


def publish(message_id) -> bool:
    """Publish one message if nobody has. True if this call published it; a broker that is
    down (now, or a moment ago) is logged and leaves the message to the relay."""
    global _refused_at
    if _refused_at is not None and time.monotonic() - _refused_at < BROKER_DOWN_PAUSE:
        return False
    outcome = _publish(message_id)
    _refused_at = time.monotonic() if outcome == REFUSED else None
    return outcome == PUBLISHED


PUBLISHED, TAKEN, REFUSED = "published", "taken", "refused"


def _publish(message_id) -> str:
    """PUBLISHED by this call, TAKEN by another publisher before, or REFUSED by the broker."""
    try:
        with transaction.atomic():
            now = timezone.now()
            claimed = OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).update(
                published_at=now, publish_attempts=F("publish_attempts") + 1
            )
            if not claimed:
                return TAKEN
            message = OutboxMessage.objects.get(pk=message_id)
            _send(message)
    except BROKER_ERRORS as exc:
        log.warning("outbox: could not publish %s (%s); the relay will", message_id, exc)
        OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).update(
            publish_attempts=F("publish_attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:500]
        )
        return REFUSED
    return PUBLISHED


def _send(message: OutboxMessage) -> None:
    options = {"task_id": str(message.pk), "retry": False}  # a broker that is down is the relay's business
    if message.available_at > timezone.now():
        options["eta"] = message.available_at
    task = celery_app.tasks.get(message.task)
    if task is not None:
        task.apply_async(tuple(message.args), message.kwargs, **options)
    else:  # a task this process has not imported: routed by name
        celery_app.send_task(message.task, tuple(message.args), message.kwargs, **options)


def relay_pending(*, limit: int = 500, grace: datetime.timedelta = RELAY_GRACE) -> int:
    """Publish what is still unpublished, oldest first; stop at the first broker failure (the
    next round tries again). Returns how many were published."""
    cutoff = timezone.now() - grace
    pending = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    published = 0
    for message_id in pending:
        outcome = _publish(message_id)
        if outcome == REFUSED:
            break  # the broker is down: try the rest next round
        published += outcome == PUBLISHED
    return published


def backlog() -> tuple[int, datetime.datetime | None]:
    """How many messages wait to be published, and since when the oldest."""
    pending = OutboxMessage.objects.filter(published_at__isnull=True)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return pending.count(), oldest


def relay_heartbeat() -> None:
    """The relay says it is alive, once a round (a cache write: no row per second)."""
    cache.set(RELAY_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=24 * 60 * 60)


def relay_last_round() -> datetime.datetime | None:
    value = cache.get(RELAY_HEARTBEAT_KEY)
    return datetime.datetime.fromisoformat(value) if value else None
