"""Auctions REST API: sources (never their credentials), lots and their price ticks."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import Pagination, permission
from ifixit.auctions import selectors
from ifixit.auctions.models import Lot
from ifixit.auctions.selectors import LotFilters


CanViewAuctions = permission("auctions.view_lot", "Auctions are for buyers, managers and admins.")


class SourceOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AuctionSource"

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    enabled = serializers.BooleanField()
    paused = serializers.BooleanField()
    state = serializers.CharField(source="current_health.state")
    last_message_at = serializers.DateTimeField(source="current_health.last_message_at", allow_null=True)


class LotOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Lot"

    id = serializers.IntegerField()
    source_id = serializers.IntegerField()
    external_id = serializers.CharField()
    lane = serializers.CharField()
    stage = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    trim = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    mileage = serializers.IntegerField(allow_null=True)
    mileage_unit = serializers.CharField()
    damage = serializers.CharField()
    condition = serializers.CharField()
    region = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    current_bid = serializers.IntegerField()
    bid_count = serializers.IntegerField()
    buy_now = serializers.IntegerField(allow_null=True)
    has_reserve = serializers.BooleanField()
    reserve_met = serializers.BooleanField()
    outcome = serializers.CharField()


class TickOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "PriceTick"

    seq = serializers.IntegerField()
    amount = serializers.IntegerField()
    bid_count = serializers.IntegerField()
    at = serializers.DateTimeField()


class SourceListApi(APIView):
    permission_classes = [IsAuthenticated, CanViewAuctions]

    @extend_schema(tags=["auctions"], operation_id="auction_sources_list", responses=SourceOutputSerializer(many=True))
    def get(self, request):
        return Response(SourceOutputSerializer(selectors.sources(), many=True).data)


class LotListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)
    permission_classes = [IsAuthenticated, CanViewAuctions]

    class FilterSerializer(serializers.Serializer):
        source = serializers.IntegerField(required=False, min_value=1)
        make = serializers.CharField(required=False, default="", max_length=50)
        price_min = serializers.IntegerField(required=False, min_value=0)
        price_max = serializers.IntegerField(required=False, min_value=0)
        stage = serializers.ChoiceField(required=False, default="", choices=["", *Lot.Stage.values])

    @extend_schema(tags=["auctions"], operation_id="auction_lots_list", parameters=[FilterSerializer], responses=LotOutputSerializer(many=True))
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        lots = selectors.lot_board(filters=LotFilters(**filters.validated_data))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(lots, request, view=self)
        return paginator.get_paginated_response(LotOutputSerializer(page, many=True).data)


class LotDetailApi(APIView):
    permission_classes = [IsAuthenticated, CanViewAuctions]

    @extend_schema(tags=["auctions"], operation_id="auction_lot_retrieve", responses=LotOutputSerializer)
    def get(self, request, lot_id: int):
        lot = Lot.objects.filter(pk=lot_id).first()
        if lot is None:
            raise NotFound("No such lot.")
        return Response(LotOutputSerializer(lot).data)


class LotTicksApi(APIView):
    permission_classes = [IsAuthenticated, CanViewAuctions]

    @extend_schema(tags=["auctions"], operation_id="auction_lot_ticks", responses=TickOutputSerializer(many=True), summary="The lot's prices, oldest first (the latest 500)")
    def get(self, request, lot_id: int):
        lot = Lot.objects.filter(pk=lot_id).first()
        if lot is None:
            raise NotFound("No such lot.")
        return Response(TickOutputSerializer(selectors.lot_ticks(lot=lot), many=True).data)
