"""Importing historical sales at scale: `python bench/analytics_import.py [--rows 100000]`.

Writes a CSV of auction results (makes spelt several ways, UK dates, £ prices with
commas, some kilometres, about 1% bad rows) into a throw-away database under
var/bench-analytics-import (or the one DATABASE_URL names), imports it through
services.import_run as the page's worker would, then imports it again (every row a
duplicate), printing seconds and rows per second for each. The target: 100,000 rows in
under 60 seconds. Timing lives here, never in tests.
"""

import argparse
import csv
import os
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = [
    ("Ford", "Fiesta"), ("ford", "focus"), ("FORD", "Kuga"), ("Vauxhall", "Corsa"), ("Opel", "Astra"), ("VW", "Golf"),
    ("Volkswagen", "polo"), ("volkswagen", "golf gti"), ("BMW", "3 Series"), ("Merc", "C Class"), ("Mercedes Benz", "A Class"),
    ("Nissan", "Qashqai"), ("Toyota", "Yaris"), ("toyota", "rav4"), ("Kia", "Sportage"), ("Audi", "A3"), ("Skoda", "Octavia"),
    ("Land Rover", "Discovery Sport"), ("Hyundai", "Tucson"), ("Peugeot", "208"),
]
FUELS = ["Petrol", "Diesel", "Hybrid", "Electric", "PHEV", ""]
GEARBOXES = ["Manual", "Automatic", "Auto", "DSG"]
BODIES = ["Hatchback", "Saloon", "Estate", "SUV", "Crossover", "MPV", "Coupe"]
REGIONS = ["North West", "Yorkshire", "Midlands", "London", "South West", "Scotland", "Wales"]
HEADER = ["Lot", "Manufacturer", "Model", "Variant", "Reg year", "Odometer", "Unit", "Hammer price", "Sale date", "Fuel",
          "Gearbox", "Body", "Colour", "Region"]


def write_file(path: Path, rows: int, seed: int = 7, *, bad: bool = True) -> None:
    rng = Random(seed)
    start = date.today() - timedelta(days=3 * 365)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            make, model = MODELS[rng.randrange(len(MODELS))]
            year = rng.randint(2008, 2023)
            km = rng.random() < 0.1
            mileage = rng.randint(2_000, 160_000)
            price = rng.randint(800, 45_000)
            sold = start + timedelta(days=rng.randrange(3 * 365))
            price_cell = f"£{price:,}" if i % 3 else str(price)
            if bad and i % 100 == 99:  # about 1% bad: a price nobody can read
                price_cell = "withdrawn"
            writer.writerow([
                "", make, model, rng.choice(["", "1.0 EcoBoost", "SE", "Titanium", "Sport"]), year,
                f"{round(mileage * 1.609344) if km else mileage:,}", "km" if km else "mi", price_cell,
                sold.strftime("%d/%m/%Y") if i % 2 else sold.isoformat(), rng.choice(FUELS), rng.choice(GEARBOXES),
                rng.choice(BODIES), rng.choice(["Silver", "BLACK", "white", "Blue", "Red"]), rng.choice(REGIONS),
            ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--all-or-nothing", action="store_true",
                        help="a clean file, imported all or nothing: also times the one transaction that stores it "
                             "(on SQLite, how long other writers wait)")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-analytics-import"
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("IFIXIT_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")

    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from ifixit.analytics.models import SaleFact
    from ifixit.analytics.warehouse import imports as services

    call_command("migrate", verbosity=0)
    path = var_dir / "auction-results.csv"
    started = time.perf_counter()
    write_file(path, args.rows, bad=not args.all_or_nothing)
    print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")

    mapping = {
        "make": "Manufacturer", "model": "Model", "trim": "Variant", "year": "Reg year", "mileage": "Odometer",
        "mileage_unit": {"column": "Unit"}, "price": "Hammer price", "sale_date": "Sale date", "fuel": "Fuel",
        "transmission": "Gearbox", "body_type": "Body", "colour": "Colour", "region": "Region", "source": "Bench Auctions",
        "kind": "auction",
    }
    for label in ("first import", "same file again"):
        started = time.perf_counter()
        with path.open("rb") as handle:
            batch = services.import_create(user=None, file=File(handle, name=path.name), mapping=mapping,
                                           all_or_nothing=args.all_or_nothing, run_in_background=False)
        created = time.perf_counter() - started
        checked = []  # when the all-or-nothing check pass ended and the storing began

        def on_progress(running):
            if not checked and running.rows_done == running.rows_total and not (running.imported or running.duplicates):
                checked.append(time.perf_counter())

        batch = services.import_run(batch.pk, on_progress=on_progress)
        finished = time.perf_counter()
        seconds = finished - started
        storing = f"; storing in one transaction {finished - checked[0]:.1f} s" if args.all_or_nothing and checked else ""
        print(
            f"{label}: {seconds:.1f} s ({batch.rows_total / seconds:,.0f} rows/s; create {created:.1f} s{storing}) — "
            f"{batch.get_status_display()}: {batch.imported:,} imported, {batch.duplicates:,} duplicates, {batch.bad_rows:,} bad"
        )
    print(f"facts in the warehouse: {SaleFact.objects.count():,}")


if __name__ == "__main__":
    main()
