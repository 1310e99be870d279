"""The Celery application: the worker and beat processes start from here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")

app = Celery("ifixit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
