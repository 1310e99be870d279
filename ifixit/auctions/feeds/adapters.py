"""Feed adapters: each turns one platform's protocol into the events of
docs/auction-feed-protocol.md. The consumer needs only `frames(after)` (the live
stream, as raw text frames) and `replay(after)` (missed events, from the source's
own record). Adding a platform means writing one class here and naming it in ADAPTERS."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from ifixit.auctions.feeds.messages import MAX_MESSAGE_BYTES

REPLAY_PAGE = 1000


class FeedAdapter:
    def __init__(self, source, session: aiohttp.ClientSession):
        self.source = source
        self.session = session
        self.base = source.url.rstrip("/")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.source.api_key}"} if self.source.api_key else {}

    @asynccontextmanager
    async def frames(self, after: int) -> AsyncIterator[AsyncIterator[str]]:
        raise NotImplementedError
        yield  # pragma: no cover

    async def replay(self, after: int) -> list[dict]:
        """One page of the events after `after`, from the source's replay endpoint."""
        async with self.session.get(
            f"{self.base}/events", params={"after": after, "limit": REPLAY_PAGE}, headers=self.headers
        ) as response:
            response.raise_for_status()
            body = await response.json()
        return body.get("events", [])


    async def snapshot(self) -> dict:
        """The current state of every open lot: {"seq": N, "lots": [...]}."""
        async with self.session.get(f"{self.base}/snapshot", headers=self.headers) as response:
            response.raise_for_status()
            return await response.json()


class WebSocketAdapter(FeedAdapter):
    """A JSON event per text frame over a WebSocket (the simulator, stream-style platforms)."""

    @asynccontextmanager
    async def frames(self, after: int):
        url = self.base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/feed"
        async with self.session.ws_connect(
            url, params={"after": after}, headers=self.headers, heartbeat=20, max_msg_size=MAX_MESSAGE_BYTES * 4
        ) as ws:

            async def read():
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        yield message.data
                    elif message.type == aiohttp.WSMsgType.BINARY:
                        yield message.data.decode("utf-8", errors="replace")
                    elif message.type == aiohttp.WSMsgType.ERROR:
                        raise ConnectionError(f"WebSocket error: {ws.exception()}")
                raise ConnectionError(f"stream closed by the source (code {ws.close_code})")

            yield read()


class PollingAdapter(FeedAdapter):
    """Platforms that only answer HTTP: ask for the events after the last one, again and again."""

    interval = 0.5

    @asynccontextmanager
    async def frames(self, after: int):
        async def read():
            last = after
            while True:
                events = await self.replay(last)
                for event in events:
                    last = max(last, event.get("seq", last)) if isinstance(event.get("seq"), int) else last
                    yield json.dumps(event)
                if len(events) < REPLAY_PAGE:
                    await asyncio.sleep(self.interval)

        yield read()


ADAPTERS = {"websocket": WebSocketAdapter, "polling": PollingAdapter}
