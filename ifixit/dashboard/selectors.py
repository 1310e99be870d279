"""Reads for job health."""

from dataclasses import dataclass
from datetime import datetime

from ifixit.celery import app as celery_app
from ifixit.dashboard.models import JobProbe
from ifixit.jobs.selectors import queue_length


@dataclass
class JobHealth:
    workers: list[str]
    last_heartbeat_queued: datetime | None
    last_heartbeat_finished: datetime | None
    unfinished_probes: int
    queued_messages: int | None


def workers_answering(timeout: float = 2.0) -> list[str]:
    """Hostnames of the workers that answer a broadcast ping within `timeout`."""
    replies = celery_app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


def job_health(timeout: float = 2.0) -> JobHealth:
    last_beat = JobProbe.objects.filter(origin=JobProbe.Origin.BEAT).order_by("-queued_at").first()
    last_done = (
        JobProbe.objects.filter(origin=JobProbe.Origin.BEAT, finished_at__isnull=False).order_by("-queued_at").first()
    )
    return JobHealth(
        workers=workers_answering(timeout),
        last_heartbeat_queued=last_beat.queued_at if last_beat else None,
        last_heartbeat_finished=last_done.finished_at if last_done else None,
        unfinished_probes=JobProbe.objects.filter(finished_at__isnull=True).count(),
        queued_messages=queue_length(),
    )
