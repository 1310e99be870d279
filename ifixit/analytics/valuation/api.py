"""REST API v1 of the value model: its versions, and a prediction for any car described by
its attributes. Every prediction carries the model's measured accuracy (the advice API
shows it too)."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.analytics.advice import selectors as advice
from ifixit.analytics.market.api import CanSeeMarket
from ifixit.analytics.models import ValueModel
from ifixit.analytics.valuation import services as valuation
from ifixit.api import FIELD_ERRORS
from ifixit.inventory.api import ERRORS, MONEY
from ifixit.inventory.models import MAX_MILEAGE, Car

NO_MODEL = "No value model has been trained yet."


class MetricsSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    mae = serializers.FloatField()
    mape = serializers.FloatField(help_text="Mean absolute error as a fraction of the price (0.08 = 8%).")
    r2 = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True, help_text="Share of held-out prices inside the predicted interval.")

    class Meta:
        ref_name = "ValueModelMetrics"


class ValueModelSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.CharField()
    trained_at = serializers.DateTimeField()
    training_rows = serializers.IntegerField()
    held_out_rows = serializers.IntegerField()
    features = serializers.ListField(child=serializers.CharField())
    metrics = MetricsSerializer()
    baseline_metrics = MetricsSerializer()
    decision = serializers.CharField()
    duration_seconds = serializers.FloatField()
    triggered_by = serializers.CharField()

    class Meta:
        ref_name = "ValueModel"


class ValueModelListApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeMarket]

    @extend_schema(operation_id="analytics_value_models", tags=["analytics"], summary="Every trained version of the value model, newest first",
                   responses={200: ValueModelSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]})
    def get(self, request):
        versions = ValueModel.objects.defer("artifact")[:50]
        return Response(ValueModelSerializer(versions, many=True).data)


def model_in_use_accuracy() -> dict:
    found = advice.model_accuracy() or {}
    metrics = found.get("metrics") or {}
    return {"version": found.get("version"), "mae": metrics.get("mae"), "mape": metrics.get("mape"), "coverage": metrics.get("coverage"),
            "held_out_rows": found.get("held_out_rows")}


class AccuracySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    mae = serializers.FloatField()
    mape = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True)
    held_out_rows = serializers.IntegerField()

    class Meta:
        ref_name = "ValueModelAccuracy"


class ValuationApi(APIView):
    """POST, not GET: a description of a car, not a resource."""

    permission_classes = [IsAuthenticated, CanSeeMarket]

    class Input(serializers.Serializer):
        make = serializers.CharField(max_length=50)
        model = serializers.CharField(max_length=50)
        trim = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
        year = serializers.IntegerField(min_value=1950, max_value=2100)
        mileage = serializers.IntegerField(min_value=0, max_value=MAX_MILEAGE)
        # The car register's choices, so the schema shares one enum for each with the cars API.
        fuel = serializers.ChoiceField(choices=Car.Fuel.choices, required=False, allow_blank=True, default="")
        transmission = serializers.ChoiceField(choices=Car.Transmission.choices, required=False, allow_blank=True, default="")
        body_type = serializers.ChoiceField(choices=Car.Body.choices, required=False, allow_blank=True, default="")
        on = serializers.DateField(required=False, help_text="The day it would sell; today if left out.")

        class Meta:
            ref_name = "ValuationInput"

    class Output(serializers.Serializer):
        predicted = serializers.DecimalField(**MONEY)
        low = serializers.DecimalField(**MONEY)
        high = serializers.DecimalField(**MONEY)
        interval = serializers.FloatField()
        accuracy = AccuracySerializer()

        class Meta:
            ref_name = "Valuation"

    @extend_schema(operation_id="analytics_valuation", tags=["analytics"], request=Input,
                   summary="What a car is expected to sell for once repaired, with its interval and the model's accuracy",
                   responses={200: Output, 400: FIELD_ERRORS, **ERRORS})
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        on = fields.pop("on", None)
        found = valuation.predict(valuation.resale_row(**fields), on=on)
        if found is None:
            raise NotFound(NO_MODEL)
        _, prediction = found
        return Response(self.Output({
            "predicted": f"{prediction.mid:.2f}", "low": f"{prediction.low:.2f}", "high": f"{prediction.high:.2f}",
            "interval": 0.8, "accuracy": model_in_use_accuracy(),
        }).data)
