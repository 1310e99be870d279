"""Satisfaction figures from survey answers: NPS and average satisfaction overall, by
location, salesperson and month."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.api import FIELD_ERRORS
from ifixit.crm import selectors
from ifixit.crm.api.access import ERRORS, LOCATION_NOT_FOUND, SATISFACTION, visible_location_id


class ScoreOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    answers = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="Answers of 9 or 10 to 'would you recommend us'.")
    passives = serializers.IntegerField(help_text="Answers of 7 or 8.")
    detractors = serializers.IntegerField(help_text="Answers of 0 to 6.")
    nps = serializers.IntegerField(
        allow_null=True, help_text="Promoters minus detractors, in % of answers; null without answers."
    )
    average_satisfaction = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, help_text="1-5; null without answers."
    )

    class Meta:
        ref_name = "SatisfactionScore"


class LocationScoreOutputSerializer(ScoreOutputSerializer):
    location_id = serializers.IntegerField(source="key")

    class Meta:
        ref_name = "SatisfactionByLocation"


class SalespersonScoreOutputSerializer(ScoreOutputSerializer):
    salesperson_id = serializers.IntegerField(
        source="key", allow_null=True, help_text="Null for sales with no salesperson recorded."
    )

    class Meta:
        ref_name = "SatisfactionBySalesperson"


class MonthScoreOutputSerializer(ScoreOutputSerializer):
    month = serializers.SerializerMethodField(help_text="The month's first day.")

    class Meta:
        ref_name = "SatisfactionByMonth"

    @extend_schema_field(OpenApiTypes.DATE)
    def get_month(self, score: selectors.Score) -> str:
        return score.key.date().isoformat()  # TruncMonth gives midnight of the first, local time


class SatisfactionApi(APIView):
    permission_classes = SATISFACTION

    class FilterSerializer(serializers.Serializer):
        location = serializers.IntegerField(required=False, min_value=1, help_text="A location id.")

        def get_fields(self):
            # "from" is a Python keyword, so these two cannot be class attributes.
            fields = super().get_fields()
            fields["from"] = serializers.DateField(required=False, help_text="First day of answers, YYYY-MM-DD.")
            fields["to"] = serializers.DateField(required=False, help_text="Last day of answers, YYYY-MM-DD.")
            return fields

        def validate(self, attrs):
            if attrs.get("from") and attrs.get("to") and attrs["to"] < attrs["from"]:
                raise serializers.ValidationError({"to": ["The end date is before the start date."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        overall = ScoreOutputSerializer()
        by_location = LocationScoreOutputSerializer(many=True)
        by_salesperson = SalespersonScoreOutputSerializer(many=True)
        by_month = MonthScoreOutputSerializer(many=True)

        class Meta:
            ref_name = "SatisfactionFigures"

    @extend_schema(
        operation_id="satisfaction_retrieve",
        tags=["satisfaction"],
        summary="NPS and average satisfaction of survey answers: overall, by location, salesperson and month",
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            400: FIELD_ERRORS,
            401: ERRORS[401],
            403: ERRORS[403],
            404: LOCATION_NOT_FOUND,
        },
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        figures = selectors.satisfaction_figures(
            user=request.user,
            location_id=visible_location_id(request, data.get("location")),
            date_from=data.get("from"),
            date_to=data.get("to"),
        )
        return Response(self.OutputSerializer(figures).data)
