"""The feeds process: one asyncio task per enabled, unpaused source, started and stopped
as sources are added, paused or resumed."""

import asyncio
import logging
import signal

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings

from ifixit.auctions.feeds.consumer import SourceConsumer
from ifixit.auctions.models import AuctionSource

log = logging.getLogger(__name__)

RELOAD_SECONDS = 5


def _wanted_sources() -> dict[int, AuctionSource]:
    sources = AuctionSource.objects.filter(enabled=True, paused=False, kind__in=["websocket", "polling"])
    return {source.pk: source for source in sources}


async def run_feeds(stop: asyncio.Event | None = None, *, source_ids: set[int] | None = None) -> None:
    stop = stop or asyncio.Event()
    redis = aioredis.from_url(settings.REDIS_URL)
    running: dict[int, tuple[asyncio.Event, asyncio.Task]] = {}
    try:
        while not stop.is_set():
            try:
                wanted = await sync_to_async(_wanted_sources)()
            except Exception:  # the database away for a moment: keep what runs, look again soon
                log.warning("feeds: cannot read the sources", exc_info=True)
                await asyncio.sleep(RELOAD_SECONDS)
                continue
            if source_ids is not None:
                wanted = {pk: s for pk, s in wanted.items() if pk in source_ids}
            for pk, source in wanted.items():
                if pk not in running:
                    log.info("feeds: starting %s (%s, %s)", source.name, source.kind, source.url)
                    source_stop = asyncio.Event()
                    task = asyncio.create_task(SourceConsumer(source, redis=redis).run(source_stop))
                    running[pk] = (source_stop, task)
            for pk in [pk for pk in running if pk not in wanted]:
                log.info("feeds: stopping source %s", pk)
                source_stop, task = running.pop(pk)
                source_stop.set()
                await asyncio.gather(task, return_exceptions=True)
            for pk, (source_stop, task) in list(running.items()):
                if task.done():  # crashed: log it and start it again on the next round
                    log.error("feeds: source %s stopped unexpectedly: %r", pk, task.exception())
                    running.pop(pk)
            try:
                await asyncio.wait_for(stop.wait(), timeout=RELOAD_SECONDS)
            except TimeoutError:
                pass
    finally:
        for source_stop, _ in running.values():
            source_stop.set()
        await asyncio.gather(*(task for _, task in running.values()), return_exceptions=True)
        await redis.aclose()


def main() -> None:
    stop = asyncio.Event()

    async def go():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_feeds(stop)

    asyncio.run(go())
