"""The Celery application: the worker and beat processes start from here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")

# Every task records its runs and sorts its errors into transient (retried) and permanent
# (dead-lettered): ifixit.jobs.recording.
app = Celery("ifixit", task_cls="ifixit.jobs.recording:RecordedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
