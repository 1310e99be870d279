"""Locations REST API v1: a location's inventory figures, the same ones its page shows.

Read through locations.selectors, so scoping is the page's: a location the user may not
see answers 404. (The list of locations is inventory's GET /api/v1/locations/.)
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.inventory.api import ERRORS, MONEY, LocationOutputSerializer
from ifixit.inventory.models import Phase, Transfer
from ifixit.inventory.sites import selectors

BANDS = [band.key for band in selectors.AGEING_BANDS]


class TransferCarOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vin = serializers.CharField()
    registration = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    year = serializers.IntegerField()

    class Meta:
        ref_name = "LocationFiguresTransferCar"


class TransferRowOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Transfer.Status.choices)
    car = TransferCarOutputSerializer()
    from_location = LocationOutputSerializer()
    to_location = LocationOutputSerializer()
    planned_on = serializers.DateField()
    dispatched_at = serializers.DateTimeField(allow_null=True)
    transport_cost = serializers.DecimalField(**MONEY)

    class Meta:
        ref_name = "LocationFiguresTransfer"


class PhaseCountOutputSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    count = serializers.IntegerField()
    value_at_cost = serializers.DecimalField(**MONEY, source="value")

    class Meta:
        ref_name = "LocationStockPhase"


class AgeingOutputSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=BANDS, source="band.key")
    label = serializers.CharField(source="band.label")
    first_day = serializers.IntegerField(source="band.first_day", allow_null=True)
    last_day = serializers.IntegerField(source="band.last_day", allow_null=True)
    count = serializers.IntegerField()
    value_at_cost = serializers.DecimalField(**MONEY, source="value")

    class Meta:
        ref_name = "LocationAgeingBand"


class MonthOutputSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first day.")
    sales = serializers.IntegerField()
    revenue = serializers.DecimalField(**MONEY)
    gross_profit = serializers.DecimalField(**MONEY)

    class Meta:
        ref_name = "LocationSalesMonth"


class LocationFiguresApi(APIView):
    class OutputSerializer(serializers.Serializer):
        location = LocationOutputSerializer()
        is_active = serializers.BooleanField(source="location.is_active")
        time_zone = serializers.CharField(source="location.time_zone")
        as_of = serializers.DateField(help_text="Today in the location's time zone: ages count from here.")
        stock_count = serializers.IntegerField()
        stock_value_at_cost = serializers.DecimalField(**MONEY, source="stock_value")
        stock_by_phase = PhaseCountOutputSerializer(many=True)
        ageing = AgeingOutputSerializer(many=True, help_text="Cars in stock by days since purchase.")
        incoming = TransferRowOutputSerializer(many=True, help_text="Cars dispatched towards this location.")
        outgoing = TransferRowOutputSerializer(many=True, help_text="Cars dispatched from this location.")
        awaiting_dispatch = TransferRowOutputSerializer(
            many=True, help_text="Approved transfers, either way, not yet dispatched."
        )
        months = MonthOutputSerializer(
            many=True, help_text="Sales and gross profit for the last 12 months, oldest first."
        )
        sales_count = serializers.IntegerField(help_text="Over the 12 months.")
        revenue = serializers.DecimalField(**MONEY)
        gross_profit = serializers.DecimalField(**MONEY)

        class Meta:
            ref_name = "LocationFigures"

    @extend_schema(
        operation_id="locations_figures",
        tags=["locations"],
        summary="A location's stock by phase, value at cost, ageing, cars on the move and monthly sales",
        responses={
            200: OutputSerializer,
            401: ERRORS[401],
            404: OpenApiResponse(
                response=ERRORS[404].response, description="No such location among those you may see."
            ),
        },
    )
    def get(self, request, location_id: int):
        location = selectors.location_get(user=request.user, location_id=location_id)
        figures = selectors.location_figures(location=location)
        return Response(self.OutputSerializer(figures).data)
