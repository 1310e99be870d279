"""One source's feed: connect, keep the sequence whole, store in batches, publish.

The sequence is what makes "no update lost, none doubled" hold: `high` is the last seq
accepted. A seq at or below it is a duplicate (dropped); one more than a step above it
means events were missed, and they are fetched from the source's replay endpoint
before going on. Batches are stored together with the new resume point, so a restart
carries on exactly where the database says it stopped.

Metrics (ifixit.metrics.instruments) cost the hot path nothing per message: the counts kept
for FeedHealth are added to the Prometheus counters once a second, when they are reported, and
the lag is observed once per stored batch (its newest event's own time against the clock).
"""

import asyncio
import json
import logging
import random
import socket
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from ifixit.auctions import services
from ifixit.auctions.feeds import messages
from ifixit.auctions.feeds.adapters import ADAPTERS
from ifixit.auctions.models import FeedHealth
from ifixit.metrics import instruments

log = logging.getLogger(__name__)

GOOD_CONNECTION_SECONDS = 5.0  # a connection that lasted this long, or brought new events, resets the backoff
FAILING_AFTER = 5  # consecutive failed connections before the source shows as failing


def backoff(attempt: int) -> float:
    """Capped exponential backoff with full jitter (settings.FEEDS_BACKOFF_*)."""
    base, cap = settings.FEEDS_BACKOFF_BASE_MS / 1000, settings.FEEDS_BACKOFF_CAP_MS / 1000
    return random.uniform(0, min(cap, base * 2**attempt))


def lot_group(lot_id: int) -> str:
    return f"auction.lot.{lot_id}"


def source_group(source_id: int) -> str:
    return f"auction.source.{source_id}"


ALL_GROUP = "auction.all"

# Compare-and-renew / compare-and-delete of a source's lock, atomic in Redis.
RENEW_IF_OURS = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"
)
DELETE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


@dataclass
class Counters:
    messages: int = 0
    gaps: int = 0
    duplicates: int = 0
    errors: int = 0
    reconnects: int = 0
    window: list = field(default_factory=list)

    def take(self) -> dict:
        taken = {
            "messages": self.messages,
            "gaps": self.gaps,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "reconnects": self.reconnects,
        }
        self.messages = self.gaps = self.duplicates = self.errors = self.reconnects = 0
        return taken


