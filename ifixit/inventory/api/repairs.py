"""The inventory API's repairs: a car's repair items, and the board of cars in fixing with their
days, spend and holding cost."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.inventory import selectors, services
from ifixit.inventory.api.cars import RepairItemOutputSerializer, ensure_visible
from ifixit.inventory.api.shared import ERRORS, MONEY, LocationOutputSerializer
from ifixit.inventory.models import RepairItem
from ifixit.locations.selectors import locations_visible_to


class CarRepairListApi(APIView):
    class InputSerializer(serializers.Serializer):
        category = serializers.ChoiceField(choices=RepairItem.Category.choices, required=False)
        description = serializers.CharField()
        parts_cost = serializers.DecimalField(**MONEY, required=False)
        labour_cost = serializers.DecimalField(**MONEY, required=False)

        class Meta:
            ref_name = "RepairItemCreate"

    @extend_schema(
        operation_id="cars_repairs_list",
        tags=["cars"],
        summary="A car's repair items",
        responses={200: RepairItemOutputSerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        return Response(RepairItemOutputSerializer(selectors.car_repairs(car=car), many=True).data)

    @extend_schema(
        operation_id="cars_repairs_create",
        tags=["cars"],
        summary="Add a repair item to a car that is not sold",
        request=InputSerializer,
        responses={201: RepairItemOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.repair_item_add(user=request.user, car_id=car_id, **serializer.validated_data)
        return Response(RepairItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class CarRepairDetailApi(APIView):
    @extend_schema(
        operation_id="cars_repairs_destroy",
        tags=["cars"],
        summary="Remove a repair item from a car that is not sold",
        request=None,
        responses={204: OpenApiResponse(description="Removed."), 400: FIELD_ERRORS, **ERRORS},
    )
    def delete(self, request, car_id: int, item_id: int):
        ensure_visible(request, car_id)
        services.repair_item_delete(user=request.user, car_id=car_id, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Repair board ----------------------------------------------------------------------


class RepairBoardRowOutputSerializer(serializers.Serializer):
    car_id = serializers.IntegerField(source="car.pk")
    vin = serializers.CharField(source="car.vin")
    registration = serializers.CharField(source="car.registration")
    make = serializers.CharField(source="car.make")
    model = serializers.CharField(source="car.model")
    year = serializers.IntegerField(source="car.year")
    location = LocationOutputSerializer(source="car.location")
    fixing_since = serializers.DateTimeField()
    days = serializers.IntegerField()
    state = serializers.ChoiceField(choices=list(selectors.RepairState.LABELS))
    repair_spend = serializers.DecimalField(**MONEY)
    cost_of_delay = serializers.DecimalField(**MONEY)


class RepairBoardApi(APIView):
    class FilterSerializer(serializers.Serializer):
        location = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: RepairBoardRowOutputSerializer(many=True), **ERRORS},
        summary="Cars in fixing with days, spend, holding cost and on-time / at-risk / overdue, worst first",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        location_id = filters.validated_data.get("location")
        if location_id and not locations_visible_to(request.user).filter(pk=location_id).exists():
            raise NotFound("No such location among those you may see.")
        rows = selectors.repair_board(user=request.user, location_id=location_id)
        return Response(RepairBoardRowOutputSerializer(rows, many=True).data)
