"""WebSockets of the live auction board and the lot page. Message format: see
docs/auction-feed-protocol.md ("What screens receive")."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ifixit.auctions.feeds.consumer import ALL_GROUP, lot_group, source_group
from ifixit.metrics import instruments


class AuctionUpdatesConsumer(AsyncJsonWebsocketConsumer):
    """/ws/auctions/ (every source), /ws/auctions/sources/<id>/ or /ws/auctions/lots/<id>/."""

    async def connect(self):
        user = self.scope.get("user")
        if (
            user is None
            or not user.is_authenticated
            or not await database_sync_to_async(user.has_perm)("auctions.view_lot")
        ):
            await self.close(code=4403)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        if "lot_id" in kwargs:
            self.group = lot_group(kwargs["lot_id"])
        elif "source_id" in kwargs:
            self.group = source_group(kwargs["source_id"])
        else:
            self.group = ALL_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.counted = instruments.websocket_connections.labels("auctions")
        self.counted.inc()

    async def disconnect(self, code):
        if hasattr(self, "counted"):
            self.counted.dec()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def auction_update(self, event):
        await self.send(text_data=event["text"])  # already JSON, made once by the feeds process
