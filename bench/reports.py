"""Report files at the design's scale: `make bench-reports`.

Sells 20,000 cars (by default) across three locations over last month, in a throw-away
SQLite database under var/bench-reports (or the one DATABASE_URL names), then runs the
"sales" report for that month through the catalogue and renders it as CSV, XLSX and PDF,
printing the seconds each step took and the size of each file. The files are left in
var/bench-reports to look at. Timing lives here, never in tests.
"""

import argparse
import os
import shutil
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAKES = [
    ("Ford", "Fiesta"), ("Ford", "Focus"), ("Vauxhall", "Corsa"), ("Vauxhall", "Astra Sports Tourer"),
    ("Volkswagen", "Golf"), ("Volkswagen", "Polo"), ("BMW", "3 Series"), ("Nissan", "Qashqai"),
    ("Toyota", "Yaris Hybrid"), ("Kia", "Sportage"), ("Audi", "A3 Sportback"), ("Mercedes-Benz", "A-Class"),
]
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cars", type=int, default=20_000, help="cars sold in the month")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-reports"
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    os.environ.setdefault("IFIXIT_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from ifixit.accounts import roles
    from ifixit.accounts.models import User
    from ifixit.accounts.services import user_set_role
    from ifixit.inventory.models import Car, Payment, Phase, RepairItem, Sale
    from ifixit.locations.models import Location
    from ifixit.reports import periods, renderers
    from ifixit.reports.catalogue import Params, run

    var_dir = Path(settings.VAR_DIR)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    today = timezone.localdate()
    month = periods.resolve("last_month", today)
    rng = Random(7)
    locations = [
        Location.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in (("LDS", "Bench Leeds"), ("MAN", "Bench Manchester Central"), ("BRS", "Bench Bristol"))
    ]
    admin = User.objects.create_user("bench-reports-admin", password="bench-password-not-secret", is_superuser=True)
    user_set_role(user=admin, role=roles.ADMIN)

    cars, sales, repairs = [], [], []
    for i in range(args.cars):
        make, model = MAKES[i % len(MAKES)]
        year = rng.randint(2012, 2023)
        hammer = Decimal(rng.randrange(2_000, 25_000))
        cars.append(Car(
            vin="".join(rng.choice(VIN_ALPHABET) for _ in range(17)),
            registration=f"{rng.choice(PLATE_LETTERS)}{rng.choice(PLATE_LETTERS)}{year % 100:02d}"
            + "".join(rng.choice(PLATE_LETTERS) for _ in range(3)),
            make=make, model=model, year=year, mileage=rng.randint(5_000, 120_000),
            location=locations[i % len(locations)], phase=Phase.SOLD,
            purchase_price=hammer, auction_fees=Decimal(rng.randrange(150, 600)),
            transport_cost=Decimal(rng.randrange(60, 250)),
        ))
    Car.objects.bulk_create(cars, batch_size=1000)
    for car in cars:
        price = (car.purchase_price * Decimal(rng.uniform(1.05, 1.35))).quantize(Decimal("1"))
        part_exchange = min(Decimal(rng.randrange(500, 3_000)), price / 2) if rng.random() < 0.3 else Decimal("0")
        sales.append(Sale(
            car=car, location=car.location, sold_on=month.start + timedelta(days=rng.randrange(month.days)),
            price=price, payment=Payment.FINANCE if rng.random() < 0.42 else Payment.CASH,
            part_exchange_allowance=part_exchange, buyer_name="Bench buyer",
        ))
        for _ in range(rng.choice((0, 0, 1, 2))):
            repairs.append(RepairItem(
                car=car, description="Service and brake pads", parts_cost=Decimal(rng.randrange(40, 400)),
                labour_cost=Decimal(rng.randrange(30, 250)),
            ))
    Sale.objects.bulk_create(sales, batch_size=1000)
    RepairItem.objects.bulk_create(repairs, batch_size=1000)
    print(f"sold {args.cars:,} cars ({len(repairs):,} repair items) in {month.start:%B %Y} "
          f"in {time.perf_counter() - started:.1f}s ({connection.vendor})")

    params = Params(period="last_month")
    t0 = time.perf_counter()
    report, scope, result = run("sales", params, user=admin, today=today)
    print(f"{'query + build':14} {time.perf_counter() - t0:7.2f}s  {len(result.rows):,} rows")
    assert len(result.rows) == args.cars, len(result.rows)

    parameters = params.describe(report, today=today, location_names={loc.pk: loc.name for loc in locations})
    for fmt, spec in renderers.FORMATS.items():
        t0 = time.perf_counter()
        data = renderers.render(fmt, report=report, result=result, parameters=parameters, generated_at=timezone.now())
        seconds = time.perf_counter() - t0
        path = var_dir / f"sales.{spec.extension}"
        path.write_bytes(data)
        print(f"{fmt:14} {seconds:7.2f}s  {len(data) / 1_000_000:6.2f} MB  {path}")


if __name__ == "__main__":
    main()
