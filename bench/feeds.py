"""Feed throughput and end-to-end latency: `make bench-feeds`.

The simulator (in this process, so each event's send time is known exactly) produces
events at --rate; the real feeds consumer stores and publishes them; a real web node
(uvicorn, its own process) pushes them to --clients WebSocket clients signed in as a
buyer. Reported: events stored per second, sustained, and the latency from the
simulator making an event to each client receiving it (p50, p99). Timing lives here,
never in tests.

`measure(...)` is what bench/jobs.py calls to run the same measurement with the job
machinery (worker, relay, recording, metrics) on and off.
"""

import argparse
import asyncio
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class FeedRun:
    asked: float
    made: float  # events/s the simulator made during the measurement
    stored: float  # events/s stored and published, sustained
    seconds: float
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds, sorted

    def latency_ms(self, q: float) -> float | None:
        if not self.latencies:
            return None
        return self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))] * 1000


def setup(var_dir: Path):
    """A throw-away database under var_dir (unless DATABASE_URL names one), migrated; the
    embedded Redis started when the profile uses it. Returns the Redis process or None."""
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    os.environ.setdefault("IFIXIT_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # setup code below runs before the loop's work

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from ifixit import embedded_redis

    redis_proc = embedded_redis.ensure_running(Path(settings.EMBEDDED_REDIS_SOCKET)) if settings.REDIS_IS_EMBEDDED else None
    call_command("migrate", verbosity=0)
    return redis_proc


def signed_in_buyer(username: str = "bench-buyer"):
    """A buyer (created once) and the session cookie of a sign-in as them."""
    from django.test import Client

    from ifixit.accounts import roles
    from ifixit.accounts.models import User
    from ifixit.accounts.services import user_set_role

    buyer = User.objects.filter(username=username).first()
    if buyer is None:
        buyer = User.objects.create_user(username, password="bench-password-not-secret")
        user_set_role(user=buyer, role=roles.BUYER)
    client = Client()
    client.force_login(buyer)
    return buyer, client.cookies["sessionid"].value


def base_env() -> dict[str, str]:
    """What every process of the bench runs with: this bench's database and Redis."""
    from django.conf import settings

    from ifixit.testing.processes import process_env

    env = process_env()
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", f"sqlite:///{settings.DATABASES['default']['NAME']}")
    return env


def deployed(env: dict[str, str]) -> dict[str, str]:
    """A back-end process (feeds, worker, relay) as deployed: DEBUG off (with it on, Django
    keeps and formats every query)."""
    return dict(env, DEBUG="0", SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-" + "k" * 60))


def measure(*, rate: float, clients: int, seconds: float, lanes: int, time_scale: float, cookie: str, log_dir: Path, env: dict[str, str], name: str = "bench", warm_up: float = 5) -> FeedRun:
    """One measurement: a fresh simulator and source, a web node and a feeds process started
    with `env`, `clients` WebSocket clients; the processes are stopped afterwards."""
    import aiohttp

    from ifixit.auctions.models import AuctionSource, FeedHealth
    from ifixit.auctions.simulator import SimulatorConfig, SimulatorServer
    from ifixit.testing.processes import BIN, start, start_web

    log_dir.mkdir(parents=True, exist_ok=True)
    web = start_web(f"{name}-web", log_dir, env)
    # Simulated time runs ahead of wall time so that the rate, not the lots, sets the pace;
    # latency is measured from each event's wall-clock making (made_at), not its `at`.
    config = SimulatorConfig(seed=3, lots=0, lanes=lanes, rate=rate, time_scale=time_scale)
    latencies: list[float] = []
    try:
        with SimulatorServer(config) as simulator:
            source = AuctionSource.objects.create(name=name, url=simulator.url)
            FeedHealth.objects.create(source=source)

            async def client_task(stop: asyncio.Event, ready: asyncio.Event, counter: list):
                async with (
                    aiohttp.ClientSession(cookies={"sessionid": cookie}) as session,
                    session.ws_connect(web.url.replace("http", "ws") + "/ws/auctions/", headers={"Origin": web.url}) as ws,
                ):
                    counter.append(1)
                    if len(counter) == clients:
                        ready.set()
                    while not stop.is_set():
                        try:
                            message = await asyncio.wait_for(ws.receive_json(), timeout=0.5)
                        except TimeoutError:
                            continue
                        now = time.time()
                        for update in message.get("updates", []):
                            latencies.append(now - simulator.made_at(update["seq"]))

            def stored_seq() -> int:
                return FeedHealth.objects.get(source=source).last_seq

            async def run():
                stop, ready, counter = asyncio.Event(), asyncio.Event(), []
                tasks = [asyncio.create_task(client_task(stop, ready, counter)) for _ in range(clients)]
                await asyncio.wait_for(ready.wait(), 30)
                feeds = start(f"{name}-feeds", [str(BIN / "python"), "manage.py", "run_feeds"], log_dir, deployed(env))
                try:
                    await asyncio.sleep(warm_up)  # start, connect, catch up
                    latencies.clear()
                    start_seq, started, made_before = await asyncio.to_thread(stored_seq), time.monotonic(), simulator.simulator.event_log.seq
                    await asyncio.sleep(seconds)
                    stored = await asyncio.to_thread(stored_seq) - start_seq
                    elapsed = time.monotonic() - started
                    made = simulator.simulator.event_log.seq - made_before
                finally:
                    feeds.kill()
                stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)
                return stored / elapsed, made / elapsed

            stored_rate, made_rate = asyncio.run(run())
    finally:
        web.kill()
    latencies.sort()
    return FeedRun(asked=rate, made=made_rate, stored=stored_rate, seconds=seconds, clients=clients, latencies=latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=2000, help="events per second the simulator sends")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--lanes", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=300, help="simulated seconds per wall second")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-feeds"
    redis_proc = setup(var_dir)
    from django.conf import settings

    try:
        _, cookie = signed_in_buyer()
        result = measure(rate=args.rate, clients=args.clients, seconds=args.seconds, lanes=args.lanes, time_scale=args.time_scale, cookie=cookie, log_dir=var_dir / "logs", env=base_env())
    finally:
        if redis_proc is not None:
            redis_proc.terminate()

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, Redis: {settings.REDIS_URL}")
    print(f"simulator asked for {args.rate:.0f} events/s; made {result.made:,.0f} events/s during the measurement")
    print(f"stored and published: {result.stored:,.0f} events/s sustained over {args.seconds:.0f} s")
    if result.latencies:
        print(f"end-to-end latency over {len(result.latencies):,} deliveries to {args.clients} clients: "
              f"p50 {result.latency_ms(0.50):.0f} ms, p99 {result.latency_ms(0.99):.0f} ms, max {result.latencies[-1] * 1000:.0f} ms")
    else:
        print("no deliveries measured")


if __name__ == "__main__":
    main()
