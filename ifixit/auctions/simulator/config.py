"""Everything a simulator run can be told: the market (seed, lots, lanes), the pace, the
faults on the WebSocket stream and the webhook. One frozen value, checked on creation,
shared by the server, the management command and the tests."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class SimulatorConfig:
    seed: int = 1
    lots: int = 200  # 0: list new lots for ever
    lanes: int = 4
    listed_ahead: int = 6  # lots per lane open for pre-bids at a time
    rate: float = 100.0  # events per (wall) second; 0: as fast as the machine goes
    time_scale: float | None = None  # simulated seconds per wall second (1: real time); None: only `rate` paces
    start: datetime | None = None  # the simulated clock's start (aware); None: now
    heartbeat_seconds: float = 1.0

    # Faults of the WebSocket stream only; /events, /snapshot, /stats and webhooks always tell the truth.
    drop_every: int = 0  # close each connection after about this many events
    duplicate: float = 0.0  # probability an event is sent twice
    reorder: float = 0.0  # probability an event is swapped with the next one
    delay_ms: int = 0  # stall the stream this long before an event ...
    delay_p: float = 0.1  # ... with this probability (when delay_ms is set)
    malformed: float = 0.0  # probability a broken frame is sent before an event

    webhook_url: str | None = None
    webhook_secret: str = ""
    webhook_attempts: int = 5

    def __post_init__(self):
        problems = []
        if self.lots < 0:
            problems.append("lots must be 0 (for ever) or more")
        if self.lanes < 1 or self.listed_ahead < 1:
            problems.append("lanes and listed_ahead must be at least 1")
        if self.rate < 0:
            problems.append("rate must be 0 (unlimited) or more")
        if self.time_scale is not None and self.time_scale <= 0:
            problems.append("time_scale must be more than 0")
        if self.heartbeat_seconds <= 0:
            problems.append("heartbeat_seconds must be more than 0")
        if self.drop_every < 0 or self.delay_ms < 0:
            problems.append("drop_every and delay_ms must be 0 or more")
        for name in ("duplicate", "reorder", "delay_p", "malformed"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} is a probability, between 0 and 1")
        if self.start is not None and self.start.tzinfo is None:
            problems.append("start must be an aware datetime")
        if self.webhook_url and not self.webhook_secret:
            problems.append("a webhook needs a secret to sign with")
        if self.webhook_attempts < 1:
            problems.append("webhook_attempts must be at least 1")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def has_faults(self) -> bool:
        delays = self.delay_ms and self.delay_p
        return bool(self.drop_every or self.duplicate or self.reorder or delays or self.malformed)
