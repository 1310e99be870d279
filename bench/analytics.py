"""Market analytics at the design's scale: `make bench-analytics`.

Loads 1,000,000 synthetic historical facts (by default) into a throw-away SQLite
database under var/bench-analytics (or the one DATABASE_URL names), builds the rollups,
then adds a day's new data and times the incremental refresh; finally times the trend
and seasonality answers for a spread of segments, uncached (first call) and cached, and
prints p50/p95. Timing lives here, never in tests.
"""

import argparse
import itertools
import os
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--own-sales", type=int, default=20_000, help="the group's sold cars, for the benchmarks")
    parser.add_argument("--only-benchmarks", action="store_true", help="skip the market facts: time the make/model benchmarks alone")
    parser.add_argument("--no-phase-history", action="store_true",
                        help="sold cars without phase history (as this bench had them before 2026-11-25), to compare")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-analytics"
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    os.environ.setdefault("IFIXIT_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from ifixit.analytics import synthetic
    from ifixit.analytics.models import SaleFact
    from ifixit.analytics.warehouse import selectors
    from ifixit.analytics.warehouse import services as warehouse
    from ifixit.embedded_redis import ensure_running
    from django.conf import settings

    redis = ensure_running(Path(settings.EMBEDDED_REDIS_SOCKET)) if settings.REDIS_IS_EMBEDDED else None
    try:
        run(args, call_command, cache, selectors, synthetic, warehouse, SaleFact)
    finally:
        if redis is not None:
            redis.terminate()


def run(args, call_command, cache, selectors, synthetic, warehouse, SaleFact) -> None:
    call_command("migrate", verbosity=0)
    today = date.today()
    if args.only_benchmarks:
        own_sales_benchmarks(args.own_sales, today, phase_history=not args.no_phase_history)
        return

    started = time.perf_counter()
    made = iter(synthetic.facts(count=args.facts, seed=1, end=today - timedelta(days=1)))
    while batch := list(itertools.islice(made, 20_000)):
        SaleFact.objects.bulk_create(batch, batch_size=5_000)
    print(f"{args.facts:,} facts loaded in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    months = warehouse.rollups_refresh()
    print(f"rollups built from scratch: {months} months in {time.perf_counter() - started:.1f} s")

    per_day = max(1, args.facts // 1095)
    day = list(synthetic.facts(count=per_day, seed=2, end=today, years=0 or 1))
    for fact in day:
        fact.sale_date = today
    SaleFact.objects.bulk_create(day, batch_size=5_000)
    started = time.perf_counter()
    months = warehouse.rollups_refresh()
    print(f"refresh after a day's new data ({per_day:,} facts, {months} month): {time.perf_counter() - started:.2f} s")

    segments = [selectors.Segment()] + [
        selectors.Segment(make=make, model=model) for make, model, *_ in synthetic.CATALOGUE[:12]
    ] + [selectors.Segment(body_type=body) for body in ("suv", "hatchback", "convertible")] + [
        selectors.Segment(make="Ford", source="BCA"), selectors.Segment(region="London"),
    ]
    for name, call in (
        ("trend", lambda s: selectors.trend(segment=s, start=today - timedelta(days=730))),
        ("seasonality", lambda s: selectors.seasonality_of(segment=s)),
    ):
        cache.clear()
        cold, warm = [], []
        for segment in segments:
            t = time.perf_counter()
            call(segment)
            cold.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            call(segment)
            warm.append((time.perf_counter() - t) * 1000)
        print(f"{name:12} uncached p50 {statistics.median(cold):6.1f} ms  p95 {p95(cold):6.1f} ms | "
              f"cached p50 {statistics.median(warm):5.2f} ms  p95 {p95(warm):5.2f} ms  ({len(segments)} segments)")

    own_sales_benchmarks(args.own_sales, today, phase_history=not args.no_phase_history)


def own_sales_benchmarks(count: int, today, *, phase_history: bool = True) -> None:
    """Make/model benchmarks read the group's own sales (not the rollups): 20,000 sold cars
    over the last year, each with its phase history (bought, in fixing once or, one car in
    ten, twice, ready, listed, sold), half with repairs; timed for every sort and with and
    without a location filter. Uncached: the cache is emptied before each call, so every
    call computes its table; cached: the same calls again."""
    import random
    from datetime import datetime, time as clock
    from decimal import Decimal

    from django.core.cache import cache
    from django.utils import timezone

    from ifixit.accounts import roles
    from ifixit.accounts.models import User
    from ifixit.accounts.services import user_set_role
    from ifixit.analytics import synthetic
    from ifixit.analytics.benchmarks.selectors import SORT_VALUES, benchmark_rows
    from ifixit.inventory.models import Car, Phase, PhaseChange, RepairItem, Sale
    from ifixit.locations.models import Location

    rng = random.Random(11)
    locations = [Location.objects.get_or_create(code=c, defaults={"name": n})[0] for c, n in (("BL", "Bench Leeds"), ("BM", "Bench Manchester"))]
    admin = User.objects.create_user("bench-analytics-admin", password="bench-password-not-secret", is_superuser=True)
    user_set_role(user=admin, role=roles.ADMIN)
    cars = []
    for i in range(count):
        make, model, body, new, _ = synthetic.CATALOGUE[i % len(synthetic.CATALOGUE)]
        bought = today - timedelta(days=rng.randrange(20, 365))
        cars.append(Car(vin=f"BENCH{i:012d}", make=make, model=model, body_type=body, year=rng.randint(2014, 2023), mileage=rng.randint(5_000, 120_000),
                        location=locations[i % 2], phase=Phase.SOLD, purchased_on=bought,
                        purchase_price=Decimal(rng.randrange(3_000, 20_000)), auction_fees=Decimal(300), transport_cost=Decimal(120)))
    Car.objects.bulk_create(cars, batch_size=2000)
    sales = [Sale(car=c, location=c.location, sold_on=min(today, c.purchased_on + timedelta(days=rng.randrange(5, 90))),
                  price=c.purchase_price * Decimal("1.2")) for c in cars]
    Sale.objects.bulk_create(sales, batch_size=2000)
    RepairItem.objects.bulk_create([RepairItem(car=c, description="Service", parts_cost=Decimal(150), labour_cost=Decimal(90)) for c in cars[::2]], batch_size=2000)
    history = []
    for car, sale in zip(cars, sales if phase_history else []):
        at = timezone.make_aware(datetime.combine(car.purchased_on, clock(9)))
        moves = [(Phase.SOURCED, Phase.PURCHASED), (Phase.PURCHASED, Phase.FIXING), (Phase.FIXING, Phase.READY)]
        if rng.random() < 0.1:  # failed its inspection: back to fixing
            moves += [(Phase.READY, Phase.FIXING), (Phase.FIXING, Phase.READY)]
        moves += [(Phase.READY, Phase.LISTED)]
        for from_phase, to_phase in moves:
            history.append(PhaseChange(car=car, from_phase=from_phase, to_phase=to_phase, changed_at=at))
            at += timedelta(hours=rng.randrange(2, 40))
        history.append(PhaseChange(car=car, from_phase=Phase.LISTED, to_phase=Phase.SOLD, changed_at=timezone.make_aware(datetime.combine(sale.sold_on, clock(15)))))
    PhaseChange.objects.bulk_create(history, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a database in use has them

    timings = {"uncached": [], "cached": []}
    for sort in sorted(SORT_VALUES):
        for location_ids in (None, [locations[0].pk]):
            cache.clear()
            for label in ("uncached", "cached"):
                t = time.perf_counter()
                benchmark_rows(user=admin, start=today - timedelta(days=365), end=today, location_ids=location_ids, sort=sort)
                timings[label].append((time.perf_counter() - t) * 1000)
    for label, values in timings.items():
        print(f"benchmarks   {label:8} over {count:,} own sales ({len(history):,} phase changes): "
              f"p50 {statistics.median(values):6.1f} ms  p95 {p95(values):6.1f} ms  ({len(values)} calls)")


if __name__ == "__main__":
    main()
