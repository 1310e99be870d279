"""Live pushes of the notification centre: the bell's unread count, after commit."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def publish_unread_count(user) -> None:
    def send():
        from ifixit.notifications.selectors import unread_count

        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                user_group(user.pk), {"type": "notifications.unread", "unread": unread_count(user)}
            )
        except Exception as exc:  # a push is a courtesy: the count is right again on the next page
            log.warning("could not push the unread count of user %s: %s", user.pk, exc)

    transaction.on_commit(send)
