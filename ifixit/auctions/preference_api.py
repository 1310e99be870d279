"""REST API of bidding preferences, lot alerts, watches and alert channels: the signed-in
user's own only (another user's preference is a 404), for people who may see auctions."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import Pagination
from ifixit.auctions import selectors, services
from ifixit.auctions.api import CanViewAuctions
from ifixit.auctions.models import LotAlert

PERMISSIONS = [IsAuthenticated, CanViewAuctions]
TAGS = ["auction alerts"]


class ModelPairSerializer(serializers.Serializer):
    make = serializers.CharField(max_length=50)
    model = serializers.CharField(max_length=50)

    def validate(self, attrs):
        # A PATCH makes DRF skip every required field down the tree (root.partial); a pair
        # sent in a PATCH is still a whole pair (found by schemathesis as a 500).
        missing = {"make", "model"} - attrs.keys()
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in sorted(missing)})
        return attrs


class PreferenceInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    active = serializers.BooleanField(default=True)
    makes = serializers.ListField(
        child=serializers.CharField(max_length=50),
        default=list,
        max_length=100,
        help_text="Makes wanted in any model; empty: any make.",
    )
    models = ModelPairSerializer(
        many=True,
        default=list,
        max_length=200,
        help_text="Make and model pairs; a make listed here is wanted in these models only.",
    )
    year_min = serializers.IntegerField(allow_null=True, default=None)
    year_max = serializers.IntegerField(allow_null=True, default=None)
    mileage_max = serializers.IntegerField(allow_null=True, default=None, help_text="Miles.")
    price_max = serializers.IntegerField(
        allow_null=True, default=None, help_text="The most you would pay: alerts when bids cross it, either way."
    )
    min_margin = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True, default=None)
    min_roi = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, default=None, help_text="Percent."
    )
    sources = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list, max_length=100)
    regions = serializers.ListField(child=serializers.CharField(max_length=50), default=list, max_length=100)

    def to_input(self, base: services.PreferenceInput | None = None) -> services.PreferenceInput:
        data = dict(self.validated_data)
        if "models" in data:
            data["models"] = [(pair["make"], pair["model"]) for pair in data["models"]]
        if base is None:
            return services.PreferenceInput(**data)
        return services.PreferenceInput(**{**base.__dict__, **data})


class PreferenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    makes = serializers.ListField(child=serializers.CharField())
    models = serializers.SerializerMethodField()
    year_min = serializers.IntegerField(allow_null=True)
    year_max = serializers.IntegerField(allow_null=True)
    mileage_max = serializers.IntegerField(allow_null=True)
    price_max = serializers.IntegerField(allow_null=True)
    min_margin = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    min_roi = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    sources = serializers.SerializerMethodField()
    regions = serializers.ListField(child=serializers.CharField())
    recent_matches = serializers.SerializerMethodField(
        help_text="Lots first seen in the last 7 days it would have matched at their current price."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_models(self, obj) -> list[dict]:
        return [{"make": make, "model": model} for make, model in obj.car_models]

    def get_sources(self, obj) -> list[int]:
        return [s.pk for s in obj.sources.all()]

    def get_recent_matches(self, obj) -> int | None:
        return self.context.get("counts", {}).get(obj.pk)


def _output(items, *, many: bool = False):
    items_list = list(items) if many else [items]
    counts = selectors.recent_matches(items_list).counts
    return PreferenceOutputSerializer(items_list if many else items, many=many, context={"counts": counts}).data


class PreferenceListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=TAGS,
        operation_id="bidding_preferences_list",
        responses=PreferenceOutputSerializer(many=True),
        summary="Your bidding preferences",
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.preferences_of(request.user), request, view=self)
        return paginator.get_paginated_response(_output(page, many=True))

    @extend_schema(
        tags=TAGS,
        operation_id="bidding_preferences_create",
        request=PreferenceInputSerializer,
        responses={201: PreferenceOutputSerializer},
    )
    def post(self, request):
        data = PreferenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = services.preference_save(user=request.user, data=data.to_input())
        return Response(
            _output(selectors.preferences_of(request.user).get(pk=preference.pk)), status=status.HTTP_201_CREATED
        )


class PreferenceDetailApi(APIView):
    permission_classes = PERMISSIONS

    def _own(self, request, preference_id):
        return get_object_or_404(selectors.preferences_of(request.user), pk=preference_id)

    @extend_schema(tags=TAGS, operation_id="bidding_preferences_retrieve", responses=PreferenceOutputSerializer)
    def get(self, request, preference_id: int):
        return Response(_output(self._own(request, preference_id)))

    @extend_schema(
        tags=TAGS,
        operation_id="bidding_preferences_update",
        request=PreferenceInputSerializer,
        responses=PreferenceOutputSerializer,
    )
    def put(self, request, preference_id: int):
        return self._save(request, preference_id, partial=False)

    @extend_schema(
        tags=TAGS,
        operation_id="bidding_preferences_partial_update",
        request=PreferenceInputSerializer(partial=True),
        responses=PreferenceOutputSerializer,
    )
    def patch(self, request, preference_id: int):
        return self._save(request, preference_id, partial=True)

    def _save(self, request, preference_id, *, partial):
        preference = self._own(request, preference_id)
        data = PreferenceInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        base = services.preference_input_of(preference) if partial else None
        services.preference_save(user=request.user, preference_id=preference.pk, data=data.to_input(base))
        return Response(_output(self._own(request, preference_id)))

    @extend_schema(tags=TAGS, operation_id="bidding_preferences_destroy", responses={204: None})
    def delete(self, request, preference_id: int):
        services.preference_delete(user=request.user, preference_id=self._own(request, preference_id).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LotBriefSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AlertLot"

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    source = serializers.CharField(source="source.name")
    make = serializers.CharField()
    model = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    stage = serializers.CharField()
    current_bid = serializers.IntegerField()
    currency = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)


class AlertOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=LotAlert.Reason.choices)
    reason_label = serializers.CharField(source="get_reason_display")
    price = serializers.IntegerField(help_text="The bid the alert was about.")
    preference_id = serializers.IntegerField(allow_null=True)
    preference_name = serializers.CharField(source="preference.name", default=None, allow_null=True)
    lot = LotBriefSerializer()
    created_at = serializers.DateTimeField()


class AlertListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = PERMISSIONS

    class FilterSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=LotAlert.Reason.choices, required=False)

    @extend_schema(
        tags=TAGS,
        operation_id="lot_alerts_list",
        parameters=[FilterSerializer],
        responses=AlertOutputSerializer(many=True),
        summary="Your lot alerts, newest first",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        alerts = selectors.alerts_of(request.user)
        if filters.validated_data.get("reason"):
            alerts = alerts.filter(reason=filters.validated_data["reason"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(alerts, request, view=self)
        return paginator.get_paginated_response(AlertOutputSerializer(page, many=True).data)


class WatchInputSerializer(serializers.Serializer):
    remind_before_start = serializers.IntegerField(
        default=10, min_value=0, max_value=services.MAX_REMINDER_MINUTES, help_text="Minutes; 0: no reminder."
    )
    remind_before_end = serializers.IntegerField(
        default=5, min_value=0, max_value=services.MAX_REMINDER_MINUTES, help_text="Minutes; 0: no reminder."
    )


class WatchOutputSerializer(serializers.Serializer):
    lot = LotBriefSerializer()
    remind_before_start = serializers.IntegerField()
    remind_before_end = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class WatchListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=TAGS,
        operation_id="lot_watches_list",
        responses=WatchOutputSerializer(many=True),
        summary="The lots you watch, latest first",
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.watches_of(request.user), request, view=self)
        return paginator.get_paginated_response(WatchOutputSerializer(page, many=True).data)


class LotWatchApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=TAGS,
        operation_id="lot_watch_retrieve",
        responses=WatchOutputSerializer,
        summary="Your watch of a lot (404 if you do not watch it)",
    )
    def get(self, request, lot_id: int):
        return Response(
            WatchOutputSerializer(get_object_or_404(selectors.watches_of(request.user), lot_id=lot_id)).data
        )

    @extend_schema(
        tags=TAGS,
        operation_id="lot_watch_update",
        request=WatchInputSerializer,
        responses=WatchOutputSerializer,
        summary="Watch a lot, or change its reminders",
    )
    def put(self, request, lot_id: int):
        data = WatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.lot_watch(user=request.user, lot_id=lot_id, **data.validated_data)
        return Response(WatchOutputSerializer(selectors.watches_of(request.user).get(lot_id=lot_id)).data)

    @extend_schema(tags=TAGS, operation_id="lot_watch_destroy", responses={204: None}, summary="Stop watching a lot")
    def delete(self, request, lot_id: int):
        if not services.lot_unwatch(user=request.user, lot_id=lot_id):
            return Response({"detail": "You do not watch this lot."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelChoiceSerializer(serializers.Serializer):
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    sms = serializers.BooleanField()


class AlertChannelsSerializer(serializers.Serializer):
    lot_match = ChannelChoiceSerializer(help_text="Matching lots, and prices back within your maximum.")
    lot_price = ChannelChoiceSerializer(help_text="Prices past your maximum.")
    lot_reminder = ChannelChoiceSerializer(help_text="Watched lots going live or ending.")


class AlertChannelsApi(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        tags=TAGS,
        operation_id="lot_alert_channels_retrieve",
        responses=AlertChannelsSerializer,
        summary="How lot alerts reach you (the notification centre's choices)",
    )
    def get(self, request):
        return Response(selectors.alert_channels_of(request.user))

    @extend_schema(
        tags=TAGS,
        operation_id="lot_alert_channels_update",
        request=AlertChannelsSerializer,
        responses=AlertChannelsSerializer,
    )
    def put(self, request):
        data = AlertChannelsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chosen = {kind: [c for c, on in choice.items() if on] for kind, choice in data.validated_data.items()}
        services.alert_channels_save(user=request.user, channels=chosen)
        return Response(selectors.alert_channels_of(request.user))
