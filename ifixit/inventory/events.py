"""Events inventory publishes to the channel layer, always after commit."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from ifixit.inventory.consumers import car_group

log = logging.getLogger(__name__)


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
