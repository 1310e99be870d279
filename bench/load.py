"""Speed under real load: `make bench-load` (BENCH_ARGS="--users 50 --seconds 60").

The system's own processes, started as `make run` starts them (ifixit/run.py's checks and
set-up: migrations, roles, schedules, the demo data, the simulator's auction source; then every
Procfile line, each by its own command), in a throw-away var dir (var/bench-load) on free ports,
with DEBUG off and production's settings. Only the web node differs: it runs with
bench/load_settings.py, which adds the bare views (bench/load_urls.py) the API lists are compared
with. Then locust (headless, bounded in time, bench/locustfile.py) plays --users staff of the
demo's roles, each with their own session and API token, behind a proxy as production is
(X-Forwarded-Proto, one address each), with think time between requests.

Printed per page and endpoint: requests/s, p50/p95/p99, errors (anything but 2xx/3xx, with a
sample); each API list against its bare view measured in the same run (bare p50 / endpoint p50,
so the ratio holds on a noisy machine); the server's own time and queries per request by view
and the cache hit ratio (the app's counters from /metrics, and Redis's keyspace hits and misses)
over the measured window; the CPU the web node and the load generator used. Everything started
is stopped at the end, on Ctrl-C and on error. Timing lives here, never in tests.
"""

import argparse
import contextlib
import functools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VAR_DIR = ROOT / "var" / "bench-load"
WEB_SETTINGS = "bench.load_settings"
SECRET_KEY = "bench-load-only-" + "k" * 50

