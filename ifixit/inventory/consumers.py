"""WebSocket: tells everyone looking at a car's page when the car moves phase,
so nobody acts on a state that has changed under them."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ifixit.inventory.selectors import cars_visible_to


def car_group(car_id: int) -> str:
    return f"car.{car_id}"


class CarEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        car_id = self.scope["url_route"]["kwargs"]["car_id"]
        if user is None or not user.is_authenticated or not await self._may_see(user, car_id):
            await self.close(code=4403)
            return
        self.group = car_group(car_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def car_phase_changed(self, event):
        await self.send_json({"type": "phase_changed", **event["data"]})

    @database_sync_to_async
    def _may_see(self, user, car_id: int) -> bool:
        return cars_visible_to(user).filter(pk=car_id).exists()
