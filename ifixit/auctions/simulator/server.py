"""The simulator as a web site (aiohttp): the WebSocket stream, snapshot, replay and stats
endpoints and webhook delivery of docs/auction-feed-protocol.md, fed by a Market at a
chosen pace.

Every event is kept, as the JSON text it is sent as, in one in-memory list indexed by
seq: /events answers from it exactly, and each WebSocket connection is just a cursor
into it. A connection replaying with ?after=SEQ and one following live run the same
loop, so there is no hand-over from replay to live in which an event could be lost or
sent twice. Everything runs on one event loop: the market, the log and the snapshot
change together, between two awaits.

Three ways to run it: `run_simulator()` (blocking, the management command),
`SimulatorServer` (its own loop in a thread, for sync code and tests) and `Simulator`
(start()/stop() on the caller's loop).
"""

import asyncio
import json
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from ifixit.auctions.simulator.config import SimulatorConfig
from ifixit.auctions.simulator.faults import StreamFaults
from ifixit.auctions.simulator.market import Market, format_time
from ifixit.auctions.simulator.webhook import WebhookDelivery

log = logging.getLogger(__name__)

MAX_PAGE = 1000
UNLIMITED_BATCH = 100  # events made between two yields to the loop when the rate is unlimited
SEND_BATCH = 200  # frames sent to one connection between two yields to the loop


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


class EventLog:
    """The truth: every event ever produced, as sent; texts[seq - 1] is event `seq`.
    made_at[seq - 1] is the wall time (Unix seconds) it became available to every
    connection: events carry simulated times, so latency benchmarks measure from this."""

    def __init__(self):
        self.texts: list[str] = []
        self.made_at: list[float] = []
        self._grown = asyncio.Event()

    @property
    def seq(self) -> int:
        return len(self.texts)

    def append(self, event: dict) -> None:
        assert event["seq"] == len(self.texts) + 1, "the market numbers events one by one"
        self.texts.append(_dumps(event))
        self.made_at.append(time.time())

    def notify(self) -> None:
        self._grown.set()
        self._grown = asyncio.Event()

    async def wait_beyond(self, seq: int, timeout: float | None = None) -> bool:
        """Wait until an event after `seq` exists; False if `timeout` passed first."""
        while self.seq <= seq:
            grown = self._grown
            try:
                async with asyncio.timeout(timeout):
                    await grown.wait()
            except TimeoutError:
                return False
        return True


