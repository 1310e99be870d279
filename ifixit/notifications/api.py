"""Notification centre REST API: the signed-in user's own notifications."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import Pagination
from ifixit.notifications import selectors, services


class DeliveryOutputSerializer(serializers.Serializer):
    channel = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    deliveries = DeliveryOutputSerializer(many=True, source="deliveries.all")


class NotificationListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=NotificationOutputSerializer(many=True),
        summary="The signed-in user's notifications, newest first",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        notifications = selectors.notifications_for(request.user).prefetch_related("deliveries")
        if filters.validated_data["unread"]:
            notifications = notifications.filter(read_at__isnull=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationOutputSerializer(page, many=True).data)


UNREAD = inline_serializer("UnreadCount", fields={"unread": serializers.IntegerField()})


class NotificationUnreadCountApi(APIView):
    @extend_schema(responses=UNREAD, summary="How many unread notifications the bell shows")
    def get(self, request):
        return Response({"unread": selectors.unread_count(request.user)})


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses=NotificationOutputSerializer, summary="Mark one notification read")
    def post(self, request, notification_id: int):
        get_object_or_404(selectors.notifications_for(request.user), pk=notification_id)
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer("MarkedRead", fields={"marked_read": serializers.IntegerField()}),
        summary="Mark every notification read",
    )
    def post(self, request):
        return Response({"marked_read": services.notifications_mark_all_read(user=request.user)})
