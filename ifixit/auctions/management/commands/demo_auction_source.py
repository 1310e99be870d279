"""`make run`'s auction source: the local simulator, fresh for each run.

The simulator numbers its events from 1 every time it starts, which a real platform
never does; so each run gets its own source, and the previous run's source is disabled
with its still-open lots closed (their history stays)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from ifixit.auctions.models import AuctionSource, FeedHealth, Lot

PREFIX = "Simulated auctions"


class Command(BaseCommand):
    help = "Point a fresh auction source at the local simulator (make run), retiring the previous one."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8765")

    @transaction.atomic
    def handle(self, *args, url, **options):
        old = AuctionSource.objects.filter(name__startswith=PREFIX, enabled=True)
        closed = Lot.objects.filter(source__in=old).exclude(stage=Lot.Stage.CLOSED).update(
            stage=Lot.Stage.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
        )
        old.update(enabled=False)
        name = f"{PREFIX} {timezone.localtime():%Y-%m-%d %H:%M:%S}"
        source = AuctionSource.objects.create(name=name, kind=AuctionSource.Kind.WEBSOCKET, url=url)
        FeedHealth.objects.create(source=source)
        self.stdout.write(f"Auction source {name!r} reads the simulator at {url} ({closed} open lots of earlier runs closed).")