class Simulator:
    """The market, its event log and the web application, on the running event loop."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        start = config.start or datetime.now(UTC).replace(microsecond=0)
        self.market = Market(
            seed=config.seed, lots=config.lots, lanes=config.lanes, listed_ahead=config.listed_ahead, start=start
        )
        self.event_log = EventLog()
        self.webhook = (
            WebhookDelivery(
                url=config.webhook_url,
                secret=config.webhook_secret,
                attempts=config.webhook_attempts,
                event_log=self.event_log,
            )
            if config.webhook_url
            else None
        )
        self.connections = 0  # WebSocket connections ever opened: seeds each one's faults
        self.on_finished: Callable[[], None] | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: list[asyncio.Task] = []
        self._runner: web.AppRunner | None = None
        self._finished_at: float | None = None  # loop time when the last lot ended
        self.url = ""

    # -- lifecycle

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feed", self.feed)
        app.router.add_get("/snapshot", self.snapshot)
        app.router.add_get("/events", self.events)
        app.router.add_get("/stats", self.stats)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (port 0: any free port), start producing; the base URL."""
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown_host}:{bound_port}"
        self._spawn(self._produce(), "auction-simulator-producer")
        if self.webhook:
            self._spawn(self.webhook.run(), "auction-simulator-webhook")
        return self.url

    def _spawn(self, coroutine, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"simulator stopping")
        if self._runner is not None:
            await self._runner.cleanup()

    # -- producing

    async def _produce(self) -> None:
        """Run the market at `rate` events a second (a token bucket allowing short
        bursts to catch up), no faster than `time_scale` allows when one is set."""
        loop = asyncio.get_running_loop()
        config = self.config
        market = self.market
        rate = config.rate
        burst = max(1.0, rate * 0.05)
        tokens = 0.0
        last = began = loop.time()
        simulated_start = market.now
        while (next_at := market.next_time()) is not None:
            now = loop.time()
            if config.time_scale:
                due = began + (next_at - simulated_start) / 1000 / config.time_scale
                if due > now:
                    await asyncio.sleep(due - now)
                    continue
            if rate:
                tokens = min(burst, tokens + (now - last) * rate)
                last = now
                if tokens < 1:
                    await asyncio.sleep(max((1 - tokens) / rate, 0.005))
                    continue
            allowed = int(tokens) if rate else UNLIMITED_BATCH
            made = 0
            while made < allowed and (next_at := market.next_time()) is not None:
                if config.time_scale and began + (next_at - simulated_start) / 1000 / config.time_scale > now:
                    break
                for event in market.step():
                    self.event_log.append(event)
                    made += 1
            tokens -= made
            if made:
                self.event_log.notify()
            await asyncio.sleep(0)
        self._finished_at = loop.time()
        log.info("auction simulator: all %s lots ended after %s events", market.lots_listed, market.seq)
        if self.on_finished:
            self.on_finished()

    def clock(self) -> int:
        """The simulated time (epoch ms): the last event's, ticking on (scaled) once the sale is over."""
        if self._finished_at is None:
            return self.market.now
        elapsed = asyncio.get_running_loop().time() - self._finished_at
        return self.market.now + int(elapsed * 1000 * (self.config.time_scale or 1))

    def heartbeat(self, seq: int) -> str:
        return _dumps({"type": "heartbeat", "seq": seq, "at": format_time(self.clock())})

    # -- HTTP

    async def snapshot(self, request: web.Request) -> web.Response:
        return web.json_response(text=_dumps(self.market.snapshot()))

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(text=_dumps(self.market.stats()))

    async def events(self, request: web.Request) -> web.Response:
        after = _int_param(request, "after", default=0)
        limit = min(_int_param(request, "limit", default=MAX_PAGE, minimum=1), MAX_PAGE)
        page = self.event_log.texts[after : after + limit]
        # The seq of the last event in the page (page on from it); with nothing after
        # `after`, the newest seq there is.
        last_seq = after + len(page) if page else self.event_log.seq
        return web.json_response(text=f'{{"events":[{",".join(page)}],"last_seq":{last_seq}}}')

    # -- WebSocket

    async def feed(self, request: web.Request) -> web.WebSocketResponse:
        after = _int_param(request, "after", default=None)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        faults = None
        if self.config.has_faults:
            faults = StreamFaults(self.config, random.Random(f"{self.config.seed}:{self.connections}"))
        # Taken before any await: a client without ?after starts with the next event.
        cursor = self.event_log.seq + 1 if after is None else after + 1
        self._sockets.add(ws)
        sender = asyncio.create_task(self._send(ws, request, cursor, faults))
        try:
            async for _message in ws:
                pass  # clients have nothing to say; reading answers pings and the closing handshake
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            self._sockets.discard(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, request: web.Request, cursor: int, faults) -> None:
        loop = asyncio.get_running_loop()
        every = self.config.heartbeat_seconds
        next_heartbeat = loop.time() + every
        held: str | None = None  # an event the reorder fault sends after the next one
        sent = 0
        try:
            while not ws.closed:
                if cursor > self.event_log.seq:
                    if not await self.event_log.wait_beyond(cursor - 1, timeout=next_heartbeat - loop.time()):
                        if held is not None:
                            await ws.send_str(held)
                            held = None
                        # The last seq this connection was given: a consumer behind it missed some.
                        await ws.send_str(self.heartbeat(min(cursor - 1, self.event_log.seq)))
                        next_heartbeat = loop.time() + every
                    continue
                text = self.event_log.texts[cursor - 1]
                cursor += 1
                if faults is None:
                    await ws.send_str(text)
                else:
                    if (broken := faults.malformed(text)) is not None:
                        await ws.send_str(broken)
                    if delay := faults.delay():
                        await asyncio.sleep(delay)
                    if held is None and faults.reorder():
                        held = text
                    else:
                        await ws.send_str(text)
                        if held is not None:
                            await ws.send_str(held)
                            held = None
                        if faults.duplicate():
                            await ws.send_str(text)
                    if faults.drop_due():
                        await self._drop(ws, request, abruptly=faults.drop_abruptly())
                        return
                sent += 1
                if sent % SEND_BATCH == 0:
                    await asyncio.sleep(0)  # a long replay must not starve the producer and other clients
                if loop.time() >= next_heartbeat:
                    if held is not None:
                        await ws.send_str(held)
                        held = None
                    await ws.send_str(self.heartbeat(cursor - 1))
                    next_heartbeat = loop.time() + every
        except ConnectionError:
            pass  # the client went away; its handler cleans up

    async def _drop(self, ws: web.WebSocketResponse, request: web.Request, *, abruptly: bool) -> None:
        if abruptly and request.transport is not None:
            request.transport.abort()  # no closing handshake: as when a network path dies
        else:
            await ws.close(code=1011, message=b"fault: connection dropped")


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


