"""The bell's WebSocket, through the real ASGI app and the Redis channel layer; and
deliveries through a real Celery worker to the SMTP server and SMS provider stand-ins."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from ifixit.asgi import application
from ifixit.inventory.tests.test_live_updates import session_headers
from ifixit.notifications import services
from ifixit.notifications.models import Delivery, Preference
from ifixit.testing.processes import process_env, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_bell_count_is_pushed_to_the_users_pages(manager, outsider):
    await sync_to_async(services.notify)(recipient=manager, kind="system", title="Before")
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=await sync_to_async(session_headers)(manager))
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"type": "unread", "unread": 1}

    await sync_to_async(services.notify)(recipient=outsider, kind="system", title="Not for this page")
    await sync_to_async(services.notify)(recipient=manager, kind="system", title="Now")
    assert await communicator.receive_json_from(timeout=5) == {"type": "unread", "unread": 2}
    await sync_to_async(services.notifications_mark_all_read)(user=manager)
    assert await communicator.receive_json_from(timeout=5) == {"type": "unread", "unread": 0}
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_anonymous_sockets_are_refused(db):
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", b"http://localhost")])
    connected, code = await communicator.connect()
    assert not connected and code == 4401


def test_a_real_worker_delivers_by_email_and_sms(manager, smtp_server, sms_provider, tmp_path):
    manager.mobile = "+447911123456"
    manager.save()
    Preference.objects.create(user=manager, kind="system", email=True, sms=True)
    env = process_env(
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_USE_TLS="0",
        SMS_BACKEND="twilio",
        SMS_PROVIDER_URL=sms_provider.url,
        SMS_ACCOUNT_SID=sms_provider.account_sid,
        SMS_API_KEY=sms_provider.api_key,
    )
    worker = start_worker("notify-worker", tmp_path, env)
    try:
        services.notify(recipient=manager, kind="system", title="Through the worker", link="/cars/")
        wait_for(lambda: Delivery.objects.filter(status="sent").count() == 2, 30, "both deliveries to be sent")
    finally:
        worker.kill()
    assert [m["Subject"] for m in smtp_server.messages] == ["Through the worker"]
    assert [m["To"] for m in sms_provider.messages] == ["+447911123456"]
