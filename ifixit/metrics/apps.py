"""The metrics app: connects the Celery task signals and the process-exit hooks in every process
that loads Django (web, worker and its pool children, beat, feeds, relay, management commands)."""

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "ifixit.metrics"
    verbose_name = "Metrics"

    def ready(self):
        from ifixit.metrics import celery_signals, instruments, processes

        if instruments.ENABLED:
            celery_signals.connect()
            processes.mark_dead_at_exit()
