"""manage.py generate_facts --count 1000000: synthetic market history for benchmarks."""

import itertools
import time

from django.core.management.base import BaseCommand

from ifixit.analytics import synthetic
from ifixit.analytics.models import SaleFact
from ifixit.analytics.warehouse import services as warehouse


class Command(BaseCommand):
    help = "Add synthetic historical sale facts (and fold them into the rollups)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--no-rollups", action="store_true", help="Only add the facts.")

    def handle(self, *args, count, seed, years, no_rollups, **options):
        started = time.monotonic()
        made = iter(synthetic.facts(count=count, seed=seed, years=years))
        done = 0
        while batch := list(itertools.islice(made, 20_000)):
            SaleFact.objects.bulk_create(batch, ignore_conflicts=True, batch_size=5_000)
            done += len(batch)
            self.stdout.write(f"\r{done:,} / {count:,} facts", ending="")
        self.stdout.write(f"\n{done:,} facts in {time.monotonic() - started:.1f} s.")
        if not no_rollups:
            started = time.monotonic()
            months = warehouse.rollups_refresh()
            self.stdout.write(f"Rollups refreshed ({months} months) in {time.monotonic() - started:.1f} s.")
