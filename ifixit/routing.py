"""WebSocket routes of every app, gathered in one place for the ASGI router."""

from django.urls import path

from ifixit.inventory.consumers import CarEventsConsumer

websocket_urlpatterns = [
    path("ws/cars/<int:car_id>/", CarEventsConsumer.as_asgi()),
]
