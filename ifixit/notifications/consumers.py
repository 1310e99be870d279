"""WebSocket: pushes the bell's unread count to every open page of the user."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ifixit.metrics import instruments
from ifixit.notifications.events import user_group
from ifixit.notifications.selectors import unread_count


class NotificationsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.counted = instruments.websocket_connections.labels("notifications")
        self.counted.inc()
        # The count may have moved between the page render and this connection.
        await self.send_json({"type": "unread", "unread": await database_sync_to_async(unread_count)(user)})

    async def disconnect(self, code):
        if hasattr(self, "counted"):
            self.counted.dec()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def notifications_unread(self, event):
        await self.send_json({"type": "unread", "unread": event["unread"]})
