"""Readiness of the job system for load balancers and orchestrators.

`manage.py check_workers` exits 0 when at least --min workers answer a ping over
the broker (and, with --hostname, when that one worker answers), else 1.
"""

from django.core.management.base import BaseCommand, CommandError

from ifixit.dashboard.selectors import workers_answering


class Command(BaseCommand):
    help = "Exit 0 if Celery workers answer a ping through the broker, 1 if not."

    def add_arguments(self, parser):
        parser.add_argument("--min", type=int, default=1, help="Workers that must answer (default 1).")
        parser.add_argument("--hostname", default="", help="This worker must answer, e.g. worker@web1.")
        parser.add_argument("--timeout", type=float, default=3.0, help="Seconds to wait for answers.")

    def handle(self, *args, min, hostname, timeout, **options):
        try:
            workers = workers_answering(timeout)
        except Exception as exc:
            raise CommandError(f"broker unreachable: {exc.__class__.__name__}") from None
        self.stdout.write(f"workers answering: {', '.join(workers) or 'none'}")
        if hostname and hostname not in workers:
            raise CommandError(f"{hostname} did not answer")
        if len(workers) < min:
            raise CommandError(f"{len(workers)} worker(s) answered, {min} needed")
        self.stdout.write(self.style.SUCCESS("ready"))
