"""What a bad network and a sloppy platform do to one WebSocket connection: dropped
connections, duplicated, swapped and delayed events, broken frames. One StreamFaults per
connection, seeded, so a run with the same seed misbehaves the same way."""

import json
import random

from ifixit.auctions.simulator.config import SimulatorConfig

# Fields without which an event means nothing; a "lacks fields" frame loses one of these.
REQUIRED_FIELDS = {
    "lot": ("type", "seq", "at", "lot"),
    "stage": ("type", "seq", "at", "lot_id", "stage"),
    "bid": ("type", "seq", "at", "lot_id", "amount"),
    "end": ("type", "seq", "at", "lot_id", "outcome"),
}


def malformed_frame(text: str, rng: random.Random) -> str:
    """A frame that is not a valid event: cut short, not JSON, not an object, or an event
    without one of its required fields (it keeps its seq at times: a consumer must check
    a frame before it trusts the seq)."""
    kind = rng.randrange(5)
    if kind == 0:
        return text[: rng.randint(1, len(text) - 1)]
    if kind == 1:
        return rng.choice(("<html><body>502 Bad Gateway</body></html>", "}{", "null\x00", "OK"))
    if kind == 2:
        return json.dumps([json.loads(text)])
    event = json.loads(text)
    missing = "seq" if kind == 3 else rng.choice(REQUIRED_FIELDS[event["type"]])
    del event[missing]
    return json.dumps(event, separators=(",", ":"))


class StreamFaults:
    def __init__(self, config: SimulatorConfig, rng: random.Random):
        self.config = config
        self.rng = rng
        self.events_until_drop = self._events_before_drop()

    def _events_before_drop(self) -> int:
        if not self.config.drop_every:
            return 0
        return max(1, round(self.config.drop_every * self.rng.uniform(0.75, 1.25)))

    def malformed(self, text: str) -> str | None:
        if self.config.malformed and self.rng.random() < self.config.malformed:
            return malformed_frame(text, self.rng)
        return None

    def delay(self) -> float:
        """Seconds to stall the stream before the next event."""
        if self.config.delay_ms and self.rng.random() < self.config.delay_p:
            return self.config.delay_ms / 1000
        return 0.0

    def reorder(self) -> bool:
        return bool(self.config.reorder) and self.rng.random() < self.config.reorder

    def duplicate(self) -> bool:
        return bool(self.config.duplicate) and self.rng.random() < self.config.duplicate

    def drop_due(self) -> bool:
        """Counts an event sent; True when the connection should be dropped now."""
        if not self.events_until_drop:
            return False
        self.events_until_drop -= 1
        return self.events_until_drop == 0

    def drop_abruptly(self) -> bool:
        """Half the drops lose the TCP connection without a closing handshake."""
        return self.rng.random() < 0.5
