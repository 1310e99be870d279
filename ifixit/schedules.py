"""Every periodic task of the system, declared in code.

`manage.py sync_schedules` loads them into django-celery-beat's tables (beat reads
its schedule from the database), so a deploy or `make run` brings the schedule in
line with the code while operators can still pause an entry in the admin.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Every:
    name: str
    task: str
    seconds: int
    description: str


SCHEDULES: list[Every] = [
    Every(
        name="job-health heartbeat",
        task="ifixit.dashboard.tasks.beat_heartbeat",
        seconds=60,
        description="Proves beat, the broker and a worker are all alive (integration dashboard).",
    ),
]
