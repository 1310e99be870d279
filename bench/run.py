"""Benchmarks at the design's scale: 20,000 cars across three locations.

Run with `make bench` (or `python bench/run.py --cars 20000`). Builds a throw-away
SQLite database under var/bench (or uses DATABASE_URL), seeds it, and times the list
pages and endpoints through Django's test client: median and 95th percentile over
repeated requests, with the SQL query count of each. Timing lives here, never in tests.
"""

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cars", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench"
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    os.environ.setdefault("IFIXIT_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    # Timings, not a client's fair share: the API's rate limits would cut the repeats short.
    os.environ.setdefault("API_RATE_PER_TOKEN", "off")
    os.environ.setdefault("API_RATE_PER_ADDRESS", "off")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ifixit import embedded_redis
    from ifixit.accounts.models import User

    redis_proc = embedded_redis.ensure_running(Path(settings.EMBEDDED_REDIS_SOCKET)) if settings.REDIS_IS_EMBEDDED else None
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", cars=args.cars, verbosity=0)
        print(f"seeded {args.cars} cars in {time.perf_counter() - started:.1f}s ({connection.vendor})")

        cases = [
            ("dashboard", "/", {}),
            ("car list, first page", "/cars/", {}),
            ("car list, fixing sorted by age", "/cars/", {"phase": "fixing", "sort": "phase_changed_at"}),
            ("car list, make + year filter", "/cars/", {"make": "Ford", "year_min": "2016"}),
            ("car list, search", "/cars/", {"q": "golf"}),
            ("car list, page 200", "/cars/", {"page": "200"}),
            ("API cars, first page", "/api/v1/cars/", {}),
            ("API cars, filtered", "/api/v1/cars/", {"phase": "listed", "sort": "-total_cost"}),
        ]
        print(f"{'case':36} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for user_name in ("admin", "manager.leeds"):
            client = Client()
            client.force_login(User.objects.get(username=user_name))
            print(f"-- as {user_name}")
            for label, url, params in cases:
                client.get(url, params)  # warm up
                timings = []
                for _ in range(args.repeat):
                    with CaptureQueriesContext(connection) as queries:
                        t0 = time.perf_counter()
                        response = client.get(url, params)
                        timings.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (label, response.status_code)
                timings.sort()
                p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
                print(f"{label:36} {statistics.median(timings):10.1f} {p95:8.1f} {len(queries):8d}")
    finally:
        if redis_proc is not None:
            redis_proc.terminate()


if __name__ == "__main__":
    main()
