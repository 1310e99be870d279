"""Every write on inventory. Pages and the API call these; neither re-implements them.

Each service validates fully before it writes, inside one transaction, so bad
input leaves nothing half-written. Phase changes lock the car's row, so two
people moving the same car at once are serialised and the second one is told.

One module per sub-domain: cars (registering, facts, and the permission check and row lock
every write starts with), phases, repairs (items, thresholds, repair-time alerts), photos,
sales and transfers. Every public name is re-exported here, so `services.car_create(...)`
works as before.
"""

from ifixit.inventory.services.cars import CAR_EDITABLE_FIELDS, car_create, car_update
from ifixit.inventory.services.phases import car_change_phase
from ifixit.inventory.services.photos import car_photo_add
from ifixit.inventory.services.repairs import (
    location_set_repair_thresholds,
    repair_item_add,
    repair_item_delete,
    repair_times_check,
)
from ifixit.inventory.services.sales import (
    UNWIND_TO,
    SaleNextSteps,
    sale_deliver,
    sale_next_steps,
    sale_record,
    sale_switch_to_cash,
    sale_unwind,
)
from ifixit.inventory.services.transfers import (
    STEPS_WITH_NOTE,
    TRANSFER_STEPS,
    transfer_approve,
    transfer_cancel,
    transfer_dispatch,
    transfer_receive,
    transfer_reject,
    transfer_request,
)

__all__ = [
    "CAR_EDITABLE_FIELDS",
    "STEPS_WITH_NOTE",
    "TRANSFER_STEPS",
    "UNWIND_TO",
    "SaleNextSteps",
    "car_change_phase",
    "car_create",
    "car_photo_add",
    "car_update",
    "location_set_repair_thresholds",
    "repair_item_add",
    "repair_item_delete",
    "repair_times_check",
    "sale_deliver",
    "sale_next_steps",
    "sale_record",
    "sale_switch_to_cash",
    "sale_unwind",
    "transfer_approve",
    "transfer_cancel",
    "transfer_dispatch",
    "transfer_receive",
    "transfer_reject",
    "transfer_request",
]
