"""Load the periodic tasks declared in ifixit/schedules.py into django-celery-beat."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ifixit.schedules import SCHEDULES

MANAGED_PREFIX = "ifixit: "


class Command(BaseCommand):
    help = "Create or update the beat schedule from ifixit/schedules.py; remove entries no longer declared."

    @transaction.atomic
    def handle(self, *args, **options):
        wanted = set()
        for entry in SCHEDULES:
            interval, _ = IntervalSchedule.objects.get_or_create(every=entry.seconds, period=IntervalSchedule.SECONDS)
            name = MANAGED_PREFIX + entry.name
            wanted.add(name)
            task, created = PeriodicTask.objects.get_or_create(
                name=name,
                defaults={
                    "task": entry.task,
                    "interval": interval,
                    "description": entry.description,
                    # Due at once on first start, then every interval (beat otherwise waits a full one).
                    "last_run_at": timezone.now() - timedelta(seconds=entry.seconds),
                },
            )
            if not created:
                # Keep an operator's pause (enabled=False); bring the rest in line with the code.
                task.task, task.interval, task.crontab, task.description = entry.task, interval, None, entry.description
                task.save()
            self.stdout.write(f"{'added' if created else 'kept'}: {name} every {entry.seconds}s")
        removed, _ = PeriodicTask.objects.filter(name__startswith=MANAGED_PREFIX).exclude(name__in=wanted).delete()
        if removed:
            self.stdout.write(f"removed {removed} schedule(s) no longer declared")
