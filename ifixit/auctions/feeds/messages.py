"""Parsing and checking feed events (docs/auction-feed-protocol.md). Anything that is not
a well-formed event raises MalformedMessage: the consumer counts it and moves on, so a
bad message is never stored and never stops a feed."""

import json
from datetime import datetime

MAX_MESSAGE_BYTES = 64 * 1024
EVENT_TYPES = {"lot", "stage", "bid", "end", "heartbeat"}
STAGES = {"prebid", "live", "closed"}
OUTCOMES = {"sold", "on_approval", "unsold", "bought_now"}
MAX_AMOUNT = 10_000_000
# The lot's free-text fields and their column lengths (auctions.models.Lot).
TEXT_FIELDS = {
    "lane": 20, "trim": 50, "mileage_unit": 2, "fuel": 20, "transmission": 20, "body_type": 20,
    "colour": 30, "damage": 50, "condition": 50, "region": 50, "currency": 3,
}


class MalformedMessage(ValueError):
    pass


def _int(value, name: str, *, low: int = 0, high: int = 2**62) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedMessage(f"{name} must be an integer between {low} and {high}, got {value!r}")
    return value


def _time(value, name: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedMessage(f"{name} must be an ISO 8601 time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMessage(f"{name} is not an ISO 8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise MalformedMessage(f"{name} has no time zone: {value[:40]!r}")
    return parsed


def _text(value, name: str, *, max_length: int = 100, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > max_length:
        raise MalformedMessage(f"{name} must be text of at most {max_length} characters, got {str(value)[:40]!r}")
    return value


def parse(raw: str | bytes) -> dict:
    """One frame -> one checked event with parsed times. Raises MalformedMessage."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"message of {len(raw)} bytes is over the {MAX_MESSAGE_BYTES} byte limit")
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    return check(event)


def check(event) -> dict:
    if not isinstance(event, dict):
        raise MalformedMessage("an event is a JSON object")
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        raise MalformedMessage(f"unknown event type {kind!r}")
    event["seq"] = _int(event.get("seq"), "seq", low=0 if kind == "heartbeat" else 1)
    event["at"] = _time(event.get("at"), "at")
    if kind == "lot":
        lot = event.get("lot")
        if not isinstance(lot, dict):
            raise MalformedMessage("a lot event carries a lot object")
        _text(lot.get("id"), "lot.id")
        _text(lot.get("make"), "lot.make", max_length=50)
        _text(lot.get("model"), "lot.model", max_length=50)
        for name in ("starts_at", "ends_at"):
            if lot.get(name) is not None:
                lot[name] = _time(lot[name], f"lot.{name}")
        for name in ("current_bid", "bid_count"):
            lot[name] = _int(lot.get(name, 0), f"lot.{name}", high=MAX_AMOUNT)
        # Every other field is checked against its column too: one bad field must be a
        # malformed message, never a failed batch.
        if lot.get("year") is not None:
            lot["year"] = _int(lot["year"], "lot.year", low=1900, high=2100)
        if lot.get("mileage") is not None:
            lot["mileage"] = _int(lot["mileage"], "lot.mileage", high=5_000_000)
        if lot.get("buy_now") is not None:
            lot["buy_now"] = _int(lot["buy_now"], "lot.buy_now", low=1, high=MAX_AMOUNT)
        for name, length in TEXT_FIELDS.items():
            if lot.get(name) is not None:
                _text(lot[name], f"lot.{name}", max_length=length, required=False)
        if lot.get("stage", "prebid") not in STAGES:
            raise MalformedMessage(f"unknown stage {lot.get('stage')!r}")
        event["lot_id"] = lot["id"]
    elif kind != "heartbeat":
        _text(event.get("lot_id"), "lot_id")
    if kind == "stage":
        if event.get("stage") not in STAGES:
            raise MalformedMessage(f"unknown stage {event.get('stage')!r}")
        if event.get("ends_at") is not None:
            event["ends_at"] = _time(event["ends_at"], "ends_at")
    elif kind == "bid":
        event["amount"] = _int(event.get("amount"), "amount", low=1, high=MAX_AMOUNT)
        event["bid_count"] = _int(event.get("bid_count", 0), "bid_count", high=MAX_AMOUNT)
        if event.get("ends_at") is not None:
            event["ends_at"] = _time(event["ends_at"], "ends_at")
    elif kind == "end":
        if event.get("outcome") not in OUTCOMES:
            raise MalformedMessage(f"unknown outcome {event.get('outcome')!r}")
        event["amount"] = _int(event.get("amount", 0), "amount", high=MAX_AMOUNT)
    return event
