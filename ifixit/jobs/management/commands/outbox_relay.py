"""The outbox relay: publishes the jobs whose writer could not (it died after its commit, or
the broker was down). Run one or more (they never publish a message twice between them);
`--once` for a single round, from a script or a test."""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ifixit.jobs import outbox

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Publish to the broker the background jobs still waiting in the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between rounds (default 1).")
        parser.add_argument("--once", action="store_true", help="One round, then exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"outbox relay: publishing every {interval:g} s")
        while not stopping:
            close_old_connections()
            try:
                published = outbox.relay_pending()
                outbox.relay_heartbeat()
            except Exception:  # the database or Redis away: try again next round
                log.exception("outbox relay: a round failed")
                published = 0
            if published:
                self.stdout.write(f"outbox relay: published {published}")
            if once:
                break
            time.sleep(interval)
