"""REST API v1 of the make and model benchmarks: the same figures as the page, from the
same selector (`ifixit.analytics.benchmarks.selectors.benchmark_rows`), with every figure's sample
size and each row's grade, and the group's averages.

A location filter outside the user's locations is the selector's ValidationError, a
field-keyed 400 like any bad parameter (`ifixit.api.exception_handler`).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ifixit import serializers
from ifixit.analytics.benchmarks.selectors import (
    DEFAULT_SORT,
    GRADE_TOLERANCE,
    MAKE_MODEL,
    MAKE_MODEL_BODY,
    MIN_SAMPLE_FOR_GRADE,
    SORT_CHOICES,
    benchmark_rows,
)
from ifixit.analytics.benchmarks.views import MAX_DAYS, PERMISSION, default_period
from ifixit.api import DETAIL_ERROR, FIELD_ERRORS
from ifixit.inventory.api import ERRORS, MONEY
from ifixit.money import currency

DAYS = {"max_digits": 8, "decimal_places": 1}
RATIO = {"max_digits": 12, "decimal_places": 4}
GRADING = (
    f"A row with at least {MIN_SAMPLE_FOR_GRADE} sales (with a gross profit and with days to sell) is graded: its "
    "median gross profit and median days to sell are each compared with the group's median; a lead of more than "
    f"{GRADE_TOLERANCE:g} of the group's interquartile range is better (+1), a lag of more than that worse (-1), "
    "anything else at the group's level (0). The sum: +2 A, +1 B, 0 C, -1 D, -2 E."
)


class CanViewCars(BasePermission):
    message = "Your role may not see the benchmarks."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(PERMISSION))


class LocationIdsField(serializers.ListField):
    """Location ids, repeated (?locations=1&locations=2) or separated by commas (?locations=1,2)."""

    child = serializers.IntegerField(min_value=1)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
        else:
            values = dictionary.get(self.field_name)
        if not values:
            return serializers.empty
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


class _FigureSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="How many sales had this figure: the sample size.")


class MoneyFigureOutputSerializer(_FigureSerializer):
    median = serializers.DecimalField(**MONEY, allow_null=True)
    p25 = serializers.DecimalField(**MONEY, allow_null=True, help_text="25th percentile.")
    p75 = serializers.DecimalField(**MONEY, allow_null=True, help_text="75th percentile.")

    class Meta:
        ref_name = "BenchmarkMoneyFigure"


class DaysFigureOutputSerializer(_FigureSerializer):
    median = serializers.DecimalField(**DAYS, allow_null=True)
    p25 = serializers.DecimalField(**DAYS, allow_null=True, help_text="25th percentile.")
    p75 = serializers.DecimalField(**DAYS, allow_null=True, help_text="75th percentile.")

    class Meta:
        ref_name = "BenchmarkDaysFigure"


class RatioFigureOutputSerializer(_FigureSerializer):
    median = serializers.DecimalField(**RATIO, allow_null=True)
    p25 = serializers.DecimalField(**RATIO, allow_null=True, help_text="25th percentile.")
    p75 = serializers.DecimalField(**RATIO, allow_null=True, help_text="75th percentile.")

    class Meta:
        ref_name = "BenchmarkRatioFigure"


class PooledRoiOutputSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        **RATIO, source="pooled_roi", allow_null=True, help_text="Σ gross profit / Σ total cost; null at zero cost."
    )
    n = serializers.IntegerField(source="count", help_text="The sales pooled.")

    class Meta:
        ref_name = "BenchmarkPooledRoi"


class BenchmarkOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Sales.")
    days_to_sell = DaysFigureOutputSerializer(help_text="Days from purchase to sale.")
    repair_cost = MoneyFigureOutputSerializer(help_text="Repair items' parts and labour per car.")
    repair_days = DaysFigureOutputSerializer(help_text="Days in fixing per car (the sum of its spells).")
    gross_profit = MoneyFigureOutputSerializer(help_text="Price less purchase, fees, transport and repairs.")
    roi = RatioFigureOutputSerializer(help_text="Gross profit over total cost per car, as a fraction (0.25 is 25%).")
    pooled_roi = PooledRoiOutputSerializer(source="*", help_text="The return on all the money put in.")
    total_profit = serializers.DecimalField(**MONEY)
    total_cost = serializers.DecimalField(**MONEY)

    class Meta:
        ref_name = "BenchmarkGroup"


class BenchmarkRowOutputSerializer(BenchmarkOutputSerializer):
    make = serializers.CharField()
    model = serializers.CharField()
    body_type = serializers.CharField(help_text="Empty unless the table is split by body type.")
    grade = serializers.CharField(allow_null=True, help_text="A to E; null with too few sales.")
    grade_display = serializers.CharField(help_text='The grade, or "too few sales".')
    profit_vs_group = serializers.CharField(allow_null=True, help_text="better, at or worse; null with too few sales.")
    days_vs_group = serializers.CharField(
        allow_null=True, help_text="better (quicker), at or worse; null with too few sales."
    )

    class Meta:
        ref_name = "BenchmarkRow"


class BenchmarkApi(APIView):
    permission_classes = [IsAuthenticated, CanViewCars]

    class FilterSerializer(serializers.Serializer):
        start = serializers.DateField(
            required=False, help_text="First sale day, YYYY-MM-DD; by default the first of the month eleven months ago."
        )
        end = serializers.DateField(required=False, help_text="Last sale day, YYYY-MM-DD; today by default.")
        locations = LocationIdsField(
            required=False, help_text="Location ids (repeated or comma-separated); all the user's by default."
        )
        by_body = serializers.BooleanField(
            required=False, default=False, help_text="Split each make and model by body type."
        )
        sort = serializers.ChoiceField(required=False, default=DEFAULT_SORT, choices=SORT_CHOICES)

        class Meta:
            ref_name = "BenchmarkFilter"

        def validate(self, attrs):
            defaults = default_period()
            attrs["start"] = attrs.get("start") or defaults["start"]
            attrs["end"] = attrs.get("end") or defaults["end"]
            if attrs["end"] < attrs["start"]:
                raise serializers.ValidationError({"end": ["The end must not be before the start."]})
            if (attrs["end"] - attrs["start"]).days > MAX_DAYS:
                raise serializers.ValidationError({"start": ["Choose at most five years."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        start = serializers.DateField()
        end = serializers.DateField()
        locations = serializers.ListField(child=serializers.IntegerField(), help_text="The locations counted.")
        group_by = serializers.ListField(
            child=serializers.CharField(), help_text="make, model and, if split, body_type."
        )
        sort = serializers.CharField()
        currency = serializers.CharField(help_text="ISO 4217 code of every amount.")
        min_sample = serializers.IntegerField(help_text="Sales a row needs to be graded.")
        grading = serializers.CharField(help_text="How the grade is given.")
        group = BenchmarkOutputSerializer(help_text="The group's average: every sale of the table pooled.")
        rows = BenchmarkRowOutputSerializer(many=True)

        class Meta:
            ref_name = "Benchmarks"

    @extend_schema(
        operation_id="analytics_benchmarks",
        tags=["analytics"],
        summary="Make and model benchmarks from the group's own sales, graded against the group",
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            400: FIELD_ERRORS,
            401: ERRORS[401],
            403: OpenApiResponse(response=DETAIL_ERROR, description="The user's role may not see the benchmarks."),
        },
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        table = benchmark_rows(
            user=request.user,
            start=data["start"],
            end=data["end"],
            location_ids=data.get("locations") or None,
            group_by=MAKE_MODEL_BODY if data["by_body"] else MAKE_MODEL,
            sort=data["sort"],
        )
        body = {
            "start": table.start,
            "end": table.end,
            "locations": list(table.location_ids),
            "group_by": list(table.group_by),
            "sort": table.sort,
            "currency": currency(),
            "min_sample": table.min_sample,
            "grading": GRADING,
            "group": table.group,
            "rows": table.rows,
        }
        return Response(self.OutputSerializer(body).data)
