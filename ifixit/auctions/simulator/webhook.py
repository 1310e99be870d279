"""Webhook delivery: every event POSTed, signed, in seq order, to a subscriber's URL, as
wholesale platforms push to a callback. It follows the event log on its own, so a slow or
failing receiver delays only its own deliveries, never the WebSocket stream."""

import asyncio
import hashlib
import hmac
import logging
import time

import aiohttp

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
RETRY_BASE_SECONDS = 0.1
RETRY_MAX_SECONDS = 2.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Ifixit-Signature value: HMAC-SHA256 of "<timestamp>.<raw body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json",
        "X-Ifixit-Timestamp": timestamp,
        "X-Ifixit-Signature": signature(secret, timestamp, body),
    }


class WebhookDelivery:
    """Posts log[0], log[1], ... one after the other; an event that still fails after
    `attempts` tries is logged and skipped (the receiver can replay it from /events)."""

    def __init__(self, *, url: str, secret: str, attempts: int, event_log):
        self.url = url
        self.secret = secret
        self.attempts = attempts
        self.event_log = event_log
        self.delivered = 0
        self.failed = 0
        self.retries = 0

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            seq = 1
            while True:
                if seq > self.event_log.seq:
                    await self.event_log.wait_beyond(seq - 1)
                    continue
                if await self._deliver(session, self.event_log.texts[seq - 1].encode()):
                    self.delivered += 1
                else:
                    self.failed += 1
                    log.warning("webhook %s: gave up on seq %s after %s attempts", self.url, seq, self.attempts)
                seq += 1

    async def _deliver(self, session: aiohttp.ClientSession, body: bytes) -> bool:
        for attempt in range(self.attempts):
            if attempt:
                self.retries += 1
                await asyncio.sleep(min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1)))
            try:
                # Signed at each attempt: a retry carries a fresh timestamp.
                async with session.post(self.url, data=body, headers=signed_headers(self.secret, body)) as response:
                    if 200 <= response.status < 300:
                        return True
                    log.debug("webhook %s answered %s", self.url, response.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.debug("webhook %s failed: %s", self.url, exc)
        return False
