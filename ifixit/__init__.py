"""I-fixit: a used-car trading business, from auction to sale, in one Django project."""

from ifixit.celery import app as celery_app

__all__ = ["celery_app"]
