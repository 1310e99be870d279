"""The inventory API's transfers of cars between the group's locations: requesting one, listing
them, and moving one on (approve, reject, dispatch, receive, cancel)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS, Pagination
from ifixit.inventory import selectors, services
from ifixit.inventory.api.shared import CONFLICT, ERRORS, MONEY, LocationOutputSerializer
from ifixit.inventory.models import Car, Transfer

# --- Transfers -----------------------------------------------------------------------------


class TransferOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Transfer"

    id = serializers.IntegerField()
    car_id = serializers.IntegerField()
    vin = serializers.CharField(source="car.vin")
    from_location = LocationOutputSerializer()
    to_location = LocationOutputSerializer()
    status = serializers.ChoiceField(choices=Transfer.Status.choices)
    reason = serializers.CharField()
    planned_on = serializers.DateField()
    transport_cost = serializers.DecimalField(**MONEY)
    note = serializers.CharField()
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)


TRANSFER_NOT_FOUND = OpenApiResponse(
    response=DETAIL_ERROR, description="No such transfer into or out of the user's locations."
)


class TransferListApi(APIView):
    pagination_class = Pagination  # the schema shows the list's envelope (count, next, previous, results)

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["open", *Transfer.Status.values], required=False, default="")
        location = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(serializers.Serializer):
        car_id = serializers.IntegerField()
        to_location_id = serializers.IntegerField()
        reason = serializers.CharField(max_length=300)
        planned_on = serializers.DateField()
        transport_cost = serializers.DecimalField(**MONEY, min_value=0, default=0)

        class Meta:
            ref_name = "TransferCreate"

    @extend_schema(
        tags=["transfers"],
        parameters=[FilterSerializer],
        summary="Transfers into and out of the user's locations",
        responses={200: TransferOutputSerializer(many=True), 401: ERRORS[401]},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        transfers = selectors.transfer_list(
            user=request.user,
            status=filters.validated_data["status"],
            location_id=filters.validated_data.get("location"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(transfers, request, view=self)
        return paginator.get_paginated_response(TransferOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["transfers"],
        request=InputSerializer,
        summary="Request a transfer of a car to another location",
        responses={201: TransferOutputSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            transfer = services.transfer_request(user=request.user, **data.validated_data)
        except Car.DoesNotExist as exc:
            raise NotFound(str(exc))
        return Response(
            TransferOutputSerializer(selectors.transfer_list(user=request.user).get(pk=transfer.pk)).data, status=201
        )


class TransferDetailApi(APIView):
    @extend_schema(
        tags=["transfers"], responses={200: TransferOutputSerializer, 404: TRANSFER_NOT_FOUND, 401: ERRORS[401]}
    )
    def get(self, request, transfer_id: int):
        transfer = selectors.transfer_list(user=request.user).filter(pk=transfer_id).first()
        if transfer is None:
            raise NotFound("No such transfer.")
        return Response(TransferOutputSerializer(transfer).data)


class TransferActionApi(APIView):
    """POST /transfers/{id}/{approve|reject|dispatch|receive|cancel}/."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "TransferActionRequest"

    @extend_schema(
        tags=["transfers"],
        request=InputSerializer,
        operation_id="transfers_action",
        summary="Move a transfer on: approve, reject (note required), dispatch, receive or cancel",
        responses={
            200: TransferOutputSerializer,
            400: FIELD_ERRORS,
            403: ERRORS[403],
            404: TRANSFER_NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, transfer_id: int, action: str):
        service = services.TRANSFER_STEPS.get(action)
        if service is None:
            raise NotFound("No such action.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs = {"note": data.validated_data["note"]} if action in services.STEPS_WITH_NOTE else {}
        try:
            service(user=request.user, transfer_id=transfer_id, **kwargs)
        except Transfer.DoesNotExist:
            raise NotFound("No such transfer.")
        return Response(TransferOutputSerializer(selectors.transfer_list(user=request.user).get(pk=transfer_id)).data)
