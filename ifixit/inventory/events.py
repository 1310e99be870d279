"""What inventory announces: the signals the apps built on a car subscribe to, and the phase
changes it publishes to the channel layer.

Inventory sits below crm, finance and analytics and never imports them (imports point down:
docs/architecture.md). When a write here means something to them (a sale recorded, undone,
handed over), inventory sends one of the signals below and the apps above connect their
receivers in their AppConfig.ready(), each with a dispatch_uid.

Every signal is sent with `Signal.send` (never `send_robust`) inside the transaction of the
write that sends it, and a receiver runs there too. A receiver that keeps the data consistent
(withdrawing the finance of a cash sale, removing an undone sale's follow-ups, survey and
warehouse fact, refusing to hand over a car the lender has not paid for) does its work in
that transaction; if it fails, or refuses by raising ValidationError, the exception reaches
the caller and the whole write is rolled back: half a sale (sold, but its finance still open
or its survey still due) is worse than no sale. A reaction that can happen later (queueing a
task, a notification, a push) must not run in the transaction: its receiver queues it with
`transaction.on_commit`, so it happens only once the write has committed.

Each signal's arguments are keyword arguments; `sender` is the model class named below.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.dispatch import Signal

from ifixit.inventory.consumers import car_group

log = logging.getLogger(__name__)

# sender=Car, car=Car. A car entered stock bought: registered in a phase past sourced, or moved
# on from sourced. Sent inside car_create's / the phase move's transaction, after the car and its
# phase change are saved. (analytics records what the value model expects it to sell for.)
car_bought = Signal()

# sender=Sale, sale=Sale, user=User. A sale was recorded: sent inside sale_record's transaction
# after the sale is saved and the car moved to sold (its transfers cancelled). A cash sale is
# already delivered (sale.delivered_at set). (crm: the customer's follow-ups and survey; finance:
# a cash sale withdraws the car's open applications.)
sale_recorded = Signal()

# sender=Sale, sale=Sale, user=User. A sold car is about to be handed over: sent inside
# sale_deliver's transaction, with the sale locked, before delivered_at is set. A receiver may
# refuse by raising ValidationError({"sale": "..."}). (finance: not until the lender has paid.)
sale_delivering = Signal()

# sender=Sale, sale=Sale, user=User, note=str. A sale on finance became a cash sale: sent inside
# sale_switch_to_cash's transaction after the sale is saved with its new payment. A receiver may
# still refuse by raising ValidationError (the switch is undone). (finance: refuses once funded,
# else withdraws the car's open applications.)
sale_switched_to_cash = Signal()

# sender=Sale, sale=Sale, user=User, note=str. A sale that never completed is being undone: sent
# inside sale_unwind's transaction, with the sale locked, BEFORE its row is deleted (receivers
# still see it and what points at it). (crm: the sale's follow-ups and survey go, the customer's
# log says why; analytics: the warehouse forgets the sale.)
sale_unwinding = Signal()

# sender=Transfer, car=Car, user=User. A transfer of the car to another location is being asked
# for: sent inside transfer_request's transaction, with the car locked, before anything is
# written, once inventory's own rules about the car pass. A receiver may refuse by raising
# ValidationError({"car": ...}); its errors are shown with the request's other errors.
# (finance: not while an application for the car is open.)
transfer_requesting = Signal()


def publish_phase_changed(*, car_id: int, from_phase: str, to_phase: str, by: str) -> None:
    def send():
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                car_group(car_id),
                {"type": "car.phase_changed", "data": {"car_id": car_id, "from": from_phase, "to": to_phase, "by": by}},
            )
        except Exception as exc:  # a push is a courtesy: the write has committed, never fail it
            log.warning("could not publish phase change of car %s: %s", car_id, exc)

    transaction.on_commit(send)
