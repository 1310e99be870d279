"""Fill an empty database with a dealer group's demo data: each app's demo_data.py, in the
order they build on each other (locations, staff and cars; customers; finance; reports;
the market and the advice)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ifixit.analytics.demo_data import advice_demo_data_create, analytics_demo_data_create
from ifixit.crm.demo_data import crm_demo_data_create
from ifixit.finance.demo_data import finance_demo_data_create
from ifixit.inventory.demo_data import MIN_CARS, demo_data_create, demo_data_present
from ifixit.inventory.models import Phase
from ifixit.reports.demo_data import reports_demo_data_create

DEFAULT_PASSWORD = "demo-pass-2026"


class Command(BaseCommand):
    help = (
        "Create demo locations, staff, and cars with their history, repairs and sales, and the customers "
        "who bought them and their finance, unless there are cars."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="The same seed plans the same data (default 42).")
        parser.add_argument("--cars", type=int, default=1000, help="How many cars, about 60%% sold (default 1000).")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help=f"Password of every demo user (default {DEFAULT_PASSWORD})."
        )

    def handle(self, *args, seed, cars, password, **options):
        if cars < MIN_CARS:
            raise CommandError(f"--cars must be at least {MIN_CARS}, one car per phase.")
        if demo_data_present():
            self.stdout.write("Demo data already present (the database has cars); nothing changed.")
            return
        started = time.monotonic()
        with transaction.atomic():  # customers and all, or nothing: a rerun finds cars and stops
            summary = demo_data_create(seed=seed, car_count=cars, password=password)
            crm_summary = crm_demo_data_create(seed=seed) if summary is not None else None
            finance_summary = finance_demo_data_create(seed=seed) if summary is not None else None
            reports_summary = reports_demo_data_create() if summary is not None else None
            analytics_summary = analytics_demo_data_create(seed=seed, facts=cars * 8) if summary is not None else None
            advice_summary = advice_demo_data_create(seed=seed) if summary is not None else None
        if summary is None:  # someone added cars between the check and the transaction
            self.stdout.write("Demo data already present (the database has cars); nothing changed.")
            return
        elapsed = time.monotonic() - started

        out = self.stdout
        out.write(f"{summary.locations} locations, {len(summary.users_created)} users created.")
        if summary.users_existing:
            out.write(f"Kept as they were (already existed): {', '.join(summary.users_existing)}.")
        out.write(f"{summary.cars} cars:")
        for phase in Phase:
            out.write(f"  {phase.label:<11} {summary.cars_by_phase.get(phase.value, 0):>6}")
        out.write(f"{summary.phase_changes} phase changes, {summary.repair_items} repair items, {summary.photos} photos (variants made by the workers).")
        if summary.sales:
            average = summary.gross_profit_total / summary.sales
            out.write(
                f"{summary.sales} sales worth £{summary.sales_total:,.0f}; "
                f"gross profit £{summary.gross_profit_total:,.0f} "
                f"(£{average:,.0f} a car, {summary.loss_making_sales} sold at a loss)."
            )
        out.write(f"Longest in fixing: {summary.longest_fixing_days} days.")
        if summary.transfers:
            out.write("Transfers: " + ", ".join(f"{n} {state}" for state, n in summary.transfers.items()) + ".")
        if crm_summary is not None:
            out.write(f"Customer care: {crm_summary.line()}")
        if finance_summary is not None:
            out.write(f"Finance: {finance_summary.line()}")
        if reports_summary is not None:
            out.write(f"Reports: {reports_summary.line()}")
        if analytics_summary is not None:
            out.write(f"Market: {analytics_summary.line()}")
        if advice_summary is not None:
            out.write(f"Advice: {advice_summary.line()}")
        out.write(self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s."))
        if "admin" in summary.users_created:
            out.write(f"Sign in at http://localhost:8000 as admin / {password}")
            out.write("Other users: manager.leeds, buyer, sales.manchester, workshop.sheffield, ... (same password).")
