"""Feed throughput and end-to-end latency: `make bench-feeds`.

The simulator (in this process, so each event's send time is known exactly) produces
events at --rate; the real feeds consumer stores and publishes them; a real web node
(uvicorn, its own process) pushes them to --clients WebSocket clients signed in as a
buyer. Reported: events stored per second, sustained, and the latency from the
simulator making an event to each client receiving it (p50, p99). Timing lives here,
never in tests.
"""

import argparse
import asyncio
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
    parser.add_argument("--rate", type=float, default=2000, help="events per second the simulator sends")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--lanes", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=300, help="simulated seconds per wall second")
    args = parser.parse_args()

    var_dir = ROOT / "var" / "bench-feeds"
    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(var_dir, ignore_errors=True)
    os.environ.setdefault("IFIXIT_VAR_DIR", str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # setup code below runs before the loop's work

    import django

    django.setup()
    import aiohttp
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from ifixit import embedded_redis
    from ifixit.accounts import roles
    from ifixit.accounts.models import User
    from ifixit.accounts.services import user_set_role
    from ifixit.auctions.models import AuctionSource, FeedHealth
    from ifixit.auctions.simulator import SimulatorConfig, SimulatorServer
    from ifixit.testing.processes import BIN, process_env, start, start_web

    redis_proc = embedded_redis.ensure_running(Path(settings.EMBEDDED_REDIS_SOCKET)) if settings.REDIS_IS_EMBEDDED else None
    call_command("migrate", verbosity=0)
    buyer = User.objects.create_user("bench-buyer", password="bench-password-not-secret")
    user_set_role(user=buyer, role=roles.BUYER)
    client = Client()
    client.force_login(buyer)
    cookie = client.cookies["sessionid"].value
    log_dir = var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = process_env()
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", f"sqlite:///{settings.DATABASES['default']['NAME']}")
    web = start_web("bench-web", log_dir, env)

    # Simulated time runs ahead of wall time so that --rate, not the lots, sets the pace;
    # latency is measured from each event's wall-clock making (made_at), not its `at`.
    config = SimulatorConfig(seed=3, lots=0, lanes=args.lanes, rate=args.rate, time_scale=args.time_scale)
    latencies: list[float] = []
    try:
        with SimulatorServer(config) as simulator:
            source = AuctionSource.objects.create(name="bench", url=simulator.url)
            FeedHealth.objects.create(source=source)

            async def client_task(stop: asyncio.Event, ready: asyncio.Event, counter: list):
                async with aiohttp.ClientSession(cookies={"sessionid": cookie}) as session:
                    async with session.ws_connect(web.url.replace("http", "ws") + "/ws/auctions/", headers={"Origin": web.url}) as ws:
                        counter.append(1)
                        if len(counter) == args.clients:
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
                clients = [asyncio.create_task(client_task(stop, ready, counter)) for _ in range(args.clients)]
                await asyncio.wait_for(ready.wait(), 30)
                # The feeds process as deployed: its own process, beside the web node.
                # As in production: DEBUG off (with it on, Django keeps and formats every query).
                feeds_env = dict(env, DEBUG="0", SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-" + "k" * 60))
                feeds = start("bench-feeds", [str(BIN / "python"), "manage.py", "run_feeds"], log_dir, feeds_env)
                try:
                    await asyncio.sleep(5)  # warm up: start, connect, catch up
                    latencies.clear()
                    start_seq, started, made_before = await asyncio.to_thread(stored_seq), time.monotonic(), simulator.simulator.event_log.seq
                    await asyncio.sleep(args.seconds)
                    stored = await asyncio.to_thread(stored_seq) - start_seq
                    elapsed = time.monotonic() - started
                    made = simulator.simulator.event_log.seq - made_before
                finally:
                    feeds.kill()
                stop.set()
                await asyncio.gather(*clients, return_exceptions=True)
                return stored / elapsed, made / elapsed

            rate, produced = asyncio.run(run())
    finally:
        web.kill()
        if redis_proc is not None:
            redis_proc.terminate()

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, Redis: {settings.REDIS_URL}")
    print(f"simulator asked for {args.rate:.0f} events/s; made {produced:,.0f} events/s during the measurement")
    print(f"stored and published: {rate:,.0f} events/s sustained over {args.seconds:.0f} s")
    if latencies:
        print(f"end-to-end latency over {len(latencies):,} deliveries to {args.clients} clients: "
              f"p50 {p(0.50):.0f} ms, p99 {p(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    else:
        print("no deliveries measured")


if __name__ == "__main__":
    main()