# How many of the --users simulated staff have each role (scaled to --users), and which demo
# accounts they sign in as (ifixit/inventory/demo_data.py STAFF; several sessions per account).
ROLE_SHARES = {"admin": 3, "manager": 12, "buyer": 8, "sales": 15, "workshop": 12}
# Reports shown on screen, where the role may run them (catalogue.available_to).
REPORT_KEYS = ("stock", "sales", "repairs", "repair_times", "auction_activity", "purchases")
# Each API list and the bare view that answers the same request (bench/load_urls.py).
PAIRS = {
    "api: cars": "bare: cars",
    "api: auction lots": "bare: auction lots",
    "api: customers": "bare: customers",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- The system, as `make run` starts it ----------------------------------------------------


def prepare(var_dir: Path) -> dict[str, str]:
    """Check and set the system up with ifixit/run.py's own steps; the environment every
    process is started with."""
    from ifixit import run

    run.stop_leftover_processes(var_dir)  # a killed bench's processes, before their var dir goes
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    os.environ.update(
        IFIXIT_VAR_DIR=str(var_dir),
        IFIXIT_PORT=str(free_port()),
        IFIXIT_SIMULATOR_PORT=str(free_port()),
        # This process (the set-up, the profile) answers as the web node does; every process
        # started but the web node gets ifixit.settings below.
        DJANGO_SETTINGS_MODULE=WEB_SETTINGS,
        # Production's settings: DEBUG off (with it on Django keeps every query), a real key,
        # HTTPS assumed behind the proxy (the bench sends X-Forwarded-Proto), two-factor for
        # admins and managers (their sessions are made verified below).
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or SECRET_KEY,
        PYTHONUNBUFFERED="1",
    )
    import django

    django.setup()
    _, simulator_port = run.preflight()
    with open(var_dir / "setup.log", "w") as log, contextlib.redirect_stdout(log):
        run.set_up(simulator_port)
    run.clear_metrics()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # into the bench's STATIC_ROOT
    return dict(os.environ, DJANGO_SETTINGS_MODULE="ifixit.settings")


def procfile() -> list[tuple[str, str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return [
        tuple(part.strip() for part in line.split(":", 1)) for line in lines if ":" in line and not line.startswith("#")
    ]


def start_system(env: dict[str, str], log_dir: Path) -> list:
    """Every Procfile process, by its own command line through a shell as honcho runs it (so
    ${IFIXIT_PORT:-8000} expands the same way); the embedded Redis first, when used."""
    from django.conf import settings

    from ifixit import embedded_redis
    from ifixit.testing.processes import start, wait_for

    log_dir.mkdir(parents=True, exist_ok=True)
    started = []
    try:
        for name, command in procfile():
            if name == "redis":
                if not settings.REDIS_IS_EMBEDDED:
                    continue
                proc = start(name, ["sh", "-c", f"exec {command}"], log_dir, env)
                started.append(proc)
                wait_for(lambda: embedded_redis.is_up(Path(settings.EMBEDDED_REDIS_SOCKET)), 30, "Redis")
                continue
            process_env = dict(env, DJANGO_SETTINGS_MODULE=WEB_SETTINGS) if name == "web" else env
            started.append(start(name, ["sh", "-c", f"exec {command}"], log_dir, process_env))
    except BaseException:
        stop_system(started)
        raise
    return started


def stop_system(procs: list) -> None:
    """TERM to every process group (Redis last, so the others close cleanly), KILL after 15 s."""
    for group in ([p for p in procs if p.name != "redis"], [p for p in procs if p.name == "redis"]):
        for proc in group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.popen.pid, signal.SIGTERM)
        for proc in group:
            try:
                proc.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(timeout=10)


def wait_healthy(base: str, procs: list, timeout: float = 120) -> None:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.popen.poll() is not None:
                raise SystemExit(f"{proc.name} exited:\n{proc.log()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"the web node did not answer /healthz within {timeout:.0f} s")


def wait_for_lots(minimum: int = 20, timeout: float = 90) -> int:
    """The auction board fills from the simulator through the feeds process."""
    from ifixit.auctions.models import Lot

    deadline = time.monotonic() + timeout
    while (count := Lot.objects.exclude(stage=Lot.Stage.CLOSED).count()) < minimum and time.monotonic() < deadline:
        time.sleep(1)
    return count


# --- The simulated staff --------------------------------------------------------------------


def role_counts(users: int) -> dict[str, int]:
    total = sum(ROLE_SHARES.values())
    counts = {role: max(1, round(users * share / total)) for role, share in ROLE_SHARES.items()}
    counts["sales"] += users - sum(counts.values())  # the rounding's remainder
    return counts


def signed_in(user):
    """A test client signed in as `user` through Django's own sign-in, past the second factor
    where the user's role must use one (a confirmed authenticator app, as they would have)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ifixit.accounts import two_factor

    client = Client()
    client.force_login(user)
    if two_factor.required_for(user):
        device = two_factor.app_device(user) or TOTPDevice.objects.create(
            user=user, name=two_factor.APP_DEVICE_NAME, confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def make_staff(users: int) -> list[dict]:
    """A signed-in session and an API token for each simulated member of staff, made through
    Django's own sign-in and accounts.services (no password hashing during the run: sign-ins
    are not what is measured). Admins' and managers' sessions have passed the second factor."""
    from ifixit.accounts.models import User
    from ifixit.accounts.services import api_token_create
    from ifixit.inventory.demo_data import STAFF
    from ifixit.reports import catalogue

    accounts = {
        role: [User.objects.get(username=name) for name, _, _, r, _ in STAFF if r == role] for role in ROLE_SHARES
    }
    staff = []
    for role, count in role_counts(users).items():
        for i in range(count):
            user = accounts[role][i % len(accounts[role])]
            client = signed_in(user)
            _, token = api_token_create(user=user, name=f"load bench {len(staff)}")
            reports = {r.key: r.default_period for r in catalogue.available_to(user) if r.key in REPORT_KEYS}
            staff.append({
                "username": user.username, "role": role, "session": client.cookies["sessionid"].value,
                "token": token, "address": f"10.20.{len(staff) // 250}.{len(staff) % 250 + 1}", "reports": reports,
            })  # fmt: skip
    random.Random(7).shuffle(staff)  # roles arrive mixed during the ramp-up
    return staff


# --- Measuring ------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    import psutil

    try:
        tree = [psutil.Process(pid)]
        tree += tree[0].children(recursive=True)
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in tree:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def snapshot(base: str, procs: list) -> dict:
    """What the run is measured against: the app's counters (/metrics, answered to a direct
    request from this machine), Redis's keyspace hits and misses, each process's CPU time."""
    import httpx
    import redis
    from django.conf import settings
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[tuple, float] = {}
    response = httpx.get(f"{base}/metrics", timeout=30)
    if response.status_code == 200:
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    info = redis.Redis.from_url(settings.REDIS_URL).info("stats")
    cpu = {proc.name: _cpu_seconds(proc.popen.pid) for proc in procs}
    return {
        "metrics": values,
        "redis": (info["keyspace_hits"], info["keyspace_misses"]),
        "cpu": cpu,
        "at": time.monotonic(),
        "epoch": time.time(),
    }


def run_locust(args, base: str, staff_file: Path, out_dir: Path, run_for: float) -> tuple[Path, float]:
    """locust in its own process (gevent stays out of this one), bounded by `run_for`; the
    raw samples it writes (bench/locustfile.py), and the CPU seconds it used."""
    import psutil

    env = dict(
        os.environ, BENCH_LOAD_STAFF=str(staff_file), BENCH_LOAD_SAMPLES=str(out_dir / "samples.json"),
        BENCH_LOAD_THINK=args.think,
    )  # fmt: skip
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{run_for:.0f}s", "--host", base,
        "--csv", str(out_dir / "locust"), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10",
    ]  # fmt: skip
    with open(out_dir / "locust.log", "wb") as log:
        popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        watched = psutil.Process(popen.pid)
        cpu = 0.0
        try:
            while popen.poll() is None:
                with contextlib.suppress(psutil.Error):
                    times = watched.cpu_times()
                    cpu = times.user + times.system
                time.sleep(0.5)
        finally:
            if popen.poll() is None:
                os.killpg(popen.pid, signal.SIGTERM)
                popen.wait(timeout=30)
    samples = out_dir / "samples.json"
    if not samples.exists():
        raise SystemExit(f"locust wrote no samples; its log:\n{(out_dir / 'locust.log').read_text()[-3000:]}")
    return samples, cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(samples: list[dict], window: float) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for s in samples:
        row = rows.setdefault(s["name"], {"times": [], "errors": 0, "sample": ""})
        row["times"].append(s["ms"])
        if s["error"]:
            row["errors"] += 1
            row["sample"] = row["sample"] or s["error"]
    for row in rows.values():
        times = row["times"]
        row.update(n=len(times), rps=len(times) / window, p50=statistics.median(times), p95=percentile(times, 0.95),
                   p99=percentile(times, 0.99))  # fmt: skip
    return rows


def _delta(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after["metrics"].get(key, 0.0) - before["metrics"].get(key, 0.0)


def _by_view(before: dict, after: dict) -> dict[str, tuple[float, float, float]]:
    """view -> (requests, mean server ms, mean queries) over the window, from /metrics."""
    views = {dict(labels)["view"] for name, labels in after["metrics"] if name == "ifixit_http_request_queries_count"}
    out = {}
    for view in views:
        n = _delta(before, after, "ifixit_http_request_queries_count", view=view)
        if n <= 0:
            continue
        queries = _delta(before, after, "ifixit_http_request_queries_sum", view=view) / n
        seconds = sum(
            _delta(before, after, "ifixit_http_request_duration_seconds_sum", view=view, method=m)
            for m in ("GET", "POST")
        )
        out[view] = (n, seconds / n * 1000, queries)
    return out


def report(rows: dict[str, dict], before: dict, after: dict, locust_cpu: float, args, lots: int) -> None:
    from django.conf import settings

    window = after["at"] - before["at"]
    print(f"\n{args.users} staff, think time {args.think} s, {window:.0f} s measured after the ramp-up and "
          f"{args.warm_up} s of warm-up; {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, Redis {settings.REDIS_URL}; "
          f"{lots} open auction lots at the start")  # fmt: skip
    print(
        f"\n{'page / endpoint':<28} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
    )
    for name in sorted(rows):
        r = rows[name]
        print(
            f"{name:<28} {r['n']:>8} {r['rps']:>6.1f} {r['p50']:>7.0f} {r['p95']:>7.0f} {r['p99']:>7.0f} {r['errors']:>6}"
        )
    total = sum(r["n"] for r in rows.values())
    errors = sum(r["errors"] for r in rows.values())
    print(f"{'all':<28} {total:>8} {total / window:>6.1f} {'':>7} {'':>7} {'':>7} {errors:>6}")
    for name, r in sorted(rows.items()):
        if r["errors"]:
            print(f"  error sample, {name}: {r['sample']}")

    print(f"\n{'API list vs bare view':<28} {'ratio p50':>9} {'ratio req/s':>11} {'api p50':>8} {'bare p50':>8}")
    for api, bare in PAIRS.items():
        if api in rows and bare in rows:
            a, b = rows[api], rows[bare]
            print(
                f"{api:<28} {b['p50'] / a['p50']:>9.2f} {a['rps'] / b['rps']:>11.2f} {a['p50']:>8.0f} {b['p50']:>8.0f}"
            )
    print("  ratio = bare p50 / endpoint p50 (goal at least 0.5); req/s are alike by design (paired requests)")

    print(f"\n{'view (server side, /metrics)':<34} {'requests':>8} {'mean ms':>8} {'queries':>8}")
    for view, (n, ms, queries) in sorted(_by_view(before, after).items(), key=lambda item: -item[1][1]):
        print(f"{view:<34} {n:>8.0f} {ms:>8.1f} {queries:>8.1f}")

    print()
    for cache in ("ifixit", "ifixit-throttle"):
        hits = _delta(before, after, "ifixit_cache_hits_total", cache=cache)
        misses = _delta(before, after, "ifixit_cache_misses_total", cache=cache)
        if hits + misses:
            print(
                f"cache {cache!r} (app counters): {hits:.0f} hits, {misses:.0f} misses, hit ratio {hits / (hits + misses):.1%}"
            )
        else:
            print(f"cache {cache!r} (app counters): no reads in the window")
    hits, misses = (a - b for a, b in zip(after["redis"], before["redis"], strict=True))
    ratio = f"{hits / (hits + misses):.1%}" if hits + misses else "n/a"
    print(f"Redis keyspace (cache, throttles, Celery broker and channel layer share it): {hits} hits, {misses} misses, "
          f"hit ratio {ratio}")  # fmt: skip
    used = {name: after["cpu"][name] - before["cpu"].get(name, 0.0) for name in after["cpu"]}
    print(
        f"CPU over the window, share of one core ({os.cpu_count()} cores, shared with whatever else runs): "
        + ", ".join(f"{name} {seconds / window:.0%}" for name, seconds in sorted(used.items(), key=lambda i: -i[1]))
    )
    print(f"locust (the load generator, on the same cores): {locust_cpu:.1f} s of CPU over its whole run")


class SqlTimer:
    """Counts and times the queries run while it is installed (connection.execute_wrapper)."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def profile(paths: list[str], username: str, repeat: int) -> None:
    """Each path answered `repeat` times in this process through Django's test client (the
    production settings; the system still up, idle), under pyinstrument, as `username`: the
    call tree of where the time goes, with the queries each request ran. /api/ paths use an
    API token, pages the session; {car}, {customer} and {lot} in a path become the id of the
    newest one the user can see."""
    from django.db import connection
    from pyinstrument import Profiler

    from ifixit.accounts.models import User
    from ifixit.accounts.services import api_token_create
    from ifixit.auctions.models import Lot
    from ifixit.crm.selectors import customers_visible_to
    from ifixit.inventory.selectors import cars_visible_to

    user = User.objects.get(username=username)
    client = signed_in(user)
    ids = {
        "car": cars_visible_to(user).order_by("-id").values_list("id", flat=True).first(),
        "customer": customers_visible_to(user).order_by("-id").values_list("id", flat=True).first(),
        "lot": Lot.objects.exclude(stage=Lot.Stage.CLOSED).order_by("-id").values_list("id", flat=True).first(),
    }
    _, token = api_token_create(user=user, name="load bench profile")
    for path in (p.format(**ids) for p in paths):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if path.startswith("/api/") else {}
        get = functools.partial(client.get, path, secure=True, **extra)
        first = get()
        if first.status_code != 200:
            print(f"\nprofile {path}: answered {first.status_code}, not profiled")
            continue
        sql = SqlTimer()
        with connection.execute_wrapper(sql):
            started = time.perf_counter()
            for _ in range(repeat):
                get()
            each = (time.perf_counter() - started) / repeat * 1000
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(repeat):
                get()
        print(f"\n=== profile {path} as {username}: {each:.1f} ms a request (mean of {repeat}, unprofiled), "
              f"{sql.count / repeat:.1f} queries taking {sql.seconds / repeat * 1000:.1f} ms")  # fmt: skip
        flat = profiler.output_text(unicode=False, color=False, flat=True, flat_time="self")
        print("\n".join(flat.splitlines()[:40]))
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:12000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated staff (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="measured seconds (default 60)")
    parser.add_argument("--warm-up", type=int, default=10, help="seconds run after the ramp-up, not measured")
    parser.add_argument("--spawn-rate", type=float, default=10, help="staff starting per second (default 10)")
    parser.add_argument(
        "--profile", action="append", default=[], metavar="PATH", help="after the run, profile this path (repeatable)"
    )
    parser.add_argument("--profile-as", default="admin", help="the demo user the profile signs in as (default admin)")
    parser.add_argument("--think", default="1-5", help="think time between a user's requests, seconds: MIN-MAX")
    args = parser.parse_args()
    if not re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", args.think):
        parser.error("--think must be MIN-MAX in seconds, e.g. 1-5")
    if args.users < len(ROLE_SHARES):
        parser.error(f"--users must be at least {len(ROLE_SHARES)}, one of each role")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    print(f"setting up in {VAR_DIR} (migrations, demo data: about a minute; log: setup.log)", flush=True)
    env = prepare(VAR_DIR)
    base = f"http://127.0.0.1:{env['IFIXIT_PORT']}"
    procs = start_system(env, VAR_DIR / "logs")
    try:
        wait_healthy(base, procs)
        lots = wait_for_lots()
        staff = make_staff(args.users)
        staff_file = VAR_DIR / "staff.json"
        staff_file.write_text(json.dumps({"staff": staff, "pairs": PAIRS}))
        starts = args.users / args.spawn_rate + args.warm_up
        print(f"system up on {base} ({', '.join(p.name for p in procs)}); {len(staff)} staff signed in; "
              f"{lots} open lots; locust runs for {starts + args.seconds:.0f} s", flush=True)  # fmt: skip
        # The window: from the ramp-up and the warm-up (each view's first requests load its
        # templates and code) to just before locust stops the users; samples are kept by their
        # own start times (epoch) within it.
        snaps: dict[str, dict] = {}
        timers = [
            threading.Timer(starts, lambda: snaps.setdefault("before", snapshot(base, procs))),
            threading.Timer(starts + args.seconds, lambda: snaps.setdefault("after", snapshot(base, procs))),
        ]
        for timer in timers:
            timer.start()
        try:
            samples_file, locust_cpu = run_locust(args, base, staff_file, VAR_DIR, run_for=starts + args.seconds + 1)
        finally:
            for timer in timers:
                timer.cancel()
        if "before" not in snaps or "after" not in snaps:
            raise SystemExit(f"locust stopped early; its log:\n{(VAR_DIR / 'locust.log').read_text()[-3000:]}")
        before, after = snaps["before"], snaps["after"]
        data = json.loads(samples_file.read_text())
        measured = [s for s in data if before["epoch"] <= s["start"] <= after["epoch"]]
        rows = summarise(measured, after["at"] - before["at"])
        report(rows, before, after, locust_cpu, args, lots)
        print(f"\nlogs and locust's own CSV in {VAR_DIR}")
        if args.profile:
            profile(args.profile, args.profile_as, repeat=20)
    finally:
        stop_system(procs)


if __name__ == "__main__":
    main()
