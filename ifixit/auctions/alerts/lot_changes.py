"""Alerts about changed lots: the feed's hand-off (after a stored batch commits, one task
for the changes that can raise an alert) and the task's work, matching the changed lots
against every active preference and alerting whoever they concern."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, replace

from django.conf import settings

from ifixit.auctions.alerts.index import current_index, lot_facts, lots_advice, price_thresholds
from ifixit.auctions.alerts.matching import PreferenceSpec, Reason, crosses, decide
from ifixit.auctions.alerts.sending import PendingAlert, alerts_raise
from ifixit.auctions.models import Lot, LotAlert
from ifixit.jobs import outbox
from ifixit.money import format_money

log = logging.getLogger(__name__)

# Reasons that mean "you were told this lot is within your maximum".
TOLD_IN_RANGE = (Reason.MATCH, Reason.PRICE_BELOW)


# --- the feed's hand-off -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LotChange:
    lot_id: int
    old_price: int | None  # None: the lot appeared in this batch (new, or its car was unknown until now)
    new_price: int


def feed_batch_stored(lots: Iterable[Lot], before: dict[str, tuple[int, bool]]) -> None:
    """Called by feed_events_store inside its transaction with the lots the batch touched and,
    for those it found stored, (their bid, whether their car was still unknown) before it."""
    changes = []
    for lot in lots:
        if lot.stage == Lot.Stage.CLOSED or lot.make == "?":  # "?": announced by a bid, the car comes later
            continue
        price, unknown = before.get(lot.external_id, (0, True))
        changes.append(LotChange(lot.pk, None if unknown else price, lot.current_bid))
    if changes:
        _hand_off(changes)


def worth_matching(changes: Iterable[LotChange], thresholds: Sequence[int]) -> list[LotChange]:
    """The changes that can raise an alert: lots that appeared, and bids across a maximum."""
    return [c for c in changes if c.old_price is None or crosses(thresholds, c.old_price, c.new_price)]


def _hand_off(changes: list[LotChange]) -> None:
    """Ask, in the batch's own transaction, for the changes that can alert to be matched: the
    outbox publishes it after the commit, or its relay does if this process dies first, so a
    bid crossing a maximum is never stored without its alert being asked for."""
    from ifixit.auctions.tasks import match_lot_changes

    try:
        thresholds = price_thresholds() if any(c.old_price is not None for c in changes) else []
        wanted = worth_matching(changes, thresholds)
    except Exception:  # the thresholds unreadable (Redis away): match everything, matching decides
        log.warning("could not read the price thresholds; matching all %d changes", len(changes), exc_info=True)
        wanted = changes
    if wanted:
        outbox.enqueue(match_lot_changes, [[list(astuple(c)) for c in wanted]])


def lot_changes_alert(*, changes: Sequence[LotChange]) -> int:
    """Match changed lots against every active preference and alert whoever they concern.
    Safe to run twice, or at once on two workers, for the same changes. Returns alerts made."""
    index = current_index()
    if index.size == 0 or not changes:
        return 0
    # Several changes of one lot: the first old price and the last new one.
    merged: dict[int, LotChange] = {}
    for change in changes:
        first = merged.get(change.lot_id)
        merged[change.lot_id] = change if first is None else LotChange(change.lot_id, first.old_price, change.new_price)
    lots = Lot.objects.select_related("source").in_bulk(list(merged))
    # Decided on the price the batch stored, not a later one: a lot that appeared within the
    # maximum is a match even if bids took it past it before this task ran (that crossing
    # has its own task, and its own alert).
    facts = {pk: replace(lot_facts(lot), price=_price(lot, merged[pk].new_price)) for pk, lot in lots.items()}
    masks = {pk: index.static_mask(f) for pk, f in facts.items() if f.open}
    advice = lots_advice([lots[pk] for pk, mask in masks.items() if index.needs_advice(mask)])
    for pk, lot_advice in advice.items():
        if pk in facts:
            facts[pk] = replace(
                facts[pk], margin=_float(lot_advice, "expected_margin"), roi=_float(lot_advice, "expected_roi")
            )

    wanted: dict[tuple[int, int, str], PendingAlert] = {}
    for pk, mask in masks.items():
        for candidate in decide(index, facts[pk], old_price=merged[pk].old_price, static=mask):
            spec = index.specs[candidate.position]
            # Specs are in id order: the alert names the user's oldest matching preference.
            wanted.setdefault(
                (spec.user_id, pk, candidate.reason),
                PendingAlert(
                    spec.user_id,
                    lots[pk],
                    candidate.reason,
                    merged[pk].new_price,
                    spec.id,
                    _price_detail(spec, candidate.reason),
                ),
            )
    if not wanted:
        return 0
    told = set(
        LotAlert.objects.filter(lot_id__in=masks.keys(), user_id__in={k[0] for k in wanted}).values_list(
            "user_id", "lot_id", "reason"
        )
    )
    in_range = {(user, lot) for user, lot, reason in told if reason in TOLD_IN_RANGE}
    alerts = [
        alert
        for key, alert in wanted.items()
        if key not in told and not (alert.reason == Reason.PRICE_ABOVE and key[:2] not in in_range)
    ]
    return alerts_raise(alerts)


def _price(lot: Lot, bid: int) -> int | None:
    return bid if lot.currency == settings.CURRENCY else None


def _float(advice, name: str) -> float | None:
    value = getattr(advice, name, None)
    return None if value is None else float(value)


def _price_detail(spec: PreferenceSpec, reason: str) -> str:
    if reason in (Reason.PRICE_ABOVE, Reason.PRICE_BELOW) and spec.price_max is not None:
        return f"your maximum is {format_money(spec.price_max)}"
    return ""
