"""What job recording and metrics cost the feed: `make bench-jobs`.

The feed bench (bench/feeds.py: simulator at --rate, the real feeds process, a web node
pushing to WebSocket clients), with the job machinery of a deployment beside it: a real
Celery worker and the outbox relay running the alert matching each stored batch asks for,
against bidding preferences of --buyers buyers. Measured in rounds that alternate

- off: JOBS_RECORDING=0 and METRICS_ENABLED=0 (tasks run, nothing is recorded or counted),
- on:  every run recorded in the job history, every process counting Prometheus metrics,

so that the ratio holds on a noisy machine. Printed per mode: events stored per second,
end-to-end p50/p99, the matching tasks run and the job-history rows written per second; the
throughput the "on" mode loses (goal: under 5%); then the `/metrics` scrape time beside
`/healthz` (a database and a Redis round trip) on the same web node. Timing lives here,
never in tests.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feeds  # bench/ is not a package: its scripts import each other by path

MODES = {
    "off": {"JOBS_RECORDING": "0", "METRICS_ENABLED": "0"},
    "on": {"JOBS_RECORDING": "1", "METRICS_ENABLED": "1"},
}
METRICS_TOKEN = "bench-only-metrics-token-" + "m" * 16


def _preferences(buyers: int, seed: int = 11) -> int:
    """Bidding preferences shaped like a dealer group's buyers' (one to three makes, a price
    maximum, now and then a year limit), so that matching has work to do."""
    from ifixit import vocabulary
    from ifixit.accounts import roles
    from ifixit.accounts.models import User
    from ifixit.accounts.services import user_set_role
    from ifixit.auctions.services import PreferenceInput, preference_save

    rng = random.Random(seed)
    makes = list(vocabulary.MAKES)
    made = 0
    for i in range(buyers):
        user = User.objects.create_user(f"bench-buyer-{i}", password="bench-password-not-secret")
        user_set_role(user=user, role=roles.BUYER)
        for j in range(3):
            preference_save(user=user, data=PreferenceInput(
                name=f"Preference {j + 1}", makes=rng.sample(makes, rng.randint(1, 3)),
                price_max=rng.choice([3_000, 5_000, 7_500, 10_000, 20_000]),
                year_min=rng.choice([None, 2012, 2016]),
            ))
            made += 1
    return made


def _jobs_counts() -> tuple[int, int]:
    from ifixit.jobs.models import JobRun, OutboxMessage

    return OutboxMessage.objects.filter(published_at__isnull=False).count(), JobRun.objects.count()


def _scrape_times(repeat: int, env: dict[str, str], log_dir: Path) -> dict:
    """Median and p95 of GET /metrics and GET /healthz on one web node, after the rounds (so
    the multiprocess files hold what the rounds counted)."""
    import logging

    import httpx

    from ifixit.testing.processes import start_web

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise

    web = start_web("bench-scrape-web", log_dir, dict(env, **MODES["on"], METRICS_TOKEN=METRICS_TOKEN))
    timings: dict[str, list[float]] = {"/metrics": [], "/healthz": []}
    size = series = 0
    try:
        with httpx.Client(base_url=web.url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30) as client:
            for _ in range(3):  # warm up both
                client.get("/metrics"), client.get("/healthz")
            for _ in range(repeat):
                for path, times in timings.items():
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    if path == "/metrics":
                        if response.status_code != 200:
                            raise SystemExit(f"/metrics answered {response.status_code}: is METRICS_TOKEN honoured?")
                        size = len(response.content)
                        series = sum(1 for line in response.text.splitlines() if line and not line.startswith("#"))
    finally:
        web.kill()

    def p95(values):
        return sorted(values)[min(len(values) - 1, int(0.95 * len(values)))]

    return {path: (statistics.median(v), p95(v)) for path, v in timings.items()} | {"size": size, "series": series}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=2000, help="events per second the simulator sends")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each mode, alternating")
    parser.add_argument("--buyers", type=int, default=30, help="buyers with three bidding preferences each")
    parser.add_argument("--lanes", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=300, help="simulated seconds per wall second")
    parser.add_argument("--scrapes", type=int, default=30)
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-jobs"
    redis_proc = feeds.setup(var_dir)
    from django.conf import settings

    from ifixit.testing.processes import start_relay, start_worker

    log_dir = var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, list] = {mode: [] for mode in MODES}
    try:
        _, cookie = feeds.signed_in_buyer()
        preferences = _preferences(args.buyers)
        env = feeds.base_env()
        for round_number in range(args.rounds):
            for mode, switches in MODES.items():
                mode_env = dict(env, **switches)
                name = f"r{round_number}-{mode}"
                worker = start_worker(f"{name}-worker", log_dir, feeds.deployed(mode_env))
                relay = start_relay(log_dir, feeds.deployed(mode_env))
                try:
                    published_before, runs_before = _jobs_counts()
                    run = feeds.measure(rate=args.rate, clients=args.clients, seconds=args.seconds, lanes=args.lanes, time_scale=args.time_scale,
                                        cookie=cookie, log_dir=log_dir, env=mode_env, name=name)
                    published_after, runs_after = _jobs_counts()
                finally:
                    relay.kill()
                    worker.kill()
                # The counts span the warm-up too: per second of the whole feeds run.
                feed_seconds = args.seconds + 5
                results[mode].append((run, (published_after - published_before) / feed_seconds, (runs_after - runs_before) / feed_seconds))
                print(f"round {round_number + 1} {mode:>3}: {run.stored:,.0f} events/s, p99 {run.latency_ms(0.99) or 0:.0f} ms", flush=True)
        scrape = _scrape_times(args.scrapes, env, log_dir)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()

    print()
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, Redis: {settings.REDIS_URL}; "
          f"{preferences} bidding preferences, {args.clients} WebSocket clients, simulator at {args.rate:.0f} events/s, "
          f"{args.rounds} rounds x {args.seconds:.0f} s per mode")
    print(f"{'mode':<5} {'stored events/s':>16} {'p50 ms':>7} {'p99 ms':>7} {'tasks/s':>8} {'history rows/s':>15}")
    medians = {}
    for mode, runs in results.items():
        stored = statistics.median(r.stored for r, _, _ in runs)
        p50 = statistics.median(r.latency_ms(0.50) or 0 for r, _, _ in runs)
        p99 = statistics.median(r.latency_ms(0.99) or 0 for r, _, _ in runs)
        tasks = statistics.median(t for _, t, _ in runs)
        history = statistics.median(h for _, _, h in runs)
        medians[mode] = (stored, p99)
        print(f"{mode:<5} {stored:>16,.0f} {p50:>7.0f} {p99:>7.0f} {tasks:>8.1f} {history:>15.1f}")
    lost = 1 - medians["on"][0] / medians["off"][0] if medians["off"][0] else 0
    print(f"throughput lost with recording and metrics on: {lost:.1%} (goal: under 5%); p99 {medians['on'][1] - medians['off'][1]:+.0f} ms")
    m_med, m_p95 = scrape["/metrics"]
    h_med, h_p95 = scrape["/healthz"]
    print(f"/metrics scrape: median {m_med:.1f} ms, p95 {m_p95:.1f} ms ({scrape['series']:,} series, {scrape['size'] / 1024:.0f} KiB); "
          f"/healthz on the same node: median {h_med:.1f} ms, p95 {h_p95:.1f} ms")


if __name__ == "__main__":
    main()
