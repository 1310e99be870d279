"""WebSocket routes of every app, gathered in one place for the ASGI router."""

from django.urls import path

from ifixit.auctions.consumers import AuctionUpdatesConsumer
from ifixit.inventory.consumers import CarEventsConsumer
from ifixit.notifications.consumers import NotificationsConsumer

websocket_urlpatterns = [
    path("ws/cars/<int:car_id>/", CarEventsConsumer.as_asgi()),
    path("ws/notifications/", NotificationsConsumer.as_asgi()),
    path("ws/auctions/", AuctionUpdatesConsumer.as_asgi()),
    path("ws/auctions/sources/<int:source_id>/", AuctionUpdatesConsumer.as_asgi()),
    path("ws/auctions/lots/<int:lot_id>/", AuctionUpdatesConsumer.as_asgi()),
]
