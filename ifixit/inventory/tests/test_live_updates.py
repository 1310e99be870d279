"""The car-events WebSocket, through the real ASGI app and the Redis channel layer."""

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from ifixit.asgi import application
from ifixit.inventory import services
from ifixit.inventory.models import Phase
from ifixit.testing.factories import CarFactory

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://localhost")]


async def test_it_pushes_a_phase_change_to_people_watching_the_car(manager, workshop_user, north):
    car = await sync_to_async(CarFactory)(location=north, phase=Phase.FIXING, purchase_price=Decimal("1000"))
    communicator = WebsocketCommunicator(application, f"/ws/cars/{car.pk}/", headers=await sync_to_async(session_headers)(manager))
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(services.car_change_phase)(user=workshop_user, car_id=car.pk, to_phase=Phase.READY)
    message = await communicator.receive_json_from(timeout=5)
    assert message == {"type": "phase_changed", "car_id": car.pk, "from": "fixing", "to": "ready", "by": "wes"}
    await communicator.disconnect()


async def test_it_refuses_people_of_another_location(outsider, north):
    car = await sync_to_async(CarFactory)(location=north)
    communicator = WebsocketCommunicator(application, f"/ws/cars/{car.pk}/", headers=await sync_to_async(session_headers)(outsider))
    connected, code = await communicator.connect()
    assert not connected and code == 4403


async def test_it_refuses_anonymous_visitors(north):
    car = await sync_to_async(CarFactory)(location=north)
    communicator = WebsocketCommunicator(application, f"/ws/cars/{car.pk}/", headers=[(b"origin", b"http://localhost")])
    connected, code = await communicator.connect()
    assert not connected and code == 4403
