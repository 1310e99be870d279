"""The inventory API's phase moves: moving a car to its next phase, and its history of moves."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.inventory import selectors, services
from ifixit.inventory.api.cars import CarDetailOutputSerializer, car_detail_response, ensure_visible
from ifixit.inventory.api.shared import CONFLICT, ERRORS
from ifixit.inventory.models import Phase


class CarPhaseApi(APIView):
    class InputSerializer(serializers.Serializer):
        to_phase = serializers.ChoiceField(choices=Phase.choices)
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)
        expected_phase = serializers.ChoiceField(
            choices=Phase.choices,
            required=False,
            help_text="The phase the client last saw; if the car has moved since, the answer is 409.",
        )

        class Meta:
            ref_name = "PhaseChangeRequest"

    @extend_schema(
        operation_id="cars_phase_change",
        tags=["cars"],
        summary="Move a car to its next phase",
        request=InputSerializer,
        responses={200: CarDetailOutputSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS},
    )
    def post(self, request, car_id: int):
        ensure_visible(request, car_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.car_change_phase(user=request.user, car_id=car_id, **serializer.validated_data)
        return car_detail_response(request, car_id)


class CarHistoryApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        from_phase = serializers.CharField(help_text="Empty on the first row, when the car was registered.")
        to_phase = serializers.ChoiceField(choices=Phase.choices)
        changed_at = serializers.DateTimeField()
        changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)
        note = serializers.CharField()

        class Meta:
            ref_name = "PhaseChange"

    @extend_schema(
        operation_id="cars_history",
        tags=["cars"],
        summary="A car's phase changes, newest first",
        responses={200: OutputSerializer(many=True), 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, car_id: int):
        car = selectors.car_get(user=request.user, pk=car_id)
        return Response(self.OutputSerializer(selectors.car_timeline(car=car), many=True).data)