def _int_param(request: web.Request, name: str, *, default: int | None, minimum: int = 0) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise web.HTTPBadRequest(
            text=_dumps({"error": f"{name} must be a whole number of at least {minimum}"}),
            content_type="application/json",
        )
    return value


async def _serve(
    config: SimulatorConfig,
    host: str,
    port: int,
    *,
    stop: asyncio.Event,
    on_ready: Callable[[Simulator], None],
    on_finished: Callable[[], None] | None = None,
) -> None:
    simulator = Simulator(config)
    simulator.on_finished = on_finished
    try:
        await simulator.start(host, port)
        on_ready(simulator)
        await stop.wait()
    finally:
        await simulator.stop()


def run_simulator(
    config: SimulatorConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (the management command). `on_ready` gets the base URL."""

    def ready(simulator: Simulator) -> None:
        if on_ready is not None:
            on_ready(simulator.url)

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await _serve(config, host, port, stop=stop, on_ready=ready)

    asyncio.run(main())


class SimulatorServer:
    """The simulator on its own event loop in a background thread, for sync code:

        with SimulatorServer(SimulatorConfig(lots=20, rate=0)) as server:
            requests.get(server.url + "/stats")
    """

    def __init__(self, config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.config = config or SimulatorConfig()
        self.host = host
        self.port = port
        self.url = ""
        self.simulator: Simulator | None = None
        self.finished = threading.Event()  # set when the last lot has ended
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/feed"

    def start(self, timeout: float = 10) -> "SimulatorServer":
        self._thread = threading.Thread(target=self._run, name="auction-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the auction simulator did not start in time")
        if self._error is not None:
            raise RuntimeError("the auction simulator could not start") from self._error
        return self

    def stop(self, timeout: float = 10) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_finished(self, timeout: float) -> bool:
        return self.finished.wait(timeout)

    def made_at(self, seq: int) -> float:
        """When event `seq` was made (Unix seconds), for latency measurements in process."""
        return self.simulator.event_log.made_at[seq - 1]

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _run(self) -> None:
        async def main():
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await _serve(
                self.config,
                self.host,
                self.port,
                stop=self._stop,
                on_ready=self._started,
                on_finished=self.finished.set,
            )

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to start(), which waits on _ready
            self._error = exc
            log.exception("auction simulator stopped with an error")
        finally:
            self._ready.set()

    def _started(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.url = simulator.url
        self._ready.set()