class SourceConsumer:
    def __init__(
        self, source, *, redis=None, batch_size: int = 500, flush_every: float = 0.02, owner: str | None = None
    ):
        self.source = source
        self.redis = redis
        self.batch_size = batch_size
        self.flush_every = flush_every
        self.owner = owner or f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
        self.high = 0
        self.pending: list[dict] = []
        self.counters = Counters()
        self.state = FeedHealth.State.STOPPED
        self.last_error = ""
        self.last_message_at = None
        self.layer = get_channel_layer()
        self._flush_lock = asyncio.Lock()
        self.lost_lock = False
        self.resync_wanted = False
        self.holding = redis is None  # without Redis (tests, one process) there is nobody to share with
        self.high_unknown = False
        self._had_lock = False

    # -- running

    async def run(self, stop: asyncio.Event) -> None:
        health, _ = await sync_to_async(FeedHealth.objects.get_or_create)(source=self.source)
        self.high = health.last_seq
        reporter = asyncio.create_task(self._report_forever(stop))
        flusher = asyncio.create_task(self._flush_forever(stop))
        attempt = 0
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, connect=10, sock_read=60)
            ) as session:
                adapter = ADAPTERS[self.source.kind](self.source, session)
                while not stop.is_set():
                    was_holding = self.holding and self.redis is not None and self._had_lock
                    try:
                        held = await self._hold_lock()
                    except Exception as exc:  # noqa: BLE001 (Redis not up yet, or gone for a moment: wait, never crash)
                        log.warning("source %s: cannot reach Redis for its lock: %s", self.source.name, exc)
                        held = False
                    if not held:
                        await self._sleep(stop, 2)
                        continue
                    if self.lost_lock or not was_holding:
                        # Another process may have stored events meanwhile: resume from the database.
                        self.high_unknown = True
                    self.lost_lock = False
                    started, high_before = time.monotonic(), self.high
                    try:
                        self.state = FeedHealth.State.CONNECTING
                        await self._consume(adapter, stop)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 (the network and the source are outside our control)
                        self.counters.errors += 1
                        self.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
                        log.info("source %s: connection ended: %s", self.source.name, self.last_error)
                    await self.flush()
                    if stop.is_set():
                        break
                    good = self.high > high_before or time.monotonic() - started >= GOOD_CONNECTION_SECONDS
                    attempt = 0 if good else attempt + 1
                    self.counters.reconnects += 1
                    self.state = FeedHealth.State.FAILING if attempt >= FAILING_AFTER else FeedHealth.State.BACKING_OFF
                    await self._sleep(stop, backoff(attempt))
        finally:
            await self.flush()
            self.state = FeedHealth.State.STOPPED
            for task in (reporter, flusher):
                task.cancel()
            await asyncio.gather(reporter, flusher, return_exceptions=True)
            await self._report()  # before letting go: a successor's reports must not be overwritten
            await self._release_lock()
            self.holding = self.redis is None

    async def _consume(self, adapter, stop: asyncio.Event) -> None:
        if self.resync_wanted:
            await self.refresh_from_snapshot(adapter)
        if self.high_unknown:
            await self._reload_high()
            if self.high_unknown:
                raise ConnectionAbortedError("the resume point is unknown until the database answers")
        async with adapter.frames(after=self.high) as frames:
            self.state = FeedHealth.State.LIVE
            async for raw in frames:
                if stop.is_set() or self.lost_lock:
                    return
                if self.resync_wanted:  # "resync now": reconnect, replaying from what is stored
                    raise ConnectionResetError("resync requested from the dashboard")
                self.counters.messages += 1
                self.last_message_at = time.time()
                try:
                    event = messages.parse(raw)
                except messages.MalformedMessage as exc:
                    self.counters.errors += 1
                    self.last_error = f"malformed message: {exc}"[:500]
                    log.warning("source %s: %s", self.source.name, self.last_error)
                    continue
                await self.accept(event, adapter)

    async def accept(self, event: dict, adapter) -> None:
        if self.high_unknown:
            await self._reload_high()
            if self.high_unknown:
                raise ConnectionAbortedError("the resume point is unknown until the database answers")
        seq = event["seq"]
        if event["type"] == "heartbeat":
            if seq > self.high:
                self.counters.gaps += 1
                await self.resync(adapter, until=seq)
            return
        if seq <= self.high:
            self.counters.duplicates += 1
            return
        if seq > self.high + 1:
            self.counters.gaps += 1
            await self.resync(adapter, until=seq - 1)
            if seq <= self.high:  # the replay brought this one too
                return
        self.pending.append(event)
        self.high = seq
        if len(self.pending) >= self.batch_size:
            await self.flush()

    async def resync(self, adapter, *, until: int) -> None:
        """Fetch the missed events (high, until] from the source's own record."""
        previous = self.state
        self.state = FeedHealth.State.RESYNCING
        while self.high < until:
            page = await adapter.replay(self.high)
            if not page:
                raise ConnectionError(f"the source could not replay events after {self.high}")
            for raw_event in page:
                try:
                    event = messages.check(raw_event)
                except messages.MalformedMessage as exc:
                    self.counters.errors += 1
                    self.last_error = f"malformed replayed event: {exc}"[:500]
                    continue
                if event["seq"] <= self.high or event["type"] == "heartbeat":
                    continue
                self.pending.append(event)
                self.high = event["seq"]
            if len(self.pending) >= self.batch_size:
                await self.flush()
        self.state = previous

    async def refresh_from_snapshot(self, adapter) -> None:
        """Bring every open lot's details up to the source's snapshot. Prices still come
        only from numbered events, so the snapshot never moves the resume point."""
        self.resync_wanted = False
        self.state = FeedHealth.State.RESYNCING
        snapshot = await adapter.snapshot()
        events = []
        for lot in snapshot.get("lots", []):
            try:
                events.append(
                    messages.check(
                        {"type": "lot", "seq": 1, "at": snapshot.get("at") or "1970-01-01T00:00:00Z", "lot": lot}
                    )
                )
            except messages.MalformedMessage as exc:
                self.counters.errors += 1
                self.last_error = f"malformed snapshot lot: {exc}"[:500]
        for event in events:
            event["seq"] = 0  # not a numbered event: FeedHealth.last_seq stays where it is
        await self.flush()
        if events:
            updates = await sync_to_async(services.feed_events_store, thread_sensitive=False)(
                source_id=self.source.pk, events=events
            )
            await self.publish(updates)

    # -- storing and publishing

    async def flush(self) -> None:
        async with self._flush_lock:
            if not self.pending:
                return
            batch, self.pending = self.pending, []
            try:
                updates = await sync_to_async(services.feed_events_store, thread_sensitive=False)(
                    source_id=self.source.pk, events=batch
                )
            except Exception:
                # Nothing of the batch is stored (one transaction): go back to what the
                # database holds, so the events are fetched again rather than skipped.
                self.pending = []
                self.high_unknown = True
                await self._reload_high()
                raise
        instruments.feed_lag.labels(self.source.name).observe(max(time.time() - batch[-1]["at"].timestamp(), 0.0))
        await self.publish(updates)

    def _stored_seq(self) -> int:
        return FeedHealth.objects.get(source=self.source).last_seq

    async def _reload_high(self) -> None:
        """Take `high` from the database; until that works, accept nothing (the database
        may be down: events must not be counted as had before they are stored)."""
        try:
            self.high = await sync_to_async(self._stored_seq, thread_sensitive=False)()
            self.high_unknown = False
        except Exception:
            log.warning("source %s: cannot read its resume point yet", self.source.name, exc_info=True)

    async def publish(self, updates: list[dict]) -> None:
        if not updates or self.layer is None:
            return
        try:
            # Lot pages follow one lot, boards a source or everything: one message per group
            # per stored batch, so the cost follows the batches, not the updates.
            by_lot: dict[int, list[dict]] = {}
            for update in updates:
                by_lot.setdefault(update["lot"], []).append(update)
            # Serialised once here, not once per connected screen.
            batch = {"type": "auction.update", "text": json.dumps({"type": "updates", "updates": updates})}
            await asyncio.gather(
                self.layer.group_send(source_group(self.source.pk), batch),
                self.layer.group_send(ALL_GROUP, batch),
                *(
                    self.layer.group_send(
                        lot_group(lot),
                        {"type": "auction.update", "text": json.dumps({"type": "updates", "updates": lot_updates})},
                    )
                    for lot, lot_updates in by_lot.items()
                ),
            )
        except Exception:  # the data is stored; a screen catches up on its next load
            log.warning("source %s: could not publish %d updates", self.source.name, len(updates), exc_info=True)

    async def _flush_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(self.flush_every)
            try:
                await self.flush()
            except Exception:
                log.exception("source %s: storing a batch failed; its events are fetched again", self.source.name)
                self.counters.errors += 1

    # -- health

    async def _report_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(1)
            await self._report()
            try:
                if await sync_to_async(services.feed_resync_take, thread_sensitive=False)(source_id=self.source.pk):
                    self.resync_wanted = True
            except Exception:
                log.warning("source %s: could not read its resync flag", self.source.name, exc_info=True)
            if self.redis is not None and self.holding:
                try:
                    self.lost_lock = not await self._hold_lock()
                except Exception:
                    log.warning("source %s: could not extend its lock", self.source.name, exc_info=True)

    async def _report(self) -> None:
        if not self.holding:
            return  # another feeds process owns this source and reports on it
        counts = self.counters.take()
        self._count_for_prometheus(counts)
        now = time.monotonic()
        window = self.counters.window
        window.append((now, counts["messages"]))
        while window and now - window[0][0] > 10:
            window.pop(0)
        span = max(now - window[0][0], 1.0) if len(window) > 1 else 1.0
        rate = sum(n for _, n in window[1:]) / span if len(window) > 1 else float(counts["messages"])
        fields = dict(
            counts,
            state=self.state,
            messages_per_second=round(rate, 1),
            last_error=self.last_error,
            consumer=self.owner,
        )
        if self.last_message_at:
            from datetime import UTC, datetime

            fields["last_message_at"] = datetime.fromtimestamp(self.last_message_at, UTC)
        try:
            await sync_to_async(services.feed_health_update, thread_sensitive=False)(source_id=self.source.pk, **fields)
        except Exception:
            log.warning("source %s: could not write its health", self.source.name, exc_info=True)

    def _count_for_prometheus(self, counts: dict) -> None:
        source = self.source.name
        for name, counter in (
            ("messages", instruments.feed_messages),
            ("gaps", instruments.feed_gaps),
            ("duplicates", instruments.feed_duplicates),
            ("errors", instruments.feed_errors),
            ("reconnects", instruments.feed_reconnects),
        ):
            if counts[name]:
                counter.labels(source).inc(counts[name])

    # -- one consumer per source across machines

    def _lock_key(self) -> str:
        return f"ifixit:feeds:source:{self.source.pk}"

    async def _hold_lock(self) -> bool:
        """Take or extend the source's lock: a second feeds process waits instead of
        consuming the same source twice."""
        if self.redis is None:
            return True
        key = self._lock_key()
        ttl = settings.FEEDS_LOCK_TTL_SECONDS
        taken = await self.redis.set(key, self.owner, nx=True, ex=ttl)
        # Renew only if it is still ours, in one atomic step (no check-then-act).
        renewed = taken or await self.redis.eval(RENEW_IF_OURS, 1, key, self.owner, ttl)
        self.holding = bool(renewed)
        self._had_lock = self.holding
        if not self.holding:
            self.state = FeedHealth.State.STOPPED
        return self.holding

    async def _release_lock(self) -> None:
        if self.redis is None:
            return
        try:
            await self.redis.eval(DELETE_IF_OURS, 1, self._lock_key(), self.owner)
        except Exception:
            log.warning("could not release %s", self._lock_key(), exc_info=True)
        self._had_lock = False

    @staticmethod
    async def _sleep(stop: asyncio.Event, seconds: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except TimeoutError:
            pass
