from django.urls import path

from ifixit.notifications import api

urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="api_notification_list"),
    path("notifications/unread-count/", api.NotificationUnreadCountApi.as_view(), name="api_notification_unread"),
    path("notifications/read-all/", api.NotificationReadAllApi.as_view(), name="api_notification_read_all"),
    path("notifications/<int:notification_id>/read/", api.NotificationReadApi.as_view(), name="api_notification_read"),
]
